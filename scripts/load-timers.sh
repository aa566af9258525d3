#!/usr/bin/env bash
# Timer load of the engine API's Wait blocks, on a private redis-server (a free port, its own
# directory, stopped at the end):
#
#   1. restart: LOAD_OVERDUE executions paused on a Wait block by a `tessera serve` process,
#      which is then killed (SIGKILL); while no process runs, every timer is made overdue (the
#      sorted set rescored to 1 ms: an outage that outlasted the wait); a new process starts.
#      Measured: from its readiness (`/readyz` answering, polled every 10 ms) to its last fire
#      (`tessera_timers_fired_total{outcome="resumed"}` reaching LOAD_OVERDUE, polled every
#      20 ms), and that each timer fired once (resumed = LOAD_OVERDUE, nothing retried, the
#      set empty, every execution past its Wait).
#   2. steady: LOAD_PENDING waits falling due at LOAD_RATE/s, LOAD_LEAD s after the start,
#      through `examples/timer_lateness.rs` (the conversation core and the server's timer
#      loop in one process), on each of LOAD_STEADY_STORES: lateness p50/p90/p99/max.
#
#   scripts/load-timers.sh                                     # release: 10,000 and 100,000
#   LOAD_PROFILE=dev LOAD_OVERDUE=500 LOAD_PENDING=2000 LOAD_RATE=200 LOAD_LEAD=20 \
#     scripts/load-timers.sh                                   # a quick check on a debug build
#
# Env: LOAD_PROFILE (release | dev; the binary and the example are built with it if missing),
# LOAD_BIN (the server binary, default target/<profile>/tessera), LOAD_OVERDUE (10000),
# LOAD_PENDING (100000), LOAD_RATE (2000), LOAD_LEAD (seconds before the first is due, 60:
# setting up must end before it), LOAD_STEADY_STORES ("memory redis"), LOAD_SETUP_THREADS
# (HTTP clients creating the overdue executions, 16), LOAD_WORKERS (HTTP workers, nproc),
# LOAD_EXAMPLE (the timer_lateness binary; built if missing). Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${LOAD_PROFILE:-release}"
DIRNAME=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="${LOAD_BIN:-$TARGET/$DIRNAME/tessera}"
[ -x "$BIN" ] || cargo build --profile "$PROFILE" --bin tessera
OVERDUE="${LOAD_OVERDUE:-10000}"
PENDING="${LOAD_PENDING:-100000}"
RATE="${LOAD_RATE:-2000}"
LEAD="${LOAD_LEAD:-60}"
STEADY_STORES="${LOAD_STEADY_STORES:-memory redis}"
THREADS="${LOAD_SETUP_THREADS:-16}"
WORKERS="${LOAD_WORKERS:-$(nproc)}"
TOKEN=load-token
ENGINE=load-engine-token
TENANT=3f0c2a4e-8d1b-4c55-9a1e-2b7d6c9e0f11

# A private redis-server (DIR, RPORT, PIDS, stopped on exit): scripts/lib/private-redis.sh.
source scripts/lib/private-redis.sh
need_tools curl
now_ms() { python3 -c 'import time; print(int(time.time()*1000))'; }
STORE="redis://127.0.0.1:$RPORT"

start_server() { # sets BASE and SERVER (its pid), returns once it is ready; READY_MS
  local port; port=$(free_port)
  TESSERA_API_TOKEN=$TOKEN TESSERA_ENGINE_API_TOKEN=$ENGINE TESSERA_METRICS_TOKEN=$TOKEN TESSERA_LOG=warn \
    TESSERA_WORKERS=$WORKERS TESSERA_TRIGGER_WORKERS=0 \
    "$BIN" serve --host 127.0.0.1 --port "$port" --store "$STORE" --flows "$DIR/noflows" \
    >>"$DIR/server.log" 2>&1 &
  SERVER=$!
  PIDS+=("$SERVER")
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 3000); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.01; done
  READY_MS=$(now_ms)
}
mkdir -p "$DIR/noflows"

echo "== restart: $OVERDUE overdue timers, one new process ($PROFILE build)"
start_server
python3 - "$BASE" "$TOKEN" "$TENANT" <<'PY'
import json, sys, urllib.request
base, token, tenant = sys.argv[1:4]
text = lambda i, s: {"id": i, "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": s}]}]}}
bot = {"version": "6.1", "id": "load-wait", "publicId": "load-wait", "name": "load wait",
  "events": [{"id": "ev", "type": "start", "outgoingEdgeId": "e0", "graphCoordinates": {"x": 0, "y": 0}}],
  "groups": [{"id": "g", "title": "Main", "graphCoordinates": {"x": 0, "y": 0}, "blocks": [
    text("before", "before"),
    {"id": "w", "type": "Wait", "options": {"secondsToWaitFor": "3600", "shouldPause": True}},
    text("after", "after"), {"id": "i", "type": "text input", "options": {"variableId": "v"}}]}],
  "edges": [{"id": "e0", "from": {"eventId": "ev"}, "to": {"groupId": "g"}}],
  "variables": [{"id": "v", "name": "Name"}], "theme": {}, "settings": {}}
