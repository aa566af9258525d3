#!/usr/bin/env bash
# Load test of the trigger integration on Redis (a private redis-server on a free port, with
# its own directory, stopped at the end), beside a floor measured in the same run:
#
#   1. floor: redis-benchmark XADD to one stream with a payload the size of an event body;
#   2. accepting alone: a server with no trigger workers, wrk posting events for
#      LOAD_DURATION (rate and p99 of the 202);
#   3. processing alone: a server with LOAD_TRIGGER_WORKERS workers draining what step 2
#      accepted, for at most LOAD_DRAIN_SECS (rate, CPU per event);
#   4. accepting and processing in step: a server with LOAD_TRIGGER_WORKERS workers, wrk for
#      LOAD_STEP_DURATION with LOAD_STEP_CONNECTIONS connections; the backlog (waiting events)
#      sampled every second, and the accept-to-done p99 from the event log afterwards.
#
#   scripts/load-triggers.sh
#   LOAD_BIN=target/release/tessera LOAD_DURATION=10s LOAD_STEP_DURATION=60s scripts/load-triggers.sh
#
# Env: LOAD_BIN (default target/release/tessera, built if missing), LOAD_CONNECTIONS (64),
# LOAD_STEP_CONNECTIONS (8), LOAD_SESSIONS (1000), LOAD_TRIGGER_WORKERS (8), LOAD_WORKERS (HTTP
# workers, nproc), LOAD_SAMPLE_PAGES (pages of 1,000 events read for the accept-to-done p99),
# LOAD_REDIS_PORT (the private redis-server's port; default a free one), LOAD_DRAIN_SECS (30).
#
# Each phase also prints the CPU time per event of the server and of redis-server (from
# /proc/<pid>/stat before and after), and the in-step phase the events processed per second
# (completed during the run, from the waiting count).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${LOAD_BIN:-target/release/tessera}"
[ -x "$BIN" ] || cargo build --release --bin tessera
DURATION="${LOAD_DURATION:-10s}"
STEP_DURATION="${LOAD_STEP_DURATION:-60s}"
CONNECTIONS="${LOAD_CONNECTIONS:-64}"
STEP_CONNECTIONS="${LOAD_STEP_CONNECTIONS:-8}"
export LOAD_SESSIONS="${LOAD_SESSIONS:-1000}"
TRIGGER_WORKERS="${LOAD_TRIGGER_WORKERS:-8}"
WORKERS="${LOAD_WORKERS:-$(nproc)}"
SAMPLE_PAGES="${LOAD_SAMPLE_PAGES:-100}"
DRAIN_SECS="${LOAD_DRAIN_SECS:-30}"
TOKEN=load-token

# A private redis-server (DIR, RPORT, PIDS, stopped on exit): scripts/lib/private-redis.sh.
source scripts/lib/private-redis.sh
need_tools wrk redis-benchmark curl
RPID=$(redis-cli -p "$RPORT" info server | tr -d '\r' | awk -F: '/^process_id:/{print $2}')
TICK=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU µs per event of the server and redis-server: $1 events, $2..$5 ticks before/after.
cpu_per() {
  python3 -c "import sys; n,a,b,c,d,t=map(float,sys.argv[1:]); n=max(n,1)
print(f'cpu per event: server {(b-a)/t/n*1e6:.1f} us, redis-server {(d-c)/t/n*1e6:.1f} us')" "$@" "$TICK"
}

BODY='{"text":"Hello there","session":"load123"}'
echo "== floor: redis-benchmark XADD, ${#BODY}-byte payload"
redis-benchmark -p "$RPORT" -q -n 200000 -c 50 XADD floor:stream '*' e "$BODY" | tr '\r' '\n' | tail -1

start_server() { # $1 trigger workers; sets BASE and SERVER (its pid)
  local port; port=$(free_port)
  TESSERA_API_TOKEN=$TOKEN TESSERA_LOG=warn TESSERA_TRIGGER_WORKERS=$1 TESSERA_WORKERS=$WORKERS \
    TESSERA_TRIGGER_QUEUE_MAX=100000000 \
    "$BIN" serve --host 127.0.0.1 --port "$port" --store "redis://127.0.0.1:$RPORT" --flows flows \
    >"$DIR/server-$port.log" 2>&1 &
  SERVER=$!
  PIDS+=("$SERVER")
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
}
make_trigger() { # $1 base; sets TRIGGER and SECRET
  local t; t=$(curl -sf -X POST "$1/api/v1/integration/triggers" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"flow":"support-triage"}')
  TRIGGER=$(echo "$t" | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
  SECRET=$(echo "$t" | python3 -c 'import sys,json;print(json.load(sys.stdin)["secret"])')
  export LOAD_TRIGGER=$TRIGGER LOAD_SECRET=$SECRET
}

echo "== accepting alone: $CONNECTIONS connections, $DURATION, no workers"
start_server 0
make_trigger "$BASE"
s0=$(ticks "$SERVER"); r0=$(ticks "$RPID")
wrk -t 1 -c "$CONNECTIONS" -d "$DURATION" -s scripts/load/trigger_event.lua "$BASE" | grep RESULT | tee "$DIR/alone"
s1=$(ticks "$SERVER"); r1=$(ticks "$RPID")
cpu_per "$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$DIR/alone")" "$s0" "$s1" "$r0" "$r1"
kill "$SERVER"

