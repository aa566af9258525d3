-- wrk script for the baselines (examples/redis_baseline.rs, examples/echo_baseline.rs):
-- POST /baseline/<key> over 10,000 keys. LOAD_BODY: the JSON body (default {}; the echo floor
-- sends a continueChat's body).
local n = 0
local body = os.getenv("LOAD_BODY") or "{}"
function request()
  n = n + 1
  return wrk.format("POST", "/baseline/k" .. (n % 10000), {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("turns/s: %.0f\n", summary.requests / secs))
  io.write(string.format("latency p50: %.2f ms  p90: %.2f ms  p99: %.2f ms  max: %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("errors: %d non-2xx, %d socket\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
