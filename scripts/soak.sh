#!/usr/bin/env bash
# Soak: whole conversations (scripts/load/conversation.lua) at 80% of the measured maximum
# throughput for SOAK_MINUTES (default 10) on one store, reporting per minute the answered
# turns/s, p99, errors and the server's resident memory. The maximum is measured first, in the
# same run, with the same connections.
#
#   scripts/soak.sh                                # memory store
#   SOAK_STORE=redis://127.0.0.1:6379 scripts/soak.sh
#   SOAK_MINUTES=2 SOAK_BIN=target/release/tessera scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

MINUTES="${SOAK_MINUTES:-10}"
STORE="${SOAK_STORE:-memory}"
SHARE="${SOAK_SHARE:-0.8}"
export LOAD_CONNECTIONS="${SOAK_CONNECTIONS:-32}" LOAD_THREADS=1
CORPUS="${TESSERA_TYPEBOT_CORPUS:-$(cd .. && pwd)/shared/typebot-flows}"

FLOWS=$(mktemp -d)
if [ -f "$CORPUS/templates/lead-gen.json" ]; then
  cp "$CORPUS/templates/lead-gen.json" "$FLOWS/"
  export LOAD_BOT=lead-gen LOAD_REPLIES="Hi!|John|john@example.com|Website dev|I need a new website"
else
  echo "soak: needs Typebot's lead-gen template (set TESSERA_TYPEBOT_CORPUS)" >&2; exit 1
fi

BIN="${SOAK_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release -q
  BIN="${CARGO_TARGET_DIR:-target}/release/tessera"
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The rate limits are off (one client address sending thousands of requests a second).
TESSERA_RATE_LIMIT_PER_IP="${TESSERA_RATE_LIMIT_PER_IP:-0}" \
TESSERA_RATE_LIMIT_PER_SESSION="${TESSERA_RATE_LIMIT_PER_SESSION:-0}" \
TESSERA_LOG=warn "$BIN" serve --host 127.0.0.1 --port "$PORT" --flows "$FLOWS" --store "$STORE" &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$FLOWS"; }
trap cleanup EXIT
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done

rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"; }
# The number after a label ("p99: 1.23" gives 1.23).
field() { grep -oE "$1" | head -1 | sed -E 's/^[^:]*: *//'; }

echo "soak: $URL store=$STORE connections=$LOAD_CONNECTIONS, ${MINUTES} min at ${SHARE} of the maximum"
out=$(wrk -t1 -c"$LOAD_CONNECTIONS" -d15s --latency -s scripts/load/conversation.lua "$URL")
max=$(echo "$out" | field '^turns/s: [0-9]+')
p50=$(echo "$out" | field 'p50: [0-9.]+')
echo "maximum: $max turns/s (p50 $p50 ms), RSS $(rss) MB"
# Little's law: each connection sends one request per (latency + pause); at the target rate a
# connection's period is connections / rate.
export LOAD_DELAY_MS
LOAD_DELAY_MS=$(python3 -c "c=$LOAD_CONNECTIONS; r=$max*$SHARE; print(max(0.0, c / r * 1000 - $p50))")
echo "pause per request: $LOAD_DELAY_MS ms"
printf '%-7s %-10s %-9s %-9s %-26s %s\n' minute turns/s p50_ms p99_ms errors rss_mb
errors_total=0
for m in $(seq "$MINUTES"); do
  out=$(wrk -t1 -c"$LOAD_CONNECTIONS" -d60s --latency -s scripts/load/conversation.lua "$URL")
  rate=$(echo "$out" | field '^turns/s: [0-9]+')
  p50=$(echo "$out" | field 'p50: [0-9.]+')
  p99=$(echo "$out" | field 'p99: [0-9.]+')
  err=$(echo "$out" | grep -oE '^errors: .*' | sed 's/^errors: //')
  printf '%-7s %-10s %-9s %-9s %-26s %s\n' "$m" "$rate" "$p50" "$p99" "$err" "$(rss)"
  # Server errors and socket errors; the script's `busy` 409s (a turn sent before the previous
  # answer arrived, see conversation.lua) are shown but not counted.
  n=$(echo "$err" | grep -oE '[0-9]+ (non-2xx|socket)' | awk '{s += $1} END {print s + 0}')
  errors_total=$((errors_total + n))
done
echo "errors in all: $errors_total"
[ "$errors_total" -eq 0 ]
