#!/usr/bin/env bash
# Two server builds side by side, for "did this change make a turn dearer?": interleaved rounds
# of scripts/load-test.sh (continueChat alone, LOAD_MODE=continue) on the memory store and on
# Redis, each build in turn, so that the machine's drift hits both alike. Prints each run's
# turns/s, latency percentiles and CPU per request (server, redis-server), then the Redis
# baseline of that round (one GET + SET of 1 KB per request).
#
#   scripts/compare-builds.sh OLD_BIN NEW_BIN            # 3 rounds of 10 s per case
#   COMPARE_ROUNDS=5 LOAD_DURATION=20s scripts/compare-builds.sh old/tessera target/release/tessera
#
# Redis: COMPARE_REDIS (default redis://127.0.0.1:6379/5), flushed before each run; the baseline
# run after each uses the redis_baseline binary beside that build's tessera when there is one. Stop other
# redis-server processes first (the CPU line reads the first one it finds).
set -euo pipefail
cd "$(dirname "$0")/.."
OLD="${1:?usage: scripts/compare-builds.sh OLD_BIN NEW_BIN}"
NEW="${2:?usage: scripts/compare-builds.sh OLD_BIN NEW_BIN}"
ROUNDS="${COMPARE_ROUNDS:-3}"
REDIS="${COMPARE_REDIS:-redis://127.0.0.1:6379/5}"
export LOAD_MODE=continue LOAD_DURATION="${LOAD_DURATION:-10s}" LOAD_CONNECTIONS="${LOAD_CONNECTIONS:-32}"
db="${REDIS##*/}"
for round in $(seq "$ROUNDS"); do
  for store in memory "$REDIS"; do
    for build in old new; do
      bin=$OLD; [ "$build" = new ] && bin=$NEW
      [ "$store" = memory ] || redis-cli -n "$db" flushdb >/dev/null
      echo "== round $round, $build, store $store"
      LOAD_BIN="$bin" LOAD_STORE="$store" scripts/load-test.sh 2>/dev/null \
        | grep -E "^(turns|latency|errors|cpu|baseline)" | sed "s/^/   /"
    done
  done
done
