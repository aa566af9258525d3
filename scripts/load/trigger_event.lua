-- wrk script: POSTs trigger events, each to one of LOAD_SESSIONS sessions (default 1000),
-- with the trigger's secret. Env: LOAD_TRIGGER, LOAD_SECRET, LOAD_SESSIONS, LOAD_TEXT.
local trigger = os.getenv("LOAD_TRIGGER")
local secret = os.getenv("LOAD_SECRET")
local sessions = tonumber(os.getenv("LOAD_SESSIONS") or "1000")
local text = os.getenv("LOAD_TEXT") or "Hello there"
local n = 0

function setup(thread)
  thread:set("id", math.random(1, 1000000))
end

function request()
  n = n + 1
  local s = "load" .. ((id + n) % sessions)
  local body = '{"text":"' .. text .. '","session":"' .. s .. '"}'
  return wrk.format("POST", "/api/v1/integration/trigger/" .. trigger .. "/event", {
    ["Authorization"] = "Bearer " .. secret,
    ["Content-Type"] = "application/json",
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d duration_s=%.2f rate=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