echo "== processing alone: the events accepted above, $TRIGGER_WORKERS workers, at most $DRAIN_SECS s"
before=$(redis-cli -p "$RPORT" get 'tessera:{ev}:n')
start_server "$TRIGGER_WORKERS"
s0=$(ticks "$SERVER"); r0=$(ticks "$RPID"); t0=$(date +%s.%N)
until_t=$(( $(date +%s) + DRAIN_SECS ))
while [ "$(date +%s)" -lt "$until_t" ]; do
  n=$(redis-cli -p "$RPORT" get 'tessera:{ev}:n'); [ "${n:-0}" = "0" ] && break; sleep 0.1
done
s1=$(ticks "$SERVER"); r1=$(ticks "$RPID"); t1=$(date +%s.%N)
after=$(redis-cli -p "$RPORT" get 'tessera:{ev}:n')
python3 -c "import sys; b,a,t0,t1=int(sys.argv[1] or 0),int(sys.argv[2] or 0),float(sys.argv[3]),float(sys.argv[4])
print(f'processed {b-a} of {b} in {t1-t0:.1f} s: {(b-a)/(t1-t0):.0f} events/s')" "$before" "${after:-0}" "$t0" "$t1"
cpu_per "$(( ${before:-0} - ${after:-0} ))" "$s0" "$s1" "$r0" "$r1"
kill "$SERVER"; redis-cli -p "$RPORT" flushall >/dev/null

echo "== accepting and processing: $STEP_CONNECTIONS connections, $STEP_DURATION, $TRIGGER_WORKERS workers"
start_server "$TRIGGER_WORKERS"
make_trigger "$BASE"
( while sleep 1; do echo "backlog $(redis-cli -p "$RPORT" get 'tessera:{ev}:n')"; done ) > "$DIR/backlog" &
SAMPLER=$!
s0=$(ticks "$SERVER"); r0=$(ticks "$RPID")
wrk -t 1 -c "$STEP_CONNECTIONS" -d "$STEP_DURATION" -s scripts/load/trigger_event.lua "$BASE" | grep RESULT | tee "$DIR/step"
s1=$(ticks "$SERVER"); r1=$(ticks "$RPID")
kill "$SAMPLER"
accepted=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$DIR/step")
secs=$(sed -n 's/.*duration_s=\([0-9.]*\).*/\1/p' "$DIR/step")
left=$(redis-cli -p "$RPORT" get 'tessera:{ev}:n')
python3 -c "import sys; a,l,s=int(sys.argv[1]),int(sys.argv[2] or 0),float(sys.argv[3])
print(f'processed during the run: {a-l} of {a} accepted, {(a-l)/s:.0f} events/s; waiting at the end {l}')" "$accepted" "${left:-0}" "$secs"
cpu_per "$((accepted - ${left:-0}))" "$s0" "$s1" "$r0" "$r1"
python3 - "$DIR/backlog" <<'PY'
import sys
v = [int(l.split()[1] or 0) for l in open(sys.argv[1]) if l.split()[1:] and l.split()[1].isdigit()]
if v: print(f"backlog during the run: max {max(v)}, last {v[-1]}, samples {len(v)}")
PY
for _ in $(seq 600); do
  n=$(redis-cli -p "$RPORT" get 'tessera:{ev}:n'); [ "${n:-0}" = "0" ] && break; sleep 0.1
done
echo "drained: waiting events $(redis-cli -p "$RPORT" get 'tessera:{ev}:n')"
python3 - "$BASE" "$TRIGGER" "$TOKEN" "$SAMPLE_PAGES" <<'PY'
import json, sys, urllib.request
from datetime import datetime
base, trig, token, pages = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lat, cursor, statuses = [], None, {}
for _ in range(pages):
    url = f"{base}/api/v1/integration/trigger/{trig}/events?limit=1000" + (f"&cursor={cursor}" if cursor else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(req))
    for e in page["events"]:
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
        if e["processed_at"]:
            t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
            lat.append((t(e["processed_at"]) - t(e["received_at"])) * 1000)
    cursor = page["next_cursor"]
    if not cursor: break
lat.sort()
if lat:
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"accept-to-done over {len(lat)} events: p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1]:.1f} ms; statuses {statuses}")
PY
