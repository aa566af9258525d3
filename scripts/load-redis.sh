#!/usr/bin/env bash
# continueChat on Redis beside its floor (issue 16, point 2), in interleaved rounds on one
# private Redis: floor, ours, floor, ours, ... The floor is examples/redis_baseline.rs (one
# GET and one SET of 1 KB per request); ours is the lead-gen bot looping back to its first
# question (LOAD_MODE=continue of scripts/load-test.sh), so every request after the first
# queue of startChats is a continueChat. For each run: answered requests/s, p50/p99, and the
# CPU per request of the server process and of redis-server (user + system ticks from
# /proc/<pid>/stat over the run, divided by the requests answered), then Redis's own work per
# request from `INFO commandstats` (reset before each run: calls and µs per command or
# script). Ends with the medians of each case and the ratio of ours to the floor.
#
#   REDIS_PORT=6394 scripts/load-redis.sh              # 3 rounds of 15 s, wrk -c32
#   ROUNDS=5 LOAD_DURATION=20s REDIS_BIN=DIR scripts/load-redis.sh
#   REDIS_BUILDS="before=/tmp/old after=target/release" REDIS_PORT=6394 scripts/load-redis.sh
#       # several tessera builds (NAME=DIR), each in every round after the floor
#
# REDIS_PORT: a Redis of its own (flushed before each run!), never a shared one; started here
# (no persistence) when nothing answers on it, and stopped at the end if started here.
# REDIS_BIN: the directory of tessera and redis_baseline (default: target/release, built).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${REDIS_PORT:?set REDIS_PORT to a private Redis port (it is flushed)}"
ROUNDS="${ROUNDS:-3}"
DURATION="${LOAD_DURATION:-15s}"
export LOAD_CONNECTIONS="${LOAD_CONNECTIONS:-32}" LOAD_THREADS=1 LOAD_LOOP=1
CORPUS="${TESSERA_TYPEBOT_CORPUS:-$(cd .. && pwd)/shared/typebot-flows}"
BIN="${REDIS_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release -q --bin tessera --example redis_baseline
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
BUILDS="${REDIS_BUILDS:-ours=$BIN}"
BASELINE="$BIN/examples/redis_baseline"
[ -x "$BASELINE" ] || BASELINE="$BIN/redis_baseline"
STORE="redis://127.0.0.1:$PORT"
cli() { redis-cli -p "$PORT" "$@"; }

STARTED=""
if ! cli ping >/dev/null 2>&1; then
  DIR=$(mktemp -d)
  redis-server --port "$PORT" --save "" --appendonly no --daemonize yes --dir "$DIR" \
    --logfile "$DIR/log"
  for _ in $(seq 50); do cli ping >/dev/null 2>&1 && break; sleep 0.1; done
  STARTED=$DIR
fi
RPID=$(cli info server | tr -d '\r' | awk -F: '$1 == "process_id" {print $2}')

FLOWS=$(mktemp -d)
OUT=$(mktemp -d)
cp "$CORPUS/templates/lead-gen.json" "$FLOWS/lead-gen.json"
export LOAD_BOT=lead-gen LOAD_REPLIES="Hi!|John|john@example.com|Website dev|I need a new website"
python3 - "$FLOWS/lead-gen.json" <<'PY'
import json, sys
path = sys.argv[1]
bot = json.load(open(path))
start = next(e for e in bot["edges"] if "eventId" in e["from"])["to"]["groupId"]
enders = [b for g in bot["groups"] for b in g["blocks"][-1:] if not b.get("outgoingEdgeId")]
for i, block in enumerate(enders):
    block["outgoingEdgeId"] = f"load-loop-{i}"
    bot["edges"].append({"id": f"load-loop-{i}", "from": {"blockId": block["id"]}, "to": {"groupId": start}})
json.dump(bot, open(path, "w"))
PY

SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  rm -rf "$FLOWS" "$OUT"
  if [ -n "$STARTED" ]; then cli shutdown nosave >/dev/null 2>&1 || true; rm -rf "$STARTED"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME: the server is SERVER_PID on URL; the wrk script is $SCRIPT.
