-- wrk script: every connection plays whole conversations (startChat, then one continueChat per
-- scripted reply) against a lead-generation bot. Sessions wait in a per-thread queue, long
-- enough that a session's next turn is only sent after its previous one was answered: four
-- times the thread's connections, so about four rounds of requests pass before a session
-- comes up again. (wrk does not tell which request a response answers, so the queue cannot
-- wait for the response itself; a turn sent too early would get 409 session_busy, which is
-- counted apart, and would put that session's replies out of step with its questions.)
-- Env: LOAD_BOT (public id), LOAD_REPLIES (replies separated by '|'), LOAD_LOOP=1 for a bot
-- that loops back to its first question: each session then answers the replies in a cycle,
-- forever, so after the first startChat of each queue slot every request is a continueChat.

local bot = os.getenv("LOAD_BOT") or "lead-gen"
local replies = {}
for r in string.gmatch(os.getenv("LOAD_REPLIES") or "Hi!|John|john@example.com|Website dev|I need a new website", "[^|]+") do
  table.insert(replies, r)
end

local loop = os.getenv("LOAD_LOOP") == "1"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  queue = {}          -- entries {session, step}
  head, tail = 1, 0
  local conns = tonumber(os.getenv("LOAD_CONNECTIONS") or "64")
  local nthreads = tonumber(os.getenv("LOAD_THREADS") or "1")
  min_queue = math.max(64, 4 * math.ceil(conns / nthreads))
  starts, continues, errors, busy = 0, 0, 0, 0
  start_req = wrk.format("POST", "/api/v1/typebots/" .. bot .. "/startChat", {["Content-Type"] = "application/json"}, "{}")
end

local function push(e)
  tail = tail + 1
  queue[tail] = e
end

function request()
  if tail - head + 1 < min_queue then
    starts = starts + 1
    return start_req
  end
  local e = queue[head]
  queue[head] = nil
  head = head + 1
  continues = continues + 1
  local body = '{"message":"' .. replies[e[2]] .. '"}'
  if e[2] < #replies then push({e[1], e[2] + 1})
  elseif loop then push({e[1], 1}) end
  return wrk.format("POST", "/api/v1/sessions/" .. e[1] .. "/continueChat", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 409 then busy = busy + 1 return end
  if status ~= 200 then errors = errors + 1 return end
  local sid = string.match(body, '^{"sessionId":"([^"]+)"')
  if sid then push({sid, 1}) end
end

-- LOAD_DELAY_MS (soak.sh): a pause before each request of a connection, to hold a rate below
-- the maximum. wrk takes whole milliseconds, so a fractional pause is rounded up or down at
-- random in the right proportion.
local pause = tonumber(os.getenv("LOAD_DELAY_MS") or "")
if pause and pause > 0 then
  function delay()
    local whole = math.floor(pause)
    if math.random() < pause - whole then return whole + 1 end
    return whole
  end
end

function done(summary, latency, requests)
  local s, c, e, b = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("starts"); c = c + t:get("continues"); e = e + t:get("errors"); b = b + t:get("busy")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("turns: %d (%d startChat, %d continueChat) in %.1f s\n", summary.requests, s, c, secs))
  -- turns/s counts answered turns (200); 409s and errors are reported below.
  io.write(string.format("turns/s: %.0f (continueChat/s: %.0f)\n", (summary.requests - b - e) / secs, (c - b) / secs))
  io.write(string.format("latency p50: %.2f ms  p90: %.2f ms  p99: %.2f ms  max: %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("errors: %d non-2xx, %d busy, %d socket\n", e, b,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
