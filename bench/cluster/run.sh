#!/usr/bin/env bash
# Cluster benchmark (see README.md, "Running a cluster"). In one run, on one fresh PostgreSQL database:
#   1. the ingest load of bench-ingest (wrk + bench/ingest/post-events.lua, POST /dockerRegistry/event, 10 events
#      per request) through haproxy against ONE clustered Tugboat node: events/s, p50/p99, and the CPU time the
#      Tugboat processes spent per 1,000 events (a figure other work on the machine does not distort much);
#   2. the same load through haproxy against THREE clustered nodes (the first one plus two that join it);
#   3. the same load against ONE node again (the other two stopped), so a change in the machine's other load
#      during the run shows as a difference between 1 and 3;
#   4. failover: a 300 MiB transfer job to 2 targets, kill -9 of the node running it, seconds until another node
#      holds the job's lease (resumed) and until it is FINISHED; default lease settings.
# Every acknowledged event is checked to be stored (as bench-ingest does).
#
# Environment (all optional):
#   BENCH_DURATION=30s BENCH_WARMUP=20s BENCH_THREADS=2 BENCH_CONNECTIONS=32 BENCH_TIMEOUT=5s   wrk load
#   BENCH_WARMUP_3=60s   warm-up before the 3-node phase (two fresh JVMs get a third of the load each)
#   BENCH_RATE=          paced load (events/s in all), as bench-ingest; empty = as fast as possible
#   BENCH_JAVA_OPTS=-Xmx512m   JVM options of each node
#   BENCH_SERVER_ARGS=   extra server arguments for every node
#   BENCH_PGHOST=127.0.0.1 BENCH_PGPORT=5432 BENCH_PGUSER=postgres   BENCH_JAR=target/tugboat.jar
#   BENCH_SKIP_FAILOVER=0  1 = phases 1 and 2 only
# Exit: 0 ok, 1 storage check failed, 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-30s}
WARMUP=${BENCH_WARMUP:-20s}
WARMUP_3=${BENCH_WARMUP_3:-60s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
WRK_TIMEOUT=${BENCH_TIMEOUT:-5s}
RATE=${BENCH_RATE:-}
JAVA_OPTS_=${BENCH_JAVA_OPTS:--Xmx512m}
SERVER_ARGS=${BENCH_SERVER_ARGS:-}
PGHOST_=${BENCH_PGHOST:-127.0.0.1}
PGPORT_=${BENCH_PGPORT:-5432}
PGUSER_=${BENCH_PGUSER:-postgres}
JAR=${BENCH_JAR:-$ROOT/target/tugboat.jar}
SKIP_FAILOVER=${BENCH_SKIP_FAILOVER:-0}
EVENTS_PER_REQUEST=10
STAMP=$(date +%Y%m%d%H%M%S)
DB="bench_cluster_${STAMP}_$$"
CLUSTER="bench-${STAMP}-$$"
TICKS=$(getconf CLK_TCK)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-cluster.XXXXXX")
declare -a NODE_PID NODE_HTTP NODE_HZ NODE_EB
PIDS=()          # registries and haproxy
HAPROXY_PID=""
DB_CREATED=0

log() { printf '[bench-cluster] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

cleanup() {
  local rc=$?
  set +e
  for pid in "${NODE_PID[@]:-}"; do [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null; done
  [[ -n "$HAPROXY_PID" ]] && kill "$HAPROXY_PID" 2>/dev/null
  for pid in "${PIDS[@]:-}"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [[ "$DB_CREATED" == 1 ]] && psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$WORK/layout" "$WORK"/*/storage
  log "logs kept in $WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in java wrk psql curl awk python3 /usr/sbin/haproxy docker-registry skopeo; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (scripts/prepare-test-env.sh installs it)"
done
[[ -f "$JAR" ]] || make -C "$ROOT" build >&2 || die "build failed"

CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
MEM_GIB=$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo "?")
PG_VERSION=$(psql_ -d postgres -Atc 'SHOW server_version' 2>/dev/null) || die "PostgreSQL at $PGHOST_:$PGPORT_ unreachable"
echo "== machine =="
echo "cpus (nproc)   : $(nproc)"
echo "cpu model      : ${CPU_MODEL:-unknown}"
echo "memory         : ${MEM_GIB} GiB"
echo "load average   : $(cut -d' ' -f1-3 /proc/loadavg) (before the run)"
echo "java           : $(java -version 2>&1 | head -1)"
echo "postgresql     : $PG_VERSION at $PGHOST_:$PGPORT_"
echo "haproxy        : $(/usr/sbin/haproxy -v | head -1)"
echo "note           : wrk, haproxy, the nodes and PostgreSQL share these CPUs"
echo

psql_ -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null || die "could not create database $DB"
DB_CREATED=1
DB_URL="postgresql://${PGUSER_}@${PGHOST_}:${PGPORT_}/${DB}"
for i in 1 2 3; do NODE_HTTP[$i]=$(free_port); NODE_HZ[$i]=$(free_port); NODE_EB[$i]=$(free_port); done
MEMBERS="127.0.0.1:${NODE_HZ[1]},127.0.0.1:${NODE_HZ[2]},127.0.0.1:${NODE_HZ[3]}"

# ---------------------------------------------------------------- nodes and the load balancer
start_node() { # i
  local i=$1
  # shellcheck disable=SC2086 # the user's extra options are meant to be split
  java @conf/jvm.args $JAVA_OPTS_ -jar "$JAR" server --cluster \
    --set "db.url=$DB_URL" --set http.host=127.0.0.1 --set "http.port=${NODE_HTTP[$i]}" \
    --set cluster.host=127.0.0.1 --set "cluster.name=$CLUSTER" --set "cluster.port=${NODE_HZ[$i]}" \
    --set "cluster.eventBusPort=${NODE_EB[$i]}" --set "cluster.members=$MEMBERS" --set cluster.drainDelay=0s \
    --set inventory.rescanInterval=0 --set transfer.parallelBlobs=1 $SERVER_ARGS >"$WORK/node$i.log" 2>&1 &
  NODE_PID[$i]=$!
}

await_ready() { # i
  local i=$1 deadline=$((SECONDS + 120))
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${NODE_HTTP[$i]}/health/ready" 2>/dev/null; do
    kill -0 "${NODE_PID[$i]}" 2>/dev/null || { tail -n 30 "$WORK/node$i.log" >&2; die "node $i exited"; }
    ((SECONDS < deadline)) || die "node $i not ready within 120 s"
    sleep 0.5
  done
}

members() { # i -> number of members node i lists
  curl -fsS --max-time 5 "http://127.0.0.1:${NODE_HTTP[$1]}/api/v1/cluster" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["members"]))'
}

join_two() { # starts nodes 2 and 3, waits until the three form one cluster, balances over them
  start_node 2; start_node 3; await_ready 2; await_ready 3
  local deadline=$((SECONDS + 60))
  until [[ "$(members 1)" == 3 && "$(members 2)" == 3 && "$(members 3)" == 3 ]]; do
    ((SECONDS < deadline)) || die "the 3 nodes did not form one cluster"
    sleep 0.5
  done
  haproxy_with 1 2 3
}

LB_PORT=$(free_port)
haproxy_with() { # node indexes...
  [[ -z "$HAPROXY_PID" ]] || { kill "$HAPROXY_PID"; wait "$HAPROXY_PID" 2>/dev/null || true; }
  { sed 's|^  bind :8080|  bind 127.0.0.1:'"$LB_PORT"'|; /^resolvers docker/,/^$/d; s/ resolvers docker init-addr libc,none//; /^  server /d' \
      docker/haproxy.cfg
    for i in "$@"; do echo "  server node$i 127.0.0.1:${NODE_HTTP[$i]} check"; done; } >"$WORK/haproxy.cfg"
  /usr/sbin/haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  local deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$LB_PORT/health/ready" 2>/dev/null; do
    ((SECONDS < deadline)) || die "haproxy not answering"
    sleep 0.3
  done
  sleep 3 # every server checked (inter 1s, rise 1)
}

# ---------------------------------------------------------------- the ingest load
wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --timeout "$WRK_TIMEOUT" --latency -s "$ROOT/bench/ingest/post-events.lua")
PACING="as fast as possible"
if [[ -n "$RATE" ]]; then
  export BENCH_DELAY_MS=$((CONNECTIONS * EVENTS_PER_REQUEST * 1000 / RATE))
  PACING="paced to at most ~$RATE events/s"