req = urllib.request.Request(f"{base}/api/v1/flows/load-wait?tenant_id={tenant}", method="PUT",
  data=json.dumps(bot).encode(), headers={"Authorization": f"Bearer {token}", "content-type": "application/json"})
urllib.request.urlopen(req).read()
PY
python3 - "$BASE" "$ENGINE" "$TENANT" "$OVERDUE" "$THREADS" > "$DIR/executions" <<'PY'
import http.client, json, sys, threading, time
base, token, tenant, n, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
host, port = base.removeprefix("http://").split(":")
body = json.dumps({"tenant_id": tenant, "intent_name": "load-wait"})
ids, lock, left = [], threading.Lock(), [n]
def run():
    c = http.client.HTTPConnection(host, int(port))
    while True:
        with lock:
            if left[0] == 0: return
            left[0] -= 1
        c.request("POST", "/api/v1/engine/triggers/chat", body,
                  {"Authorization": f"Bearer {token}", "content-type": "application/json"})
        env = json.loads(c.getresponse().read())
        assert env["status"] == "waiting_time", env
        with lock: ids.append(env["execution_id"])
t0 = time.time()
ts = [threading.Thread(target=run) for _ in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
print("\n".join(ids))
print(f"created {n} paused executions in {time.time() - t0:.1f} s", file=sys.stderr)
PY
kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true
TIMERS='tessera:{timers}'
rescored=$(redis-cli -p "$RPORT" eval "local m = redis.call('ZRANGE', KEYS[1], 0, -1) for _, x in ipairs(m) do redis.call('ZADD', KEYS[1], 1, x) end return #m" 1 "$TIMERS")
echo "killed the process; $rescored timers made overdue"
start_server
resumed() { curl -s "$BASE/metrics" -H "Authorization: Bearer $TOKEN" | awk -v o="$1" '$1 == "tessera_timers_fired_total{outcome=\""o"\"}" {print $2}'; }
LAST_MS=""
for _ in $(seq 6000); do
  n=$(resumed resumed); n=${n:-0}; n=${n%.*}
  if [ "$n" -ge "$OVERDUE" ]; then LAST_MS=$(now_ms); break; fi
  sleep 0.02
done
sleep 1 # a second fire of one timer would show by now
echo "resumed $(resumed resumed), dropped $(resumed dropped), retried $(resumed retried); timers left $(redis-cli -p "$RPORT" zcard "$TIMERS")"
if [ -n "$LAST_MS" ]; then
  echo "RESULT restart overdue=$OVERDUE: all fired $((LAST_MS - READY_MS)) ms after readiness (within 20 ms, the poll)"
else
  echo "RESULT restart overdue=$OVERDUE: not all fired within 120 s" >&2
fi
python3 - "$BASE" "$ENGINE" "$TENANT" "$DIR/executions" <<'PY'
import http.client, json, sys
base, token, tenant, path = sys.argv[1:5]
host, port = base.removeprefix("http://").split(":")
c, states = http.client.HTTPConnection(host, int(port)), {}
for eid in open(path).read().split():
    c.request("GET", f"/api/v1/engine/executions/{eid}?tenant_id={tenant}", headers={"Authorization": f"Bearer {token}"})
    env = json.loads(c.getresponse().read())
    texts = [b["payload"].get("text") for b in env["blocks"] if b["type"] == "text"]
    key = f'{env["status"]} {texts}'
    states[key] = states.get(key, 0) + 1
print(f"executions after the restart: {states}")
PY
kill "$SERVER"

echo "== steady: $PENDING pending waits due at $RATE/s, first after $LEAD s ($PROFILE build)"
EXAMPLE="${LOAD_EXAMPLE:-$TARGET/$DIRNAME/examples/timer_lateness}"
[ -x "$EXAMPLE" ] || cargo build -q --profile "$PROFILE" --example timer_lateness
for store in $STEADY_STORES; do
  [ "$store" = redis ] && store="$STORE/1"
  "$EXAMPLE" steady "$store" "$PENDING" "$RATE" "$LEAD" | sed 's/^store=/RESULT steady store=/'
done
