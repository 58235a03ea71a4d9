#!/usr/bin/env bash
# Registry-notification ingestion benchmark for Tugboat (see README.md, "Benchmarks").
#
# Builds the jar if it is missing, creates a fresh PostgreSQL database, starts
# `tugboat server` on a free loopback port, warms up, drives
# POST /dockerRegistry/event with wrk + post-events.lua, checks in the database
# that every acknowledged event was stored, prints a summary with the targets
# and drops the database.
#
# Environment (all optional):
#   BENCH_DURATION=30s  BENCH_THREADS=2  BENCH_CONNECTIONS=32   wrk load
#   BENCH_WARMUP=5s     warm-up duration (0 = none)
#   BENCH_RATE=         paced load: about this many events/s in all (each connection waits
#                       CONNECTIONS*10*1000/RATE ms between requests); empty = as fast as possible
#   BENCH_TIMEOUT=5s    wrk --timeout (a slower response is a socket timeout)
#   BENCH_PATH=/dockerRegistry/event   (or /registry/event)
#   BENCH_JAR=target/tugboat.jar       jar to run (built with `make build` if missing)
#   BENCH_PORT=         HTTP port; empty = a free port chosen by the server (http.port=0)
#   BENCH_PGHOST=127.0.0.1 BENCH_PGPORT=5432 BENCH_PGUSER=postgres
#   BENCH_TOKEN=        when set: --set auth.webhookToken=<token> and requests carry the Bearer token
#   BENCH_SERVER_ARGS=  extra server arguments, e.g. "--set db.poolSize=16"
#   BENCH_JAVA_OPTS=    JVM options, e.g. "-Xmx1g"
#   BENCH_TARGET_EPS=5000 BENCH_TARGET_P99_MS=50   targets
#   BENCH_STRICT_TARGETS=0  1 = exit 3 when a target is missed
#   BENCH_STRICT_COUNT=0    1 = the storage check also demands stored == acknowledged exactly
#   BENCH_KEEP_DB=0         1 = do not drop the database at the end
#
# Exit status: 0 ok, 1 storage check failed, 2 setup error (build, database,
# server start, webhook missing, wrk), 3 target missed with BENCH_STRICT_TARGETS=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-30s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
RATE=${BENCH_RATE:-}
WARMUP=${BENCH_WARMUP:-5s}
WRK_TIMEOUT=${BENCH_TIMEOUT:-5s}
EVENT_PATH=${BENCH_PATH:-/dockerRegistry/event}
JAR=${BENCH_JAR:-$ROOT/target/tugboat.jar}
PORT=${BENCH_PORT:-}
PGHOST_=${BENCH_PGHOST:-127.0.0.1}
PGPORT_=${BENCH_PGPORT:-5432}
PGUSER_=${BENCH_PGUSER:-postgres}
TOKEN=${BENCH_TOKEN:-}
SERVER_ARGS=${BENCH_SERVER_ARGS:-}
JAVA_OPTS_=${BENCH_JAVA_OPTS:-}
TARGET_EPS=${BENCH_TARGET_EPS:-5000}
TARGET_P99_MS=${BENCH_TARGET_P99_MS:-50}
STRICT_TARGETS=${BENCH_STRICT_TARGETS:-0}
STRICT_COUNT=${BENCH_STRICT_COUNT:-0}
KEEP_DB=${BENCH_KEEP_DB:-0}
EVENTS_PER_REQUEST=10
READY_TIMEOUT_S=60

STAMP=$(date +%Y%m%d%H%M%S)
RUN="r${STAMP}$$"                     # [A-Za-z0-9] only: used in a LIKE pattern
DB="bench_ingest_${STAMP}_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-ingest.XXXXXX")
SERVER_LOG="$WORK/server.log"
WRK_OUT="$WORK/wrk.txt"
SERVER_PID=""
DB_CREATED=0