fi
URL="http://127.0.0.1:$LB_PORT/dockerRegistry/event"
STORAGE=PASS

cpu_ticks() { # user + system ticks of the running nodes
  local sum=0 pid
  for pid in "${NODE_PID[@]:-}"; do
    [[ -n "$pid" && -r /proc/$pid/stat ]] || continue
    sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$sum"
}

load() { # phase nodes warm-up -> prints a summary row, sets EPS_<phase> P99_<phase> CPU_<phase>
  local phase=$1 count=$2 warmup=$3
  local run="r${phase}n${STAMP}"
  if [[ "$warmup" != 0 && "$warmup" != 0s ]]; then
    BENCH_RUN="w$run" wrk "${wrk_args[@]}" -d"$warmup" "$URL" >"$WORK/warmup-$phase.txt" 2>&1 || die "warm-up failed"
  fi
  local before loadavg
  before=$(cpu_ticks); loadavg=$(cut -d' ' -f1 /proc/loadavg)
  BENCH_RUN="$run" wrk "${wrk_args[@]}" -d"$DURATION" "$URL" >"$WORK/wrk-$phase.txt" 2>&1 || die "wrk failed"
  local ticks=$(($(cpu_ticks) - before))
  val() { sed -n "s/^BENCH $1=//p" "$WORK/wrk-$phase.txt" | tail -1; }
  local ok eps p50 p99 max non2xx errors stored cpu
  ok=$(val responses_200); eps=$(val events_per_s); p50=$(val latency_p50_ms); p99=$(val latency_p99_ms)
  max=$(val latency_max_ms); non2xx=$(val non2xx); errors=$(val socket_errors)
  cpu=$(awk -v t="$ticks" -v hz="$TICKS" -v n="$((ok * EVENTS_PER_REQUEST))" 'BEGIN { printf "%.0f", n ? t / hz * 1e6 / n : 0 }')
  sleep 2 # requests in flight when wrk stopped
  stored=$(psql_ -d "$DB" -Atc "SELECT count(*) FROM inventory_inbox WHERE id LIKE 'bench-${run}-%'")
  if ((stored < ok * EVENTS_PER_REQUEST)); then STORAGE=FAIL; fi
  printf '%-6s %-6s %-10s %-8s %-9s %-9s %-12s %-7s %-6s %s\n' "$phase" "$count" "$eps" "$p50" "$p99" "$max" \
    "$cpu" "$loadavg" "$non2xx" "$((ok * EVENTS_PER_REQUEST)) acked / $stored stored; socket errors $errors"
  printf -v "EPS_$phase" '%s' "$eps"
  printf -v "P99_$phase" '%s' "$p99"
  printf -v "CPU_$phase" '%s' "$cpu"
  # the load's manifest events name a registry that does not exist (127.0.0.1:5000), so their ingestion fails and is
  # retried with backoff for minutes: close this phase's off, so the next one does not also pay for its retries
  # (the nodes are claiming the same rows meanwhile: PostgreSQL may pick this statement as a deadlock victim)
  local attempt
  for attempt in 1 2 3 4 5; do
    psql_ -d "$DB" -c "UPDATE inventory_inbox SET state = 'FAILED', last_error = 'bench: closed after its phase'
      WHERE id LIKE 'bench-%${run}-%' AND state = 'PENDING'" >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "could not close off phase $phase"
}

