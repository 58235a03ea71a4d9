# Shared by bench/watch/run.sh and bench/admission/run.sh (sourced): a work directory, a fresh PostgreSQL
# database, `tugboat server` on a free loopback port, and a cleanup that stops what was started (the server, then
# every pid in PIDS) and drops the database. Before sourcing: NAME (bench-<name>), ROOT; set -euo pipefail.
JAR=${BENCH_JAR:-$ROOT/target/tugboat.jar}
JAVA_OPTS_=${BENCH_JAVA_OPTS:-}
SERVER_ARGS=${BENCH_SERVER_ARGS:-}
PGHOST_=${BENCH_PGHOST:-127.0.0.1}
PGPORT_=${BENCH_PGPORT:-5432}
PGUSER_=${BENCH_PGUSER:-postgres}
DB="bench_${NAME//-/_}_$(date +%Y%m%d%H%M%S)_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-$NAME.XXXXXX")
PIDS=()
SERVER_PID=""
DB_CREATED=0
DISCARD=() # paths under WORK removed even when the logs are kept (bulky data)

log() { printf '[bench-%s] %s\n' "$NAME" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$SERVER_PID" ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  [[ "$DB_CREATED" == 1 ]] && psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1
  if [[ "$rc" == 0 ]]; then
    rm -rf "$WORK"
  else
    log "logs kept in $WORK"
    for path in "${DISCARD[@]}"; do rm -rf "$path"; done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# require TOOL... : each on PATH, the jar built, PostgreSQL reachable
require() {
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"; done
  [[ -f "$JAR" ]] || make -C "$ROOT" build >&2 || die "build failed"
  psql_ -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL at $PGHOST_:$PGPORT_ is not reachable"
}

# machine NOTE : the header every benchmark prints
machine() {
  echo "== machine =="
  echo "cpus (nproc)   : $(nproc), $(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "load average   : $(load) (at start)"
  echo "java           : $(java -version 2>&1 | head -1)"
  echo "postgresql     : $(psql_ -d postgres -Atc 'SHOW server_version') at $PGHOST_:$PGPORT_"
  echo "note           : $1"
  echo
}

create_database() {
  psql_ -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null || die "could not create database $DB"
  DB_CREATED=1
}

# start_server PORT DB_URL ARGS... : tugboat server on 127.0.0.1:PORT (re-scan off), waits until ready
start_server() {
  local port=$1 url=$2
  shift 2
  # shellcheck disable=SC2086 # word splitting of the user's extra options is intended
  java $JAVA_OPTS_ -jar "$JAR" server --set "db.url=$url" --set http.host=127.0.0.1 --set "http.port=$port" \
    --set inventory.rescanInterval=0 "$@" $SERVER_ARGS > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$WORK/server.log" >&2; die "server exited during start"; }
    sleep 0.1
  done
  die "server not ready (see $WORK/server.log)"
}
