#!/usr/bin/env bash
# API fuzzing from the spec (issue 15, item 1): schemathesis generates requests from
# openapi.yaml against the real server binary, once on the in-memory store and once on a Redis
# of its own, with every check (no 5xx, status codes / headers / bodies as the spec declares,
# schema-valid requests accepted, schema-invalid ones rejected, 405 for undeclared methods, a
# deleted resource no longer readable, ...) and the stateful phase, which follows the spec's
# `links` (startChat's sessionId into continueChat and clientLogs, an execution into
# resume/get/abort, a publish into get/unpublish, credentials into get/delete).
#
#   scripts/api-fuzz.sh                       # both stores, FUZZ_MAX_TIME seconds each (CI)
#   FUZZ_STORES=memory scripts/api-fuzz.sh    # one store
#   FUZZ_MAX_TIME=900 FUZZ_MAX_EXAMPLES=2000 scripts/api-fuzz.sh   # a long run
#   FUZZ_BIN=target/release/tessera scripts/api-fuzz.sh            # that binary (no build)
#
# The configuration (auth header, the published bots' ids the generator mixes into path
# parameters, documented semantic refusals) is scripts/api-fuzz/schemathesis.toml. Exits
# non-zero when any check failed on any store, or the server logged a panic. Each store's
# report is in $FUZZ_OUT (a temporary directory unless set): cases generated and failures.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
STORES="${FUZZ_STORES:-memory redis}"
MAX_TIME="${FUZZ_MAX_TIME:-60}"
WORKERS="${FUZZ_WORKERS:-2}"
OUT="${FUZZ_OUT:-$(mktemp -d)}"
mkdir -p "$OUT"

if ! command -v schemathesis >/dev/null || ! schemathesis --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

BIN="${FUZZ_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build -q --bin tessera
  BIN="${CARGO_TARGET_DIR:-target}/debug/tessera"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SERVER_PID=""
REDIS_PORT=""
REDIS_DIR=""
stop_all() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi
  if [ -n "$REDIS_PORT" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; REDIS_PORT=""; fi
  if [ -n "$REDIS_DIR" ]; then rm -rf "$REDIS_DIR"; REDIS_DIR=""; fi
}
trap stop_all EXIT

export FUZZ_TOKEN="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
failed=0
for store in $STORES; do
  case "$store" in
    memory) url=memory ;;
    redis)
      # A Redis of our own: the fuzzer writes thousands of keys and must share nothing.
      REDIS_DIR=$(mktemp -d)
      REDIS_PORT=$(free_port)
      redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$REDIS_DIR" --daemonize yes --logfile "$REDIS_DIR/redis.log"
      for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
      url="redis://127.0.0.1:$REDIS_PORT"
      ;;
    *) echo "FUZZ_STORES: unknown store $store (memory, redis)" >&2; exit 2 ;;
  esac
  port=$(free_port)
  log="$OUT/server-$store.log"
  # The abuse limits are lifted: the fuzzer is one client sending thousands of requests a
  # minute, and 429s would hide the routes from it (the limits have their own tests).
  TESSERA_API_TOKEN="$FUZZ_TOKEN" TESSERA_ENGINE_API_TOKEN="$FUZZ_TOKEN" \
    TESSERA_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')" \
    TESSERA_RATE_LIMIT_PER_IP=0 TESSERA_RATE_LIMIT_PER_SESSION=0 \
    TESSERA_LOG=warn "$BIN" serve --host 127.0.0.1 --port "$port" --flows flows --store "$url" >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "api-fuzz: $store store, ${MAX_TIME}s, server on port $port"
  args=(--checks all --max-time "$MAX_TIME" --workers "$WORKERS"
        --report junit --report-junit-path "$OUT/junit-$store.xml")
  [ -n "${FUZZ_MAX_EXAMPLES:-}" ] && args+=(--max-examples "$FUZZ_MAX_EXAMPLES")
  [ -n "${FUZZ_SEED:-}" ] && args+=(--seed "$FUZZ_SEED")
  rc=0
  schemathesis --config-file scripts/api-fuzz/schemathesis.toml run openapi.yaml \
    --url "http://127.0.0.1:$port" "${args[@]}" >"$OUT/schemathesis-$store.log" 2>&1 || rc=$?
  # The summary: phases, failures, cases generated.
  sed -n '/=== SUMMARY ===/,$p' "$OUT/schemathesis-$store.log"
  if [ "$rc" -ne 0 ]; then
    echo "api-fuzz: $store store FAILED (exit $rc); the failures:" >&2
    sed -n '/=== FAILURES ===/,/=== SUMMARY ===/p;/=== ERRORS ===/,/=== FAILURES ===/p' "$OUT/schemathesis-$store.log" | head -300 >&2
    failed=1
  fi
  if grep -q "panicked" "$log"; then
    echo "api-fuzz: the server panicked on the $store store:" >&2
    grep -A5 "panicked" "$log" | head -40 >&2
    failed=1
  fi
  stop_all
done
echo "api-fuzz: reports in $OUT"
exit "$failed"