log "starting node 1 (cluster $CLUSTER, database $DB)"
start_node 1; await_ready 1
haproxy_with 1
echo "== ingest through haproxy: wrk ${wrk_args[*]} -d$DURATION (warm-up $WARMUP), $EVENTS_PER_REQUEST events/request, $PACING =="
echo "   (cpu: CPU time of the Tugboat processes per 1,000 acknowledged events, ms; load: 1-min load average at the start)"
printf '%-6s %-6s %-10s %-8s %-9s %-9s %-12s %-7s %-6s %s\n' phase nodes "events/s" "p50 ms" "p99 ms" "max ms" \
  "cpu ms/1k" load non2xx storage
load a 1 "$WARMUP"

log "starting nodes 2 and 3 (joining node 1)"
join_two
load b 3 "$WARMUP_3" # the two new JVMs get a third of the load each: a longer warm-up for their JIT

log "stopping nodes 2 and 3 (SIGTERM)"
haproxy_with 1
for i in 2 3; do kill -TERM "${NODE_PID[$i]}"; done
for i in 2 3; do wait "${NODE_PID[$i]}" 2>/dev/null || true; NODE_PID[$i]=""; done
load c 1 "$WARMUP"
ratio=$(awk -v a="$EPS_b" -v b="$EPS_a" -v c="$EPS_c" 'BEGIN { printf "%.2f / %.2f", a / b, a / c }')
echo "3 nodes / 1 node (against phase a / phase c): ${ratio}x events/s; CPU per 1,000 events ${CPU_a} / ${CPU_b} / ${CPU_c} ms; storage check: $STORAGE"
echo

