-- wrk script for every figure of `make bench`: the method, body and
-- token come from the environment (METHOD, BODY, TOKEN) so that one
-- script drives all of them.  IDEM, when set, is the prefix of a fresh
-- Idempotency-Key on every request (IDEM, the thread, a counter), as a
-- client that retries safely sends; unset, wrk sends one request,
-- formatted once.  done() prints one machine-readable line: wrk counts
-- every answer not 2xx or 3xx in errors.status itself, so only 2xx are
-- counted without a response() callback (which would make wrk parse
-- every answer in Lua).
wrk.method = os.getenv("METHOD") or "GET"
wrk.body = os.getenv("BODY")
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if wrk.body then
  wrk.headers["Content-Type"] = "application/json"
end

local idem = os.getenv("IDEM")
if idem and idem ~= "" then
  local threads = 0
  function setup(thread)
    threads = threads + 1
    thread:set("thread_id", threads)
  end
  local n = 0
  function request()
    n = n + 1
    wrk.headers["Idempotency-Key"] = idem .. "-" .. (thread_id or 0) .. "-" .. n
    return wrk.format()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d errors=%d duration_us=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.requests,
    e.status, e.connect + e.read + e.write + e.timeout, summary.duration))
end
