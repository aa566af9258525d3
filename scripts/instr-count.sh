#!/usr/bin/env bash
# Deterministic cost per request: CPU instructions counted by valgrind (callgrind) in the
# Tessera server and in redis-server, for lead-gen conversations played one request at a time,
# then the same for the Redis baseline (examples/redis_baseline.rs). Unlike wrk throughput,
# which moves by 20% from one hour to the next on a shared machine, these counts repeat to
# within a fraction of a percent, so they tell whether a change made a turn cheaper.
# Kernel time (syscalls, loopback TCP) is not counted; it is about the same for both.
#
#   scripts/instr-count.sh            # 100 conversations (600 requests), ~1 minute
#   INSTR_CONVERSATIONS=300 scripts/instr-count.sh
#   INSTR_KEEP=/tmp/cg scripts/instr-count.sh   # keep the callgrind files for callgrind_annotate
#   INSTR_STORE=memory scripts/instr-count.sh    # the server on its in-memory store (no Redis)
#   INSTR_BIN=/some/dir scripts/instr-count.sh   # the binaries in that directory, no build
#   INSTR_BOT=counter-js INSTR_STORE=memory scripts/instr-count.sh  # the counter bot, whose
#       turn evaluates one Set variable `{{Count}} + 1` (scripts/load/counter_bot.py);
#       INSTR_BOT=counter is the same bot without that block: their ratio is the price of JS
#   INSTR_MODE=engine INSTR_STORE=memory scripts/instr-count.sh   # the same bot also through
#       the engine API (scripts/load/drive.py engine: a trigger, then resumes carrying each
#       envelope's wait token), beside continueChat on the same server; then the turns alone
#       (the conversations started first, counters zeroed, then only continueChat turns or
#       resumes counted) and their ratio, the envelope path's cost over a continueChat turn
#       (issue 11). The Redis baseline is left out in this mode.
# Honours CARGO_TARGET_DIR (to compare two checkouts that share one release build directory).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
N="${INSTR_CONVERSATIONS:-100}"
CORPUS="${TESSERA_TYPEBOT_CORPUS:-$(cd .. && pwd)/shared/typebot-flows}"
WORK=$(mktemp -d)
if [ -n "${INSTR_BOT:-}" ]; then
  case "$INSTR_BOT" in
    counter) python3 scripts/load/counter_bot.py "$WORK/counter.json" ;;
    counter-js) python3 scripts/load/counter_bot.py "$WORK/counter.json" js ;;
    *) echo "INSTR_BOT must be counter or counter-js" >&2; exit 2 ;;
  esac
  BOT=counter REPLIES="a|b|c|d|e"
elif [ -f "$CORPUS/templates/lead-gen.json" ]; then
  cp "$CORPUS/templates/lead-gen.json" "$WORK/"
  BOT=lead-gen REPLIES="Hi!|John|john@example.com|Website dev|I need a new website"
else
  cp flows/lead-capture.json "$WORK/"
  BOT=lead-capture REPLIES="${LOAD_REPLIES:?set LOAD_REPLIES for lead-capture}"
fi
# INSTR_BIN=DIR: the tessera and redis_baseline binaries of DIR, not built here (to compare
# two builds).
BIN="${INSTR_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release -q --bin tessera --example redis_baseline
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT=$(port)
PIDS=()
# INSTR_KEEP=DIR keeps the callgrind files there (for callgrind_annotate).
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${INSTR_KEEP:-}" ]; then cp "$WORK"/*.out.* "$INSTR_KEEP"/ 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
valgrind --tool=callgrind --callgrind-out-file="$WORK/redis.out" redis-server --port "$RPORT" \
  --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
RP=$!; PIDS+=("$RP")
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.3; done