# ---------------------------------------------------------------- failover
if [[ "$SKIP_FAILOVER" != 1 ]]; then
  log "starting nodes 2 and 3 again for the failover"
  join_two
  registry() { # name -> REG=host:port
    local name=$1 port
    port=$(free_port)
    mkdir -p "$WORK/$name/storage"
    printf 'version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: "%s"}\nhttp: {addr: "127.0.0.1:%s"}\n' \
      "$WORK/$name/storage" "$port" >"$WORK/$name/config.yml"
    docker-registry serve "$WORK/$name/config.yml" >"$WORK/$name/log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && break; sleep 0.1; done
    REG="127.0.0.1:$port"
  }
  registry source; SRC=$REG; registry t1; T1=$REG; registry t2; T2=$REG
  log "pushing a 300 MiB image (6 random layers of 50 MiB) to $SRC"
  python3 - "$WORK/layout" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("layouts", "bench/transfer/make-layouts.py")
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
m.layout(sys.argv[1], "v1", lambda r: m.image(r, [50 * m.MIB] * 6, "amd64"))
PY
  skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$WORK/layout:v1" "docker://$SRC/bench/big:v1"
  rm -rf "$WORK/layout"
  job=$(curl -fsS -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$LB_PORT/api/distribute/image" \
    --data "{\"source\":{\"endpoint\":\"http://$SRC\",\"image\":\"bench/big\",\"ref\":\"v1\"},\"targets\":[{\"endpoint\":\"http://$T1\"},{\"endpoint\":\"http://$T2\"}]}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  status() { curl -fsS --max-time 5 "http://127.0.0.1:$LB_PORT/api/distribute/image/$job"; }
  str() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }                  # a string field of the job
  bytes() { grep -o '"bytes_done":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'; } # over both targets
  # progress is saved as blobs complete (one at a time: transfer.parallelBlobs=1): kill once 2 of the 6 layers
  # are on both targets, while the node still has 4 to go
  deadline=$((SECONDS + 120))
  until s=$(status) && (($(bytes <<<"$s") >= 4 * 50 * 1024 * 1024)); do
    ((SECONDS < deadline)) || die "transfer made no progress"
    sleep 0.05
  done
  holder=$(str node <<<"$s")
  victim=""
  for i in 1 2 3; do
    id=$(curl -fsS --max-time 5 "http://127.0.0.1:${NODE_HTTP[$i]}/api/v1/cluster" | str node)
    [[ "$id" == "$holder" ]] && victim=$i
  done
  [[ -n "$victim" && "$(str value <<<"$s")" == RUNNING ]] || die "no node holds job $job (state $(str value <<<"$s"))"
  kill -KILL "${NODE_PID[$victim]}"
  killed=$(now)
  NODE_PID[$victim]=""
  deadline=$((SECONDS + 120))
  until s=$(status) && node=$(str node <<<"$s") && [[ -n "$node" && "$node" != "$holder" ]]; do
    ((SECONDS < deadline)) || die "job $job not resumed within 120 s"
    sleep 0.05
  done
  resumed=$(now)
  until [[ "$(status | str value)" == FINISHED ]]; do
    ((SECONDS < deadline)) || die "job $job not finished"
    sleep 0.1
  done
  finished=$(now)
  same=FAIL
  src_digest=$(curl -fsSI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$SRC/v2/bench/big/manifests/v1" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}')
  for t in "$T1" "$T2"; do
    d=$(curl -fsSI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$t/v2/bench/big/manifests/v1" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}')
    [[ "$d" == "$src_digest" ]] && same=PASS || { same=FAIL; break; }
  done
  echo "== failover: 300 MiB to 2 targets, kill -9 of the node running it (node $victim), default lease settings =="
  echo "kill -9 -> resumed on $node : $(elapsed "$killed" "$resumed") s"
  echo "kill -9 -> FINISHED         : $(elapsed "$killed" "$finished") s"
  echo "attempts                    : $(status | grep -o '"attempts":[0-9]*' | head -1 | cut -d: -f2)"
  echo "digests identical           : $same"
fi

[[ "$STORAGE" == PASS ]] || exit 1