log() { printf '[bench-ingest] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$@"; }

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server did not stop within 15 s; killing pid $SERVER_PID"
      kill -KILL "$SERVER_PID" 2>/dev/null
    fi
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [[ "$DB_CREATED" == 1 ]]; then
    if [[ "$KEEP_DB" == 1 ]]; then
      log "keeping database $DB (BENCH_KEEP_DB=1)"
    else
      psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 \
        && log "dropped database $DB" || log "could not drop database $DB"
    fi
  fi
  log "logs kept in $WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in java wrk psql curl awk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done

# ---------------------------------------------------------------- machine
CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
NPROC=$(nproc)
MEM_GIB=$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo "?")
JAVA_VERSION=$(java -version 2>&1 | head -1 || true)
WRK_VERSION=$(wrk -v 2>&1 | head -1 | awk '{print $1, $2}' || true) # wrk -v exits 1
PG_VERSION=$(psql_ -d postgres -Atc 'SHOW server_version' 2>/dev/null || echo "unreachable")
[[ "$PG_VERSION" != "unreachable" ]] || die "PostgreSQL at $PGHOST_:$PGPORT_ (user $PGUSER_) is not reachable"

echo "== machine =="
echo "cpus (nproc)   : $NPROC"
echo "cpu model      : ${CPU_MODEL:-unknown}"
echo "memory         : ${MEM_GIB} GiB"
echo "kernel         : $(uname -sr)"
echo "java           : $JAVA_VERSION"
echo "postgresql     : $PG_VERSION at $PGHOST_:$PGPORT_"
echo "wrk            : $WRK_VERSION"
echo "note           : wrk, the server and PostgreSQL share these CPUs"
echo

# ---------------------------------------------------------------- build
if [[ ! -f "$JAR" ]]; then
  log "building $JAR (make build)"
  make -C "$ROOT" build || die "build failed"
  [[ -f "$JAR" ]] || die "$JAR still missing after make build"
fi

# ---------------------------------------------------------------- database
psql_ -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null || die "could not create database $DB"
DB_CREATED=1
log "created database $DB"

# ---------------------------------------------------------------- server
server_args=(server
  --set "db.url=postgresql://${PGUSER_}@${PGHOST_}:${PGPORT_}/${DB}"
  --set "http.host=127.0.0.1"
  --set "http.port=${PORT:-0}")
[[ -z "$TOKEN" ]] || server_args+=(--set "auth.webhookToken=$TOKEN")
# shellcheck disable=SC2206 # word splitting of the user's extra arguments is intended
[[ -z "$SERVER_ARGS" ]] || server_args+=($SERVER_ARGS)
# shellcheck disable=SC2086
java $JAVA_OPTS_ -jar "$JAR" "${server_args[@]}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
log "server pid $SERVER_PID, log $SERVER_LOG"

deadline=$((SECONDS + READY_TIMEOUT_S))
ready=0
while ((SECONDS < deadline)); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    tail -n 40 "$SERVER_LOG" >&2 || true
    die "server exited during start"
  fi
  if [[ -z "$PORT" ]]; then
    PORT=$(sed -n 's|.*Tugboat listening on https\{0,1\}://127\.0\.0\.1:\([0-9]\{1,5\}\).*|\1|p' "$SERVER_LOG" | head -1)
  fi
  if [[ -n "$PORT" ]] && curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${PORT}/health/ready" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.5
done
if [[ "$ready" != 1 ]]; then
  tail -n 40 "$SERVER_LOG" >&2 || true
  die "server not ready within ${READY_TIMEOUT_S} s"
fi
URL="http://127.0.0.1:${PORT}${EVENT_PATH}"
log "server ready on port $PORT"

