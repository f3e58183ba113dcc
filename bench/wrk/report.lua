-- Shared by the scenarios: one JSON line at the end. errors counts every failure wrk sees
-- (connect, read, write, timeout, and every HTTP status >= 400); socket_errors and
-- status_errors split it. A scenario that counts its replies (callback.lua) names its counters
-- in bench_counters and its threads in bench_threads: each counter is summed over the threads
-- (thread:get) and added to the line.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local extra = ""
  for _, name in ipairs(bench_counters or {}) do
    local total = 0
    for _, thread in ipairs(bench_threads or {}) do total = total + (thread:get(name) or 0) end
    extra = extra .. string.format(', "%s": %d', name, total)
  end
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d, ' ..
    '"socket_errors": %d, "status_errors": %d%s}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout + e.status,
    e.connect + e.read + e.write + e.timeout, e.status, extra))
end
