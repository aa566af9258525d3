#!/usr/bin/env bash
# Browser test of streaming: the published @typebot.io/js player (tests/browser, as in
# scripts/browser-test.sh) streams an AI answer into a bubble. A stand-in OpenAI server
# (tests/browser/llm_stub.mjs, SSE like OpenAI's) runs on loopback; Tessera gets its
# credentials from a config file (the API key from an environment variable) and publishes
# tests/browser/ai-bot.json. The player asks a question, the answer streams through
# streamMessage into a bubble, and the next bubble shows the saved variable.
#
# Needs chromium (/usr/bin/chromium, or CHROMIUM_PATH), node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
SHOT="${BROWSER_TEST_SHOT:-target/browser-test/ai.png}"
[ -x "$CHROMIUM_PATH" ] && command -v node >/dev/null && command -v npm >/dev/null || {
  echo "browser AI test: FAILED: chromium, node and npm are needed" >&2
  exit 1
}
cargo build --quiet --bin tessera
if [ ! -f tests/browser/node_modules/@typebot.io/js/dist/web.js ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

export BROWSER_AI_KEY="sk-browser-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
node tests/browser/llm_stub.mjs >"$work/stub.port" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/stub.port" ] && break; sleep 0.1; done
STUB_PORT=$(cat "$work/stub.port")

mkdir "$work/flows"
cp tests/browser/ai-bot.json "$work/flows/"
cat >"$work/tessera.toml" <<TOML
http_allowed_hosts = ["127.0.0.1"]

[[credentials]]
id = "browser-ai"
type = "openai"
data = { baseUrl = "http://127.0.0.1:$STUB_PORT/v1" }
env = { apiKey = "BROWSER_AI_KEY" }
TOML

PORT=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
target/debug/tessera serve --host 127.0.0.1 --port "$PORT" --flows "$work/flows" --store memory --config "$work/tessera.toml" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.2
done

mkdir -p "$(dirname "$SHOT")"
status=0
node tests/browser/play.mjs "http://127.0.0.1:$PORT" browser-ai tests/browser/ai.steps.json "$SHOT" | tee "$work/play.out" || status=$?
if grep -q "$BROWSER_AI_KEY" "$work/server.log"; then
  echo "browser AI test: FAILED: the API key appears in the server log" >&2
  exit 1
fi
if [ "$status" -ne 0 ] || ! tail -n1 "$work/play.out" | grep -q '^OK '; then
  echo "--- server log (last 60 lines) ---"
  tail -n 60 "$work/server.log" | sed 's/\x1b\[[0-9;]*m//g'
  echo "browser AI test: FAILED: $(tail -n1 "$work/play.out")"
  exit 1
fi
echo "browser AI test: $(tail -n1 "$work/play.out")"
