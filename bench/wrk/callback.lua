-- POST /v1/callbacks/vcb with callbacks signed in advance (bench/run.py writes them: one
-- per line, "webhook-id<TAB>timestamp<TAB>signature<TAB>body"), each thread taking its share.
-- Each reply's verdict is counted ("status" in FeePay's JSON answer): only "accepted" is a
-- payment, so only it is throughput; "duplicate" (a callback sent again: a thread that ran
-- out of callbacks starts over), "exception" and anything else (HTTP errors included) are
-- counted apart. report.lua sums the counters over the threads.
local file = os.getenv("FEEPAY_CALLBACKS")
local lines = {}
local index = 0
thread_id = 0
local thread_count = 2
bench_threads = {}
bench_counters = {"accepted", "duplicate", "exception", "other"}
accepted, duplicate, exception, other = 0, 0, 0, 0

function setup(thread)
  thread:set("thread_id", #bench_threads)
  table.insert(bench_threads, thread)
end

function init(args)
  local n = 0
  for line in io.lines(file) do
    if n % thread_count == thread_id then table.insert(lines, line) end
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

response = function(status, headers, body)
  local verdict = status >= 200 and status < 300 and body and body:match('"status"%s*:%s*"([%w_]+)"')
  if verdict == "accepted" then
    accepted = accepted + 1
  elseif verdict == "duplicate" then
    duplicate = duplicate + 1
  elseif verdict == "exception" then
    exception = exception + 1
  else
    other = other + 1
  end
end

dofile(os.getenv("FEEPAY_WRK_REPORT"))
