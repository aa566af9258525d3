#!/usr/bin/env bash
# Streams through Tessera against a local stand-in LLM (examples/load_streams/): STREAMS
# (default 1000) concurrent streams read directly from the stand-in, then through Tessera's
# streamMessage, then as many endless streams dropped after three chunks. Reports p50/p99 of
# the time to first token, the gap between chunks and the per-chunk latency for both, what
# Tessera adds (its figure minus the direct one), and the time from a client's disconnect to
# the stand-in seeing the upstream request closed.
#
#   scripts/load-streams.sh                                   # debug build, 1000 streams
#   STREAMS=50 scripts/load-streams.sh                        # a quick check
#   STREAMS_BIN=target/release/tessera STREAMS_CLIENT=target/release/examples/load_streams \
#     scripts/load-streams.sh
#
# STREAMS_GAP_MS (default 20) is the stand-in's cadence, STREAMS_CHUNKS (default 50) the chunks
# of a stream, STREAMS_ROUNDS (default 3) the streams each reader reads back to back (the
# readers' first streams start spread over one stream's duration, so STREAMS are in flight
# at once, not started in the same millisecond). The client binary is built in the profile of STREAMS_PROFILE (default: debug;
# `release` builds it with --release) unless STREAMS_CLIENT names one.
set -euo pipefail
cd "$(dirname "$0")/.."

STREAMS="${STREAMS:-1000}"
GAP_MS="${STREAMS_GAP_MS:-20}"
CHUNKS="${STREAMS_CHUNKS:-50}"
ROUNDS="${STREAMS_ROUNDS:-3}"
PROFILE="${STREAMS_PROFILE:-debug}"
TARGET="${CARGO_TARGET_DIR:-target}"
flag=(); [ "$PROFILE" = release ] && flag=(--release)

BIN="${STREAMS_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build -q "${flag[@]}" --bin tessera
  BIN="$TARGET/$PROFILE/tessera"
fi
CLIENT="${STREAMS_CLIENT:-}"
if [ -z "$CLIENT" ]; then
  cargo build -q "${flag[@]}" --example load_streams
  CLIENT="$TARGET/$PROFILE/examples/load_streams"
fi

# Every stream holds a socket in the client, the stand-in and (twice) Tessera.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
STUB_PORT=$(free_port)
DIR=$(mktemp -d)
cat >"$DIR/tessera.toml" <<EOF
http_allowed_hosts = ["127.0.0.1"]
log = "warn"

[limits]
per_ip_per_sec = 0
per_session_per_sec = 0
max_connections = $((STREAMS * 2 + 256))

[[credentials]]
id = "load"
type = "openai"
data = { baseUrl = "http://127.0.0.1:$STUB_PORT/v1" }
env = { apiKey = "LOAD_STREAMS_API_KEY" }
EOF
export TESSERA_API_TOKEN="load-streams-$RANDOM$RANDOM"
LOAD_STREAMS_API_KEY=sk-load "$BIN" serve --config "$DIR/tessera.toml" \
  --host 127.0.0.1 --port "$PORT" --store memory &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done

echo "load-streams: $BIN at $URL, client $CLIENT, stand-in on port $STUB_PORT"
"$CLIENT" "$URL" "$STUB_PORT" "$STREAMS" "$GAP_MS" "$CHUNKS" "$ROUNDS"
