# Shared by the browser test scripts (browser-test.sh, web-test.sh): installing a test folder's
# npm packages once per lock file, the server clean-up trap, a free loopback port, a health probe,
# starting the server.
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

# start_server LABEL FLOWS_DIR [VAR=value...]: the debug server on a free loopback port with
# the bots of FLOWS_DIR and the given environment, another try if the port was taken meanwhile.
# Sets PORT and SERVER_PID; exits when it cannot start.
start_server() {
  local label=$1 flows=$2 attempt
  shift 2
  for attempt in 1 2 3; do
    PORT=$(free_port)
    : >"$work/server.log"
    env "$@" target/debug/tessera serve --host 127.0.0.1 --port "$PORT" --flows "$flows" --store memory >"$work/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do
      if healthy "http://127.0.0.1:$PORT/healthz"; then return 0; fi
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    echo "$label: the server did not become healthy on port $PORT (try $attempt); its log:" >&2
    cat "$work/server.log" >&2
  done
  echo "$label: FAILED: could not start the server" >&2
  exit 1
}
