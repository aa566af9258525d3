#!/usr/bin/env bash
# Issue 16's measurement: interleaved rounds of five cases, each beside its floor measured in the
# same round, 32 connections (wrk -t1), and a markdown table of the medians.
#
#   echo      the floor of the memory store: a bare actix-web JSON echo (examples/echo_baseline.rs)
#   memory    continueChat on the memory store, the plain text-input bot (counter, looping)
#   js        the same bot with one Set variable `{{Count}} + 1` a turn (counter-js); floor: memory
#   getset    the floor of Redis: one GET + SET of 1 KB a request (examples/redis_baseline.rs)
#   redis     continueChat on Redis, the plain bot; floor: getset
#
# CPU per turn is the user+system time of the server process (plus redis-server's for the
# Redis cases) from /proc/<pid>/stat over the wrk run, divided by the requests answered; it is
# the figure to compare (throughput swings by 15 points from run to run on a shared machine).
# Each case starts its own server; Redis is a private redis-server started here, flushed
# before each Redis run and shut down at the end.
#
#   scripts/load-rounds.sh                         # 3 rounds of 10 s per case
#   ROUNDS=5 ROUNDS_DURATION=20s scripts/load-rounds.sh
#   ROUNDS_BIN=/work/rel-target/release scripts/load-rounds.sh   # those binaries, no build
#   ROUNDS_REDIS_PORT=6393 (default) ROUNDS_CASES="echo memory js" ROUNDS_BOT=lead-gen
#
# ROUNDS_BOT=lead-gen plays Typebot's lead-gen template (looping) instead of the counter bot in
# the memory and Redis cases (the js case always uses the counter bots).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
ROUNDS="${ROUNDS:-3}"
DURATION="${ROUNDS_DURATION:-10s}"
CASES="${ROUNDS_CASES:-echo memory js getset redis}"
RPORT="${ROUNDS_REDIS_PORT:-6393}"
export LOAD_CONNECTIONS="${LOAD_CONNECTIONS:-32}" LOAD_THREADS=1 LOAD_LOOP=1
WORKERS="${LOAD_WORKERS:-$(nproc)}"
CORPUS="${TESSERA_TYPEBOT_CORPUS:-$(cd .. && pwd)/shared/typebot-flows}"
BIN="${ROUNDS_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release -q --bin tessera --example redis_baseline --example echo_baseline
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
ex() { [ -x "$BIN/examples/$1" ] && echo "$BIN/examples/$1" || echo "$BIN/$1"; }

WORK=$(mktemp -d)
SERVER_PID="" REDIS_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  [ -n "$REDIS_PID" ] && redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

# The bots: counter (plain), counter-js (one Set variable), each in its own flows directory;
# lead-gen looping from its last blocks back to its first group when asked for.
mkdir -p "$WORK/plain" "$WORK/js"
python3 scripts/load/counter_bot.py "$WORK/plain/counter.json"
python3 scripts/load/counter_bot.py "$WORK/js/counter.json" js
PLAIN_BOT=counter PLAIN_REPLIES="a|b|c|d|e"
if [ "${ROUNDS_BOT:-counter}" = lead-gen ]; then
  rm "$WORK/plain/counter.json"
  python3 - "$CORPUS/templates/lead-gen.json" "$WORK/plain/lead-gen.json" <<'PY'
import json, sys
bot = json.load(open(sys.argv[1]))
start = next(e for e in bot["edges"] if "eventId" in e["from"])["to"]["groupId"]
enders = [b for g in bot["groups"] for b in g["blocks"][-1:] if not b.get("outgoingEdgeId")]
for i, block in enumerate(enders):
    block["outgoingEdgeId"] = f"load-loop-{i}"
    bot["edges"].append({"id": f"load-loop-{i}", "from": {"blockId": block["id"]}, "to": {"groupId": start}})
json.dump(bot, open(sys.argv[2], "w"))
PY
  PLAIN_BOT=lead-gen PLAIN_REPLIES="Hi!|John|john@example.com|Website dev|I need a new website"
fi

mkdir -p "$WORK/redis"
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --dir "$WORK/redis" --logfile "$WORK/redis/log" --pidfile "$WORK/redis/pid"
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS_PID=$(cat "$WORK/redis/pid")
REDIS="redis://127.0.0.1:$RPORT"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
wait_up() { for _ in $(seq 100); do curl -sf -o /dev/null "$@" && return 0; sleep 0.1; done; return 1; }

