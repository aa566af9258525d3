-- wrk script: the engine API under load. Every connection triggers executions of the intent
-- LOAD_BOT (default tenant) and resumes them with the wait token of their latest envelope,
-- answering LOAD_REPLIES in a cycle (the bot loops, as in LOAD_MODE=continue). An execution is
-- queued again only when its envelope came back (the response names its execution and new
-- wait token), so every resume carries the current token; new executions are triggered while
-- the queue is shorter than four times the thread's connections.

local bot = os.getenv("LOAD_BOT") or "lead-gen"
local token = os.getenv("LOAD_ENGINE_TOKEN") or "load-engine-token"
local tenant = "00000000-0000-0000-0000-000000000000"
local replies = {}
for r in string.gmatch(os.getenv("LOAD_REPLIES") or "Hi!|John|john@example.com|Website dev|I need a new website", "[^|]+") do
  table.insert(replies, r)
end
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  queue = {}          -- entries {execution, wait token}
  head, tail = 1, 0
  steps = {}          -- execution -> index of its next reply
  local conns = tonumber(os.getenv("LOAD_CONNECTIONS") or "64")
  local nthreads = tonumber(os.getenv("LOAD_THREADS") or "1")
  min_queue = math.max(64, 4 * math.ceil(conns / nthreads))
  triggers, resumes, errors, stale = 0, 0, 0, 0
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  trigger_req = wrk.format("POST", "/api/v1/engine/triggers/chat", headers,
    '{"tenant_id":"' .. tenant .. '","intent_name":"' .. bot .. '"}')
end

function request()
  if tail - head + 1 < min_queue then
    triggers = triggers + 1
    return trigger_req
  end
  local e = queue[head]
  queue[head] = nil
  head = head + 1
  resumes = resumes + 1
  local step = steps[e[1]] or 1
  steps[e[1]] = step % #replies + 1
  local body = '{"tenant_id":"' .. tenant .. '","wait_token":"' .. e[2] .. '","input":{"text":"' .. replies[step] .. '"}}'
  return wrk.format("POST", "/api/v1/engine/executions/" .. e[1] .. "/resume", headers, body)
end

function response(status, headers, body)
  if status == 409 then stale = stale + 1 return end
  if status ~= 200 then errors = errors + 1 return end
  local id = string.match(body, '^{"execution_id":"([^"]+)"')
  local wait = string.match(body, '"wait_token":"([^"]+)"')
  if id and wait then
    tail = tail + 1
    queue[tail] = {id, wait}
  end
end

function done(summary, latency, requests)
  local t, r, e, s = 0, 0, 0, 0
  for _, th in ipairs(threads) do
    t = t + th:get("triggers"); r = r + th:get("resumes"); e = e + th:get("errors"); s = s + th:get("stale")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("turns: %d (%d triggers, %d resumes) in %.1f s\n", summary.requests, t, r, secs))
  io.write(string.format("turns/s: %.0f (triggers/s: %.0f, resume/s: %.0f)\n", (summary.requests - s - e) / secs, t / secs, (r - s) / secs))
  io.write(string.format("latency p50: %.2f ms  p90: %.2f ms  p99: %.2f ms  max: %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("errors: %d non-2xx, %d 409, %d socket\n", e, s,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
