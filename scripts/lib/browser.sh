# Shared by the browser test scripts (browser-test.sh, web-test.sh): installing a test folder's
# npm packages once per lock file, the server clean-up trap, a free loopback port, a health probe.
# Source it from the repository root; it sets `work` (a temporary directory) and `SERVER_PID`.

# npm_ci_once LABEL DIR FILE: `npm ci` in DIR unless its node_modules match its lock file and
# FILE (a file the test needs) is there.
npm_ci_once() {
  local label=$1 dir=$2 needed=$3 lock_sum stamp
  lock_sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  stamp="$dir/node_modules/.tessera-lock-sha256"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ] || [ ! -f "$dir/node_modules/$needed" ]; then
    echo "$label: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" >"$stamp"
  fi
}

work=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
healthy() {
  node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}
