# Shared by the Redis load scripts (load-timers.sh, load-triggers.sh): the tools they need, a
# free loopback port, and a private redis-server on one (its own temporary directory, AOF with
# fsync every second: the usual production setting; docs/REDIS.md has the one that loses no
# acknowledged write, appendfsync always), shut down with the servers in PIDS on exit.
# Source it from the repository root; it sets DIR (the temporary directory), RPORT (the
# private Redis's port: LOAD_REDIS_PORT, else a free one) and PIDS (add the pids of the processes to stop), then starts Redis.

# need_tools CMD...: exits unless every command is on the PATH.
need_tools() {
  for c in "$@"; do
    command -v "$c" >/dev/null || { echo "$c is missing" >&2; exit 1; }
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

need_tools redis-server redis-cli python3
DIR=$(mktemp -d)
RPORT=${LOAD_REDIS_PORT:-$(free_port)}
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$DIR" --appendonly yes \
  --appendfsync everysec --save '' --daemonize yes --logfile "$DIR/redis.log"
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
