#!/usr/bin/env bash
# Browser test: the published @typebot.io/js web player (from the npm registry, pinned in
# tests/browser/package-lock.json) runs in headless Chromium against a real Tessera server and
# plays tests/browser/demo.steps.json through flows/browser-demo.json: text, choice, email (with
# a retry) and rating inputs, the CORS preflights, and the final redirect.
#
# Needs chromium (/usr/bin/chromium, or CHROMIUM_PATH), node and npm; .ci/run installs them.
# Screenshots go to $BROWSER_TEST_SHOT (default target/browser-test/demo.png); BROWSER_TEST_STEPS
# plays another script.
set -euo pipefail
cd "$(dirname "$0")/.."

BOT=browser-demo
STEPS="${BROWSER_TEST_STEPS:-tests/browser/demo.steps.json}"
SHOT="${BROWSER_TEST_SHOT:-target/browser-test/demo.png}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

missing=()
[ -x "$CHROMIUM_PATH" ] || missing+=("chromium ($CHROMIUM_PATH)")
command -v node >/dev/null || missing+=(node)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "browser test: FAILED: missing ${missing[*]}; install them with: apt-get install -y chromium nodejs npm" >&2
  exit 1
fi
[ -f "flows/$BOT.json" ] || { echo "browser test: FAILED: flows/$BOT.json is missing" >&2; exit 1; }

echo "browser test: building the server"
cargo build --quiet --bin tessera

# The player and playwright-core, exactly as locked; reinstalled when the lock file changed.
source scripts/lib/browser.sh
npm_ci_once "browser test" tests/browser @typebot.io/js/dist/web.js

# Start the server on a free loopback port (another try if the port was taken meanwhile).
start_server "browser test" flows

mkdir -p "$(dirname "$SHOT")"
echo "browser test: player @typebot.io/js $(node -p 'require("./tests/browser/node_modules/@typebot.io/js/package.json").version') in $("$CHROMIUM_PATH" --version 2>/dev/null | tail -n1) against http://127.0.0.1:$PORT"
status=0
node tests/browser/play.mjs "http://127.0.0.1:$PORT" "$BOT" "$STEPS" "$SHOT" | tee "$work/play.out" || status=$?
if [ "$status" -ne 0 ] || ! tail -n1 "$work/play.out" | grep -q '^OK '; then
  echo "--- server log (last 100 lines) ---"
  tail -n 100 "$work/server.log" | sed 's/\x1b\[[0-9;]*m//g'
  echo "browser test: FAILED: $(tail -n1 "$work/play.out")"
  exit 1
fi
echo "browser test: $(tail -n1 "$work/play.out")"
