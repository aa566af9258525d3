#!/usr/bin/env bash
# Resident memory of idle sessions in the memory store: starts the release server on its
# in-memory store, opens N conversations (startChat, each left waiting at its first input) and
# reads the server's VmRSS before and after.
#
#   scripts/mem-sessions.sh                 # 100,000 sessions of lead-gen (or lead-capture)
#   MEM_SESSIONS=20000 scripts/mem-sessions.sh
#   MEM_BIN=/some/dir scripts/mem-sessions.sh   # that directory's tessera, no build
set -euo pipefail
cd "$(dirname "$0")/.."
N="${MEM_SESSIONS:-100000}"
CORPUS="${TESSERA_TYPEBOT_CORPUS:-$(cd .. && pwd)/shared/typebot-flows}"
WORK=$(mktemp -d)
if [ -f "$CORPUS/templates/lead-gen.json" ]; then
  cp "$CORPUS/templates/lead-gen.json" "$WORK/"; BOT=lead-gen
else
  cp flows/lead-capture.json "$WORK/"; BOT=lead-capture
fi
BIN="${MEM_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release -q --bin tessera
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The rate limits are off (one client address opening thousands of sessions a second).
TESSERA_RATE_LIMIT_PER_IP=0 TESSERA_RATE_LIMIT_PER_SESSION=0 \
TESSERA_LOG=warn "$BIN/tessera" serve --host 127.0.0.1 --port "$PORT" --flows "$WORK" --store memory &
SP=$!
trap 'kill $SP 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$SP/status"; }
cat > "$WORK/open.py" <<'PY'
import http.client, sys
from concurrent.futures import ProcessPoolExecutor
port, n, bot = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def run(k):
    con = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(k):
        con.request("POST", f"/api/v1/typebots/{bot}/startChat", body="{}",
                    headers={"Content-Type": "application/json"})
        r = con.getresponse(); r.read()
        if r.status != 200:
            sys.exit(f"startChat: {r.status}")
    return k
with ProcessPoolExecutor(4) as ex:
    assert sum(ex.map(run, [n // 4 + (1 if i < n % 4 else 0) for i in range(4)])) == n
PY
python3 "$WORK/open.py" "$PORT" 400 "$BOT"  # warm-up: allocator arenas, caches
BEFORE=$(rss)
python3 "$WORK/open.py" "$PORT" "$N" "$BOT"
sleep 1
AFTER=$(rss)
echo "$N idle $BOT sessions (memory store): RSS $((BEFORE / 1024)) MB before, $((AFTER / 1024)) MB after;" \
  "$(( (AFTER - BEFORE) * 1024 / N )) bytes per session"
