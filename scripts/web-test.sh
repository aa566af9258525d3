#!/usr/bin/env bash
# Web test: Tessera's own player (/embed.js, the bot pages, the index) in headless Chromium
# against a real Tessera server serving tests/web/flows: every embed mode, every input type,
# the seed's three triggers, the URL prefill, file uploads, media, streamed AI answers (against
# the stand-in OpenAI server of the AI tests), XSS payloads, axe-core, the size budget, and
# screenshots compared with tests/web/reference/ (tests/web/run.mjs says what each checks).
#
# Needs chromium (/usr/bin/chromium, or CHROMIUM_PATH), node and npm; .ci/run installs them.
# Screenshots go to $WEB_TEST_OUT (default target/web-test/); WEB_TEST_UPDATE=1 rewrites the
# references; arguments name the scenarios to run (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${WEB_TEST_OUT:-target/web-test}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$CHROMIUM_PATH" ] || missing+=("chromium ($CHROMIUM_PATH)")
command -v node >/dev/null || missing+=(node)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "web test: FAILED: missing ${missing[*]}; install them with: apt-get install -y chromium nodejs npm" >&2
  exit 1
fi

echo "web test: building the server"
cargo build --quiet --bin tessera

# playwright-core and axe-core, exactly as locked; reinstalled when the lock file changed.
source scripts/lib/browser.sh
npm_ci_once "web test" tests/web axe-core/axe.min.js

# The stand-in OpenAI server of the AI tests (tests/browser/llm_stub.mjs) for the streamed
# answers; the server gets its credentials (id browser-ai) from a config file.
export BROWSER_AI_KEY="sk-web-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
node tests/browser/llm_stub.mjs >"$work/stub.port" &
STUB_PID=$!
trap 'kill "$STUB_PID" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 50); do [ -s "$work/stub.port" ] && break; sleep 0.1; done
cat >"$work/tessera.toml" <<TOML
http_allowed_hosts = ["127.0.0.1"]

[[credentials]]
id = "browser-ai"
type = "openai"
data = { baseUrl = "http://127.0.0.1:$(cat "$work/stub.port")/v1" }
env = { apiKey = "BROWSER_AI_KEY" }
TOML

export WEB_TEST_TOKEN="web-test-token"
# The identity check is on: the host pages sign their user ids as a site's backend would.
export WEB_TEST_IDENTITY_SECRET="web-identity-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# Uploads (the file input scenario) go to the run's own directory.
mkdir "$work/uploads"
start_server "web test" tests/web/flows TESSERA_API_TOKEN="$WEB_TEST_TOKEN" TESSERA_IDENTITY_SECRET="$WEB_TEST_IDENTITY_SECRET" \
  TESSERA_CONFIG="$work/tessera.toml" TESSERA_UPLOADS_DIR="$work/uploads"

mkdir -p "$OUT"
echo "web test: $("$CHROMIUM_PATH" --version 2>/dev/null | tail -n1) against http://127.0.0.1:$PORT"
status=0
node tests/web/run.mjs "http://127.0.0.1:$PORT" "$OUT" "$@" | tee "$work/run.out" || status=$?
if [ "$status" -ne 0 ] || ! tail -n1 "$work/run.out" | grep -q '^OK '; then
  echo "--- server log (last 60 lines) ---"
  tail -n 60 "$work/server.log" | sed 's/\x1b\[[0-9;]*m//g'
  echo "web test: FAILED: $(tail -n1 "$work/run.out")"
  exit 1
fi
if grep -q "$BROWSER_AI_KEY" "$work/server.log"; then
  echo "web test: FAILED: the AI API key appears in the server log" >&2
  exit 1
fi
echo "web test: $(tail -n1 "$work/run.out")"
