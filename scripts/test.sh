#!/usr/bin/env bash
# The one test command (README, CI): formatting, lints, unit + API + golden + store contract
# tests against memory, a real Redis and a real 3-master Redis Cluster, then the browser test
# with the published @typebot.io/js player in headless Chromium (a scripted chat, and an AI answer
# streamed into a bubble, a file upload and a wait-for-webhook), and the web test of Tessera's own
# player (scripts/web-test.sh); in between, the API fuzzer (scripts/api-fuzz.sh: schemathesis
# from openapi.yaml, memory and Redis).
set -euo pipefail
cd "$(dirname "$0")/.."

export TESSERA_TYPEBOT_CORPUS="${TESSERA_TYPEBOT_CORPUS:-$(cd .. && pwd)/shared/typebot-flows}"
if [ ! -d "$TESSERA_TYPEBOT_CORPUS/golden" ]; then
  echo "error: the Typebot corpus is not at $TESSERA_TYPEBOT_CORPUS (set TESSERA_TYPEBOT_CORPUS)" >&2
  exit 1
fi

for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing (apt-get install redis-server)" >&2; exit 1; }
done

# A single Redis for the store tests: TESSERA_TEST_REDIS_URL when it is set, else the one on
# 6379 if it answers, else our own on 6390. The store contract tests use the URL's database
# (0 unless it names one) with random key prefixes; the API tests use database 15.
OWN_REDIS=""
if [ -n "${TESSERA_TEST_REDIS_URL:-}" ]; then
  echo "store tests: Redis at $TESSERA_TEST_REDIS_URL"
elif redis-cli -p 6379 ping >/dev/null 2>&1; then
  export TESSERA_TEST_REDIS_URL="redis://127.0.0.1:6379"
else
  OWN_REDIS=$(mktemp -d)
  redis-server --port 6390 --bind 127.0.0.1 --save "" --appendonly no --dir "$OWN_REDIS" --daemonize yes --logfile "$OWN_REDIS/redis.log"
  export TESSERA_TEST_REDIS_URL="redis://127.0.0.1:6390"
fi
scripts/redis-cluster.sh start
export TESSERA_TEST_REDIS_CLUSTER_URL="$(scripts/redis-cluster.sh url)"
cleanup() {
  scripts/redis-cluster.sh stop || true
  if [ -n "$OWN_REDIS" ]; then redis-cli -p 6390 shutdown nosave >/dev/null 2>&1 || true; rm -rf "$OWN_REDIS"; fi
}
trap cleanup EXIT

# The SMTP stand-in of the email tests (tests/integrations/smtp_recorder.py).
python3 -c "import aiosmtpd" 2>/dev/null || python3 -m pip install --quiet aiosmtpd
# The API fuzzer (schemathesis 4.32.5, pinned) is installed by scripts/api-fuzz.sh itself, in
# a virtualenv under target/ on the newest Python it finds (see there why).
# The S3 stand-in of the upload tests (tests/integrations/uploads.rs): moto in server mode.
python3 -c "import moto.server" 2>/dev/null || python3 -m pip install --quiet 'moto[server]'

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
# schemathesis against the built server, from openapi.yaml: about a minute per store.
# A fixed seed (the one that passed when it was set): the same cases every run, so CI
# fails on a change, not on the draw. FUZZ_SEED= (empty) draws anew.
FUZZ_SEED="${FUZZ_SEED-20261203}" FUZZ_MAX_TIME="${FUZZ_MAX_TIME:-60}" scripts/api-fuzz.sh
scripts/browser-test.sh
scripts/browser-ai-test.sh
scripts/browser-hooks-test.sh
scripts/web-test.sh