run() {
  local name=$1 url=$2 script=$3 f s0 r0
  f="$OUT/$name.$round"
  cli config resetstat >/dev/null
  s0=$(ticks "$SERVER_PID"); r0=$(ticks "$RPID")
  wrk -t1 -c"$LOAD_CONNECTIONS" -d"$DURATION" --latency -s "$script" "$url" > "$f.wrk"
  echo "$(( $(ticks "$SERVER_PID") - s0 )) $(( $(ticks "$RPID") - r0 ))" > "$f.ticks"
  cli info commandstats | tr -d '\r' | grep '^cmdstat_' > "$f.stats"
  python3 - "$f" "$name" "$round" "$(getconf CLK_TCK)" "${DURATION%s}" <<'PY'
import re, sys
f, name, rnd, hz, secs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
wrk = open(f + ".wrk").read()
rate = float(re.search(r"^turns/s: (\d+)", wrk, re.M).group(1))
p = dict(re.findall(r"(p50|p99): ([\d.]+) ms", wrk))
errs = re.search(r"^errors: .*", wrk, re.M).group(0)
s, r = (int(x) for x in open(f + ".ticks").read().split())
n = rate * secs
us = lambda t: t / hz / n * 1e6
stats = []
for line in open(f + ".stats"):
    m = re.match(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", line)
    if m and int(m.group(2)) > n / 100:
        stats.append((m.group(1), int(m.group(2)) / n, int(m.group(3)) / n))
stats.sort(key=lambda x: -x[2])
total = sum(x[2] for x in stats)
cmds = " ".join(f"{c} {k:.2f}x{u:.2f}us" for c, k, u in stats)
line = f"{name} {rnd} {rate:.0f} {p['p50']} {p['p99']} {us(s):.1f} {us(r):.1f} {total:.2f}"
open(f + ".sum", "w").write(line + "\n")
print(f"  {name:5} round {rnd}: {rate:6.0f} req/s  p50 {p['p50']} ms  p99 {p['p99']} ms  "
      f"CPU/req server {us(s):.1f} + redis {us(r):.1f} = {us(s) + us(r):.1f} us  ({errs})")
print(f"        commandstats per request: {cmds} (usec sum {total:.2f})")
PY
}

echo "load-redis: $ROUNDS rounds, wrk -c$LOAD_CONNECTIONS -d$DURATION, Redis $STORE (pid $RPID), bins $BIN"
uptime
for round in $(seq "$ROUNDS"); do
  cli flushall >/dev/null
  port=$(free_port)
  TESSERA_WORKERS=2 "$BASELINE" "127.0.0.1:$port" "$STORE" 2>/dev/null &
  SERVER_PID=$!
  sleep 1
  run floor "http://127.0.0.1:$port" scripts/load/baseline.lua
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

  for build in $BUILDS; do
    cli flushall >/dev/null
    port=$(free_port)
    TESSERA_RATE_LIMIT_PER_IP=0 TESSERA_RATE_LIMIT_PER_SESSION=0 TESSERA_LOG=warn TESSERA_WORKERS=2 \
      "${build#*=}/tessera" serve --host 127.0.0.1 --port "$port" --flows "$FLOWS" --store "$STORE" &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
    run "${build%%=*}" "http://127.0.0.1:$port" scripts/load/conversation.lua
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  done
done
uptime
cat "$OUT"/*.sum | python3 -c '
import sys, statistics as st
rows = {}
for line in sys.stdin:
    name, rnd, rate, p50, p99, s, r, u = line.split()
    rows.setdefault(name, []).append((float(rate), float(p99), float(s), float(r), float(u)))
med = {k: [st.median(x[i] for x in v) for i in range(5)] for k, v in rows.items()}
for k, (rate, p99, s, r, u) in med.items():
    print(f"median {k:6}: {rate:6.0f} req/s  p99 {p99:.2f} ms  CPU/req server {s:.1f} + redis {r:.1f} = {s + r:.1f} us  (commandstats usec {u:.2f})")
f = med["floor"]
for k, o in med.items():
    if k != "floor":
        print(f"{k} / floor: CPU {(o[2] + o[3]) / (f[2] + f[3]):.3f}x (target <= 1.18), throughput {o[0] / f[0] * 100:.0f}% (target >= 85%), p99 {o[1]:.2f} ms (target < 5)")
'