# the webhook must exist: one probe envelope (its id does not match the run's LIKE pattern)
auth_header=()
[[ -z "$TOKEN" ]] || auth_header=(-H "Authorization: Bearer $TOKEN")
probe_status=$(curl -s -o "$WORK/probe.txt" -w '%{http_code}' --max-time 10 -X POST "${auth_header[@]}" \
  -H 'Content-Type: application/vnd.docker.distribution.events.v1+json' \
  --data-binary '{"events":[{"id":"probe-'"$RUN"'","timestamp":"2026-11-23T10:00:00.000000000Z","action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","length":1,"repository":"bench/probe","url":"http://127.0.0.1:5000/v2/bench/probe/manifests/sha256:0000000000000000000000000000000000000000000000000000000000000000","tag":"probe"},"request":{"id":"00000000-0000-4000-8000-000000000000","addr":"127.0.0.1:1","host":"127.0.0.1:5000","method":"PUT","useragent":"bench"},"actor":{},"source":{"addr":"bench:5000","instanceID":"00000000-0000-4000-8000-000000000000"}}]}' \
  "$URL" || true)
[[ "$probe_status" == 200 ]] || die "probe POST $URL answered ${probe_status:-nothing} (body: $(head -c 300 "$WORK/probe.txt" 2>/dev/null)); is the webhook implemented?"

# ---------------------------------------------------------------- load
wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --timeout "$WRK_TIMEOUT" --latency -s "$HERE/post-events.lua")
export BENCH_TOKEN="$TOKEN"
PACING="as fast as possible"
if [[ -n "$RATE" ]]; then
  [[ "$RATE" =~ ^[0-9]+$ && "$RATE" -gt 0 ]] || die "BENCH_RATE must be a positive number of events/s"
  export BENCH_DELAY_MS=$((CONNECTIONS * EVENTS_PER_REQUEST * 1000 / RATE))
  [[ "$BENCH_DELAY_MS" -ge 1 ]] || die "BENCH_RATE $RATE is too high to pace with $CONNECTIONS connections"
  PACING="paced to at most ~$RATE events/s ($BENCH_DELAY_MS ms between requests per connection)"
fi
if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
  log "warm-up: wrk ${wrk_args[*]} -d$WARMUP $URL"
  BENCH_RUN="w${RUN}" wrk "${wrk_args[@]}" -d"$WARMUP" "$URL" >"$WORK/warmup.txt" 2>&1 \
    || die "warm-up wrk failed: $(tail -n 5 "$WORK/warmup.txt")"
  log "warm-up: $(sed -n 's/^BENCH events_per_s=/events\/s /p' "$WORK/warmup.txt")"
fi

echo "== wrk =="
echo "wrk ${wrk_args[*]} -d$DURATION $URL   (run id $RUN)"
BENCH_RUN="$RUN" wrk "${wrk_args[@]}" -d"$DURATION" "$URL" 2>&1 | tee "$WRK_OUT" \
  || die "wrk failed"
echo

val() { sed -n "s/^BENCH $1=//p" "$WRK_OUT" | tail -1; }
REQUESTS=$(val requests); OK=$(val responses_200); NON2XX=$(val non2xx); OTHER2XX=$(val responses_other_2xx)
GENERATED=$(val requests_generated); SOCKET_ERRORS=$(val socket_errors); STATUSES=$(val non200_statuses)
EPS=$(val events_per_s); RPS=$(val requests_per_s)
P50=$(val latency_p50_ms); P90=$(val latency_p90_ms); P99=$(val latency_p99_ms); PMAX=$(val latency_max_ms)
[[ -n "$OK" && -n "$GENERATED" && -n "$EPS" && -n "$P99" ]] || die "could not read the BENCH lines of $WRK_OUT"
ACKED=$((OK * EVENTS_PER_REQUEST))
GENERATED_EVENTS=$((GENERATED * EVENTS_PER_REQUEST))

# ---------------------------------------------------------------- storage check
# Requests still in flight when wrk stops are processed (and stored) by the server
# but never counted as acknowledged: let them settle, bounded.
count_sql="SELECT count(*) FROM inventory_inbox WHERE id LIKE 'bench-${RUN}-%'"
STORED=$(psql_ -d "$DB" -Atc "$count_sql") || die "count query failed"
for _ in $(seq 1 20); do
  sleep 0.5
  again=$(psql_ -d "$DB" -Atc "$count_sql") || die "count query failed"
  [[ "$again" != "$STORED" ]] || break
  STORED=$again
