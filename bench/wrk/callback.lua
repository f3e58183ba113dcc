-- POST /v1/callbacks/vcb with callbacks signed in advance (bench/run.py writes them: one
-- per line, "webhook-id<TAB>timestamp<TAB>signature<TAB>body"), each thread taking its share.
local file = os.getenv("FEEPAY_CALLBACKS")
local lines = {}
local index = 0
thread_id = 0
local thread_count = 1
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n = 0
  for line in io.lines(file) do
    if n % 2 == thread_id then table.insert(lines, line) end
    n = n + 1
  end
end

request = function()
  index = index + 1
  if index > #lines then index = 1 end
  local id, ts, sig, body = lines[index]:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
  return wrk.format("POST", "/v1/callbacks/vcb", {
    ["Content-Type"] = "application/json", ["webhook-id"] = id, ["webhook-timestamp"] = ts, ["webhook-signature"] = sig
  }, body)
end

dofile(os.getenv("FEEPAY_WRK_REPORT"))
