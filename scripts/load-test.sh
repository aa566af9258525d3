#!/usr/bin/env bash
# Load test: plays whole conversations against a running Tessera server with wrk and reports
# turns/s and p50/p99 latency. Starts its own release server unless LOAD_URL is given.
#
#   scripts/load-test.sh                      # in-memory store
#   LOAD_STORE=redis://127.0.0.1:6379 scripts/load-test.sh
#   LOAD_DURATION=30s LOAD_CONNECTIONS=64 scripts/load-test.sh
#   LOAD_WORKERS=1 scripts/load-test.sh       # one HTTP worker for both servers
#   LOAD_MODE=continue scripts/load-test.sh   # continueChat only (see below)
#   LOAD_BIN=/path/to/tessera scripts/load-test.sh   # that server binary (no build): to compare
#                                             # two builds side by side in one session
#   LOAD_MODE=engine scripts/load-test.sh     # continueChat, then the engine API, one run
#
# LOAD_MODE=continue measures continueChat alone: the bot gets one more edge, from its last
# block back to its first group, so a conversation never ends and, after one startChat per
# queue slot at the beginning, every request is a continueChat over the same blocks.
# LOAD_MODE=engine does the same, then plays the looping bot through the engine API
# (scripts/load/engine.lua: triggers, and resumes with each envelope's wait token) against the
# same server, so the envelope path is measured beside continueChat in one run.
#
# The bot is Typebot's lead-gen template from $TESSERA_TYPEBOT_CORPUS when present (to compare
# with Typebot's own figures), else the bundled flows/lead-capture.json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

DURATION="${LOAD_DURATION:-20s}"
export LOAD_CONNECTIONS="${LOAD_CONNECTIONS:-64}" LOAD_THREADS="${LOAD_THREADS:-1}"
CONNECTIONS="$LOAD_CONNECTIONS"
THREADS="$LOAD_THREADS"
STORE="${LOAD_STORE:-memory}"
# HTTP workers of both servers (Tessera and the baseline): actix's default, one per core,
# unless LOAD_WORKERS says otherwise (LOAD_WORKERS=1 for the single-worker comparison).
WORKERS="${LOAD_WORKERS:-$(nproc)}"
CORPUS="${TESSERA_TYPEBOT_CORPUS:-$(cd .. && pwd)/shared/typebot-flows}"

FLOWS=$(mktemp -d)
if [ -f "$CORPUS/templates/lead-gen.json" ]; then
  cp "$CORPUS/templates/lead-gen.json" "$FLOWS/lead-gen.json"
  export LOAD_BOT=lead-gen LOAD_REPLIES="Hi!|John|john@example.com|Website dev|I need a new website"
else
  cp flows/lead-capture.json "$FLOWS/"
  export LOAD_BOT=lead-capture LOAD_REPLIES="${LOAD_REPLIES:?set LOAD_REPLIES for lead-capture}"
fi

MODE="${LOAD_MODE:-conversations}"
case "$MODE" in
  conversations) ;;
  continue|engine)
    export LOAD_LOOP=1
    python3 - "$FLOWS/$LOAD_BOT.json" <<'PY'
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
    ;;
  *) echo "LOAD_MODE must be conversations, continue or engine" >&2; exit 2 ;;
esac

SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$FLOWS"; }
trap cleanup EXIT

URL="${LOAD_URL:-}"
if [ -z "$URL" ]; then
  BIN="${LOAD_BIN:-}"
  if [ -z "$BIN" ]; then
    cargo build --release -q
    BIN="${CARGO_TARGET_DIR:-target}/release/tessera"
  fi
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export LOAD_ENGINE_TOKEN=load-engine-token
  # The rate limits are off: 64 connections from 127.0.0.1 at ~20,000 requests a second are
  # exactly what the defaults (50 a second per IP) stop (README, "Limits").
  TESSERA_RATE_LIMIT_PER_IP="${TESSERA_RATE_LIMIT_PER_IP:-0}" \
  TESSERA_RATE_LIMIT_PER_SESSION="${TESSERA_RATE_LIMIT_PER_SESSION:-0}" \
  TESSERA_ENGINE_API_TOKEN="$LOAD_ENGINE_TOKEN" TESSERA_LOG=warn TESSERA_WORKERS="$WORKERS" "$BIN" serve --host 127.0.0.1 --port "$PORT" --flows "$FLOWS" --store "$STORE" &
  SERVER_PID=$!
  URL="http://127.0.0.1:$PORT"
  for _ in $(seq 50); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
fi

# CPU time (ticks) of a process, for the per-turn CPU line.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Runs wrk and prints its summary, then the CPU each process spent per request (server and
# redis-server from /proc before and after; wrk's own sampled until it exits).
run_wrk() {
  local script=$1 url=$2 server=$3 out redis r0 s0 w=0 n hz
  out=$(mktemp)
  redis=$(pgrep -x redis-server | head -1 || true)
  s0=$(ticks "$server"); r0=$( [ -n "$redis" ] && ticks "$redis" || echo 0)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$url" > "$out" &
  local wpid=$!
  while kill -0 "$wpid" 2>/dev/null; do w=$(ticks "$wpid"); sleep 0.2; done
  wait "$wpid"
  grep -E "^(turns|latency|errors)" "$out"
  n=$(grep -oE '^turns/s: [0-9]+' "$out" | awk '{print $2}')
  hz=$(getconf CLK_TCK)
  if [ -n "$n" ] && [ -n "$server" ]; then
    local ds=$(( $(ticks "$server") - s0 )) dr=0
    [ -n "$redis" ] && dr=$(( $(ticks "$redis") - r0 ))
    python3 -c "
n = $n * float('${DURATION%s}'); hz = $hz
per = lambda t: f'{t / hz / n * 1e6:.1f} us'
print(f'cpu per request: server {per($ds)}, redis-server {per($dr)}, wrk {per($w)}')"
  fi
  rm -f "$out"
}

echo "load: $URL bot=$LOAD_BOT mode=$MODE store=$STORE workers=$WORKERS wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
run_wrk scripts/load/conversation.lua "$URL" "$SERVER_PID"
if [ "$MODE" = engine ]; then
  echo "engine API: $URL intent=$LOAD_BOT wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
  run_wrk scripts/load/engine.lua "$URL" "$SERVER_PID"
fi

# With a Redis store, the same run against the baseline: a minimal actix-web endpoint doing one
# Redis GET and one SET of a 1 KB value per request (examples/redis_baseline.rs).
if [[ "$STORE" == redis://* ]] && [ -z "${LOAD_URL:-}" ]; then
  kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true
  # With LOAD_BIN, the baseline binary beside it when there is one (no build).
  BASELINE="$(dirname "${LOAD_BIN:-x}")/redis_baseline"
  if [ -z "${LOAD_BIN:-}" ] || [ ! -x "$BASELINE" ]; then
    cargo build --release -q --example redis_baseline
    BASELINE="${CARGO_TARGET_DIR:-target}/release/examples/redis_baseline"
  fi
  BPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  TESSERA_WORKERS="$WORKERS" "$BASELINE" "127.0.0.1:$BPORT" "$STORE" &
  SERVER_PID=$!
  sleep 1
  echo "baseline: http://127.0.0.1:$BPORT (GET + SET of 1 KB per request) wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
  run_wrk scripts/load/baseline.lua "http://127.0.0.1:$BPORT" "$SERVER_PID"
fi
