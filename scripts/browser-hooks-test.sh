#!/usr/bin/env bash
# Browser test of uploads and wait-for-webhook: the published @typebot.io/js player (tests/browser,
# as in scripts/browser-test.sh) uploads a file through a file input (generate-upload-url, then
# the presigned PUT to Tessera's directory storage), then waits on a "wait for webhook" block
# listening on Tessera's own WebSocket room (wsHost = the server); the test calls executeWebhook
# and the player continues with the mapped variable. Bot: tests/browser/hooks-bot.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
SHOT="${BROWSER_TEST_SHOT:-target/browser-test/hooks.png}"
[ -x "$CHROMIUM_PATH" ] && command -v node >/dev/null && command -v npm >/dev/null || {
  echo "browser hooks test: FAILED: chromium, node and npm are needed" >&2
  exit 1
}
cargo build --quiet --bin tessera
source scripts/lib/browser.sh
npm_ci_once "browser hooks test" tests/browser @typebot.io/js/dist/web.js
mkdir "$work/flows" "$work/uploads"
cp tests/browser/hooks-bot.json "$work/flows/"
export PLAYER_API_TOKEN="browser-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
start_server "browser hooks test" "$work/flows" TESSERA_API_TOKEN="$PLAYER_API_TOKEN" TESSERA_UPLOADS_DIR="$work/uploads"
export PLAYER_WS_HOST="127.0.0.1:$PORT"
mkdir -p "$(dirname "$SHOT")"
status=0
node tests/browser/play.mjs "http://127.0.0.1:$PORT" browser-hooks tests/browser/hooks.steps.json "$SHOT" | tee "$work/play.out" || status=$?
uploaded=$(find "$work/uploads" -name receipt.txt | head -n1)
if [ "$status" -eq 0 ] && { [ -z "$uploaded" ] || [ "$(cat "$uploaded")" != "receipt 42" ]; }; then
  echo "browser hooks test: FAILED: the uploaded file is not in the storage" >&2
  status=1
fi
if [ "$status" -ne 0 ] || ! tail -n1 "$work/play.out" | grep -q '^OK '; then
  echo "--- server log (last 60 lines) ---"
  tail -n 60 "$work/server.log" | sed 's/\x1b\[[0-9;]*m//g'
  echo "browser hooks test: FAILED: $(tail -n1 "$work/play.out")"
  exit 1
fi
echo "browser hooks test: $(tail -n1 "$work/play.out") (uploaded: ${uploaded#"$work/"})"
