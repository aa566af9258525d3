#!/usr/bin/env bash
# Start-up time with a large flows directory: writes N copies of a bot (lead-gen from the
# corpus, else the bundled lead-capture) under different ids and public ids, starts
# `tessera serve --flows DIR` and times, from the launch, the first successful startChat on the
# last bot. Prints the median of ROUNDS starts.
#
#   scripts/flows-startup.sh                     # 1,000 bots, 3 starts
#   FLOWS_BOTS=5000 FLOWS_ROUNDS=1 scripts/flows-startup.sh
#   FLOWS_BIN=/some/dir scripts/flows-startup.sh  # that directory's tessera, no build
set -euo pipefail
cd "$(dirname "$0")/.."
N="${FLOWS_BOTS:-1000}"
ROUNDS="${FLOWS_ROUNDS:-3}"
CORPUS="${TESSERA_TYPEBOT_CORPUS:-$(cd .. && pwd)/shared/typebot-flows}"
SRC="$CORPUS/templates/lead-gen.json"
[ -f "$SRC" ] || SRC=flows/lead-capture.json
BIN="${FLOWS_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release -q --bin tessera
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$SRC" "$WORK" "$N" "$BIN/tessera" "$ROUNDS" <<'PY'
import http.client, json, os, socket, statistics, subprocess, sys, time
src, work, n, tessera, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
bot = json.load(open(src))
for i in range(n):
    bot["id"], bot["publicId"] = f"bot-{i:05}", f"bot-{i:05}"
    json.dump(bot, open(os.path.join(work, f"bot-{i:05}.json"), "w"))
last = f"bot-{n - 1:05}"
times = []
for _ in range(rounds):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    t0 = time.monotonic()
    p = subprocess.Popen([tessera, "serve", "--host", "127.0.0.1", "--port", str(port),
                          "--flows", work, "--store", "memory"],
                         env={**os.environ, "TESSERA_LOG": "warn", "TESSERA_RATE_LIMIT_PER_IP": "0"}, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("POST", f"/api/v1/typebots/{last}/startChat", body="{}",
                          headers={"Content-Type": "application/json"})
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - t0 > 60:
                sys.exit("no answer within 60 s")
            time.sleep(0.005)
        times.append(time.monotonic() - t0)
    finally:
        p.terminate(); p.wait()
print(f"{n} bots: first startChat answered {statistics.median(times) * 1000:.0f} ms after launch "
      f"(median of {rounds}: {', '.join(f'{t * 1000:.0f}' for t in times)} ms)")
PY
