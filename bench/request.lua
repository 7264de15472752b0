-- wrk script for every figure of `make bench`: the method, body and
-- token come from the environment (METHOD, BODY, TOKEN) so that one
-- script drives all of them.  done() prints one machine-readable line.
wrk.method = os.getenv("METHOD") or "GET"
wrk.body = os.getenv("BODY")
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if wrk.body then
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.requests,
    e.status, e.connect + e.read + e.write + e.timeout))
end
