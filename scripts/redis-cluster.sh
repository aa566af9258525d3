#!/usr/bin/env bash
# A throw-away 3-master Redis Cluster on loopback, for the store contract tests.
#
#   scripts/redis-cluster.sh start   # (re)start it; prints the store URL
#   scripts/redis-cluster.sh stop    # stop it and remove its files
#   scripts/redis-cluster.sh url     # print redis+cluster://127.0.0.1:7101,...
#
# Environment: TESSERA_CLUSTER_PORTS (default "7101 7102 7103"), TESSERA_CLUSTER_HOST
# (default 127.0.0.1), TMPDIR. No persistence (appendonly no, save ""): data is test data.
# `start` stops leftovers of a previous run first, so it is safe to call repeatedly.
set -euo pipefail

HOST="${TESSERA_CLUSTER_HOST:-127.0.0.1}"
read -r -a PORTS <<<"${TESSERA_CLUSTER_PORTS:-7101 7102 7103}"
DIR="${TMPDIR:-/tmp}/tessera-redis-cluster"

die() { echo "redis-cluster: $*" >&2; exit 1; }

url() {
  local nodes=()
  for p in "${PORTS[@]}"; do nodes+=("$HOST:$p"); done
  local IFS=,
  echo "redis+cluster://${nodes[*]}"
}

stop() {
  for p in "${PORTS[@]}"; do
    local pidfile="$DIR/$p/redis.pid"
    if [[ -f "$pidfile" ]]; then
      local pid
      pid="$(cat "$pidfile")"
      # Only signal the process if it is the redis-server we started (pid files can go stale).
      if [[ -n "$pid" ]] && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
      fi
    elif redis-cli -h "$HOST" -p "$p" ping >/dev/null 2>&1; then
      # A server on our port without our pid file: ask it to stop (it may be a leftover whose
      # directory was removed). Never kill processes we cannot attribute.
      redis-cli -h "$HOST" -p "$p" shutdown nosave >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$DIR"
}

start() {
  command -v redis-server >/dev/null || die "redis-server is not installed"
  command -v redis-cli >/dev/null || die "redis-cli is not installed"
  stop
  mkdir -p "$DIR"
  for p in "${PORTS[@]}"; do
    mkdir -p "$DIR/$p"
    redis-server --port "$p" --bind "$HOST" --daemonize yes \
      --dir "$DIR/$p" --pidfile "$DIR/$p/redis.pid" --logfile "$DIR/$p/redis.log" \
      --cluster-enabled yes --cluster-config-file "$DIR/$p/nodes.conf" --cluster-node-timeout 2000 \
      --appendonly no --save "" >/dev/null
  done
  for p in "${PORTS[@]}"; do
    for _ in $(seq 100); do
      redis-cli -h "$HOST" -p "$p" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    redis-cli -h "$HOST" -p "$p" ping >/dev/null 2>&1 || die "node $p did not start (see $DIR/$p/redis.log)"
  done
  local nodes=()
  for p in "${PORTS[@]}"; do nodes+=("$HOST:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 \
    || die "cluster create failed (see $DIR/create.log)"
  for _ in $(seq 100); do
    local ok=1
    for p in "${PORTS[@]}"; do
      redis-cli -h "$HOST" -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=0
    done
    if [[ $ok == 1 ]]; then
      url
      return 0
    fi
    sleep 0.1
  done
  die "cluster_state did not become ok (see $DIR/*/redis.log)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