# serve CASE: starts the case's server, sets SERVER_PID and URL.
serve() {
  local p; p=$(port); URL="http://127.0.0.1:$p"
  case "$1" in
    echo) TESSERA_WORKERS="$WORKERS" "$(ex echo_baseline)" "127.0.0.1:$p" & SERVER_PID=$!
          wait_up -XPOST -d '{}' "$URL/baseline/w" ;;
    getset) TESSERA_WORKERS="$WORKERS" "$(ex redis_baseline)" "127.0.0.1:$p" "$REDIS" & SERVER_PID=$!
            wait_up -XPOST "$URL/baseline/w" ;;
    memory|js|redis)
      local flows=$WORK/plain store=memory
      [ "$1" = js ] && flows=$WORK/js
      [ "$1" = redis ] && store=$REDIS
      # The rate limits are off: 32 connections from one address are what they stop.
      TESSERA_RATE_LIMIT_PER_IP=0 TESSERA_RATE_LIMIT_PER_SESSION=0 TESSERA_LOG=warn \
        TESSERA_WORKERS="$WORKERS" "$BIN/tessera" serve --host 127.0.0.1 --port "$p" \
        --flows "$flows" --store "$store" & SERVER_PID=$!
      wait_up "$URL/healthz" ;;
  esac
}

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
hz=$(getconf CLK_TCK)
echo "load-rounds: $ROUNDS rounds of $DURATION, wrk -t1 -c$LOAD_CONNECTIONS, workers $WORKERS, bot $PLAIN_BOT; $(uptime | sed 's/.*load/load/')"
for round in $(seq "$ROUNDS"); do
  for case in $CASES; do
    [ "$case" = redis ] || [ "$case" = getset ] && redis-cli -p "$RPORT" flushall >/dev/null
    serve "$case"
    script=scripts/load/conversation.lua
    export LOAD_BOT=$PLAIN_BOT LOAD_REPLIES=$PLAIN_REPLIES LOAD_BODY='{"message":"a"}'
    [ "$case" = js ] && export LOAD_BOT=counter LOAD_REPLIES="a|b|c|d|e"
    [ "$case" = echo ] || [ "$case" = getset ] && script=scripts/load/baseline.lua
    s0=$(ticks "$SERVER_PID") r0=$(ticks "$REDIS_PID")
    out=$(wrk -t1 -c"$LOAD_CONNECTIONS" -d"$DURATION" --latency -s "$script" "$URL")
    s1=$(ticks "$SERVER_PID") r1=$(ticks "$REDIS_PID")
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    rps=$(grep -oE '^turns/s: [0-9]+' <<<"$out" | awk '{print $2}')
    p99=$(grep -oE 'p99: [0-9.]+' <<<"$out" | awk '{print $2}')
    errs=$(grep -E '^errors' <<<"$out")
    dr=0; [ "$case" = redis ] || [ "$case" = getset ] && dr=$((r1 - r0))
    python3 - "$round" "$case" "$rps" "$p99" "$((s1 - s0))" "$dr" "$hz" "${DURATION%s}" "$errs" >> "$RESULTS" <<'PY'
import sys
rnd, case, rps, p99, ds, dr, hz, secs, errs = sys.argv[1:]
n = float(rps) * float(secs)
us = lambda t: int(t) / int(hz) / n * 1e6
print(f"{rnd}\t{case}\t{rps}\t{p99}\t{us(ds):.1f}\t{us(dr):.1f}\t{errs}")
PY
    tail -1 "$RESULTS" | awk -F'\t' '{printf "round %s %-7s %7s req/s  p99 %s ms  cpu server %s us + redis %s us  (%s)\n", $1, $2, $3, $4, $5, $6, $7}'
  done
done

python3 - "$RESULTS" "$PLAIN_BOT" <<'PY'
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    r, case, rps, p99, s, red, _ = line.rstrip("\n").split("\t")
    rows[case].append((float(rps), float(p99), float(s) + float(red), float(s), float(red)))
med = {c: [statistics.median(x[i] for x in v) for i in range(5)] for c, v in rows.items()}
names = {"echo": "bare actix-web JSON echo", "memory": f"continueChat, memory, {sys.argv[2]}",
         "js": "counter bot + one Set variable `{{Count}} + 1`, memory",
         "getset": "Redis GET + SET of 1 KB", "redis": f"continueChat, Redis, {sys.argv[2]} (server + redis-server)"}
floor = {"memory": "echo", "js": "memory", "redis": "getset"}
target = {"memory": 1.33, "js": 1.33, "redis": 1.18}
print()
print("| case | CPU per turn (median) | floor | CPU ratio (target) | throughput | floor's | throughput ratio | p99 |")
print("|---|---|---|---|---|---|---|---|")
for c in ["echo", "getset", "memory", "js", "redis"]:
    if c not in med:
        continue
    rps, p99, cpu, s, red = med[c]
    cpu_s = f"{cpu:.1f} µs" + (f" ({s:.1f} + {red:.1f})" if red else "")
    f = floor.get(c)
    if f and f in med:
        fr = med[f]
        ratio = cpu / fr[2]
        ok = "met" if ratio <= target[c] else "not met"
        print(f"| {names[c]} | {cpu_s} | {names[f]}: {fr[2]:.1f} µs | **{ratio:.2f}×** (≤ {target[c]}×: {ok}) "
              f"| {rps:,.0f}/s | {fr[0]:,.0f}/s | {rps / fr[0]:.0%} | {p99:.2f} ms |")
    else:
        print(f"| {names[c]} | {cpu_s} | (a floor) | | {rps:,.0f}/s | | | {p99:.2f} ms |")
PY
