-- POST /v1/invoices with a fresh Idempotency-Key and dossier per request, flat out (the run at
-- 80 % of the peak rate is bench/openloop.c's, open-loop).
local key = os.getenv("FEEPAY_KEY")
local counter = 0
thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + thread_id)
end

request = function()
  counter = counter + 1
  local id = string.format("%d-%d-%d", thread_id, counter, math.random(1, 1000000000))
  local body = '{"agency_code":"BENCH","dossier_code":"D-' .. id .. '","procedure_code":"1.001234",' ..
    '"payer":{"name":"Nguyễn Văn An","id_number":"079123456789"},' ..
    '"lines":[{"fee_code":"LPHT-01","description":"Lệ phí cấp bản sao trích lục hộ tịch","quantity":2,"unit_amount":8000}]}'
  return wrk.format("POST", "/v1/invoices", {
    ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json", ["Idempotency-Key"] = "bench-" .. id
  }, body)
end

dofile(os.getenv("FEEPAY_WRK_REPORT"))