done
# every envelope is stored whole: 10 rows per bench-<run>-<thread>-<n> prefix
PARTIAL=$(psql_ -d "$DB" -Atc "SELECT count(*) FROM (SELECT regexp_replace(id, '-[0-9]+\$', '') AS envelope
  FROM inventory_inbox WHERE id LIKE 'bench-${RUN}-%' GROUP BY 1 HAVING count(*) <> ${EVENTS_PER_REQUEST}) p") \
  || die "envelope query failed"
EXTRA=$((STORED - ACKED))
INFLIGHT_MAX=$(((GENERATED - REQUESTS) * EVENTS_PER_REQUEST))

STORAGE=PASS
STORAGE_WHY="every acknowledged event stored"
if ((STORED < ACKED)); then
  STORAGE=FAIL; STORAGE_WHY="$((ACKED - STORED)) acknowledged events are missing"
elif ((STORED > GENERATED_EVENTS)); then
  STORAGE=FAIL; STORAGE_WHY="more rows than events generated"
elif ((PARTIAL != 0)); then
  STORAGE=FAIL; STORAGE_WHY="$PARTIAL envelopes stored partially"
elif [[ "$STRICT_COUNT" == 1 ]] && ((STORED != ACKED)); then
  STORAGE=FAIL; STORAGE_WHY="stored != acknowledged (BENCH_STRICT_COUNT=1)"
elif ((EXTRA > 0)); then
  STORAGE_WHY="every acknowledged event stored; +$EXTRA stored from requests in flight when wrk stopped"
fi

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
EPS_RESULT=FAIL; ge "$EPS" "$TARGET_EPS" && EPS_RESULT=PASS
P99_RESULT=FAIL; lt "$P99" "$TARGET_P99_MS" && P99_RESULT=PASS

# ---------------------------------------------------------------- summary
row() { printf '%-30s %-22s %-12s %s\n' "$@"; }
echo "== summary: Tugboat registry-notification ingestion =="
echo "machine   : $NPROC CPUs (nproc), ${CPU_MODEL:-unknown}, ${MEM_GIB} GiB; PostgreSQL $PG_VERSION; same host as wrk"
echo "load      : wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP), POST $EVENT_PATH, $EVENTS_PER_REQUEST events/request (9 layers + 1 manifest), $PACING"
echo "run id    : $RUN   database: $DB"
row "metric" "value" "target" "result"
row "events/s (acknowledged)" "$EPS" ">= $TARGET_EPS" "$EPS_RESULT"
row "latency p99 (ms)" "$P99" "< $TARGET_P99_MS" "$P99_RESULT"
row "latency p50 / p90 / max (ms)" "$P50 / $P90 / $PMAX" "" ""
row "requests/s" "$RPS" "" ""
row "requests (200 / completed)" "$OK / $REQUESTS" "" ""
row "non-2xx / other 2xx" "$NON2XX / $OTHER2XX" "" "statuses: $STATUSES"
row "socket errors" "$SOCKET_ERRORS" "" ""
row "events acknowledged (200x10)" "$ACKED" "" ""
row "events stored (inbox rows)" "$STORED" "= acknowledged" "$STORAGE"
row "stored - acknowledged" "$EXTRA" "0..$INFLIGHT_MAX" "(in flight at stop)"
echo "storage   : $STORAGE ($STORAGE_WHY)"
echo "targets   : events/s $EPS_RESULT, p99 $P99_RESULT"

if [[ "$STORAGE" != PASS ]]; then
  exit 1
fi
if [[ "$STRICT_TARGETS" == 1 && ( "$EPS_RESULT" != PASS || "$P99_RESULT" != PASS ) ]]; then
  exit 3
fi
exit 0