total() { grep -E "^(summary|totals):" "$1" | head -1 | awk '{print $2}'; }
# measure NAME PID OUTPREFIX DRIVER...: warms up, zeroes both counters, drives, dumps both.
measure() {
  local name=$1 pid=$2 prefix=$3; shift 3
  "$@" >/dev/null
  callgrind_control -z "$pid" >/dev/null 2>&1; callgrind_control -z "$RP" >/dev/null 2>&1
  local n; n=$("$@")
  callgrind_control -d "$pid" >/dev/null 2>&1; callgrind_control -d "$RP" >/dev/null 2>&1
  sleep 1
  local s r
  s=$(total "$(ls -t "$prefix".* | head -1)"); r=$(total "$(ls -t "$WORK"/redis.out.* | head -1)")
  echo "$name: $n requests; instructions per request: server $((s / n)), redis-server $((r / n))"
  LAST_SERVER=$((s / n)) LAST_REDIS=$((r / n))
}
ratio() { python3 -c "print(f'{$1 / $2:.3f}')"; }

SPORT=$(port)
STORE="redis://127.0.0.1:$RPORT"
[ "${INSTR_STORE:-redis}" = memory ] && STORE=memory
# The rate limits are off (the driver is one client sending as fast as it can) unless the
# caller sets them: TESSERA_RATE_LIMIT_PER_IP=1000000 TESSERA_RATE_LIMIT_PER_SESSION=1000000
# measures what checking them costs a request.
TESSERA_RATE_LIMIT_PER_IP="${TESSERA_RATE_LIMIT_PER_IP:-0}" \
TESSERA_RATE_LIMIT_PER_SESSION="${TESSERA_RATE_LIMIT_PER_SESSION:-0}" \
TESSERA_ENGINE_API_TOKEN=instr-engine-token \
TESSERA_LOG=warn TESSERA_WORKERS=1 valgrind --tool=callgrind --callgrind-out-file="$WORK/tessera.out" \
  "$BIN/tessera" serve --host 127.0.0.1 --port "$SPORT" --flows "$WORK" \
  --store "$STORE" 2>/dev/null &
SP=$!; PIDS+=("$SP")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$SPORT/healthz" >/dev/null && break; sleep 0.3; done
measure "tessera ($BOT)" "$SP" "$WORK/tessera.out" \
  python3 scripts/load/drive.py conversations "$SPORT" "$N" "$BOT" "$REPLIES"
if [ "${INSTR_MODE:-chat}" = engine ]; then
  export ENGINE_TOKEN=instr-engine-token INSTR_ZERO="$SP $RP"
  measure "tessera engine API ($BOT: trigger + resumes)" "$SP" "$WORK/tessera.out" \
    python3 scripts/load/drive.py engine "$SPORT" "$N" "$BOT" "$REPLIES"
  measure "continueChat turns alone ($BOT)" "$SP" "$WORK/tessera.out" \
    python3 scripts/load/drive.py turns "$SPORT" "$N" "$BOT" "$REPLIES"
  cs=$LAST_SERVER cr=$LAST_REDIS
  measure "engine API resumes alone ($BOT)" "$SP" "$WORK/tessera.out" \
    python3 scripts/load/drive.py resumes "$SPORT" "$N" "$BOT" "$REPLIES"
  echo "resume / continueChat turn: server $(ratio "$LAST_SERVER" "$cs")" \
    "$( [ "$STORE" != memory ] && echo ", server + redis-server $(ratio "$((LAST_SERVER + LAST_REDIS))" "$((cs + cr))")")"
  exit 0
fi

BPORT=$(port)
TESSERA_WORKERS=1 valgrind --tool=callgrind --callgrind-out-file="$WORK/baseline.out" \
  "$( [ -x "$BIN/examples/redis_baseline" ] && echo "$BIN/examples/redis_baseline" || echo "$BIN/redis_baseline")" "127.0.0.1:$BPORT" "redis://127.0.0.1:$RPORT" 2>/dev/null &
BP=$!; PIDS+=("$BP")
for _ in $(seq 100); do curl -sf -XPOST "http://127.0.0.1:$BPORT/baseline/w" >/dev/null && break; sleep 0.3; done
measure "baseline (GET + SET 1 KB)" "$BP" "$WORK/baseline.out" \
  python3 scripts/load/drive.py baseline "$BPORT" "$((N * 6))"
