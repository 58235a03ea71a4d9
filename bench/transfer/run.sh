#!/usr/bin/env bash
# Transfer benchmark: skopeo copy (once per target) against one Tugboat job to 1 and to 3 targets.
#
# Starts four docker-registry processes on loopback (a source and three targets), pushes three images
# with skopeo (200 MiB in 5 layers, a 2-platform index, one 1 GiB layer), starts `tugboat server` on a
# fresh PostgreSQL database (127.0.0.1:5432), then per image times, in the same run:
#   skopeo copy --all --preserve-digests  to target 1, 2 and 3 (one after the other, as skopeo does)
#   one Tugboat job to target 1, and one to targets 1, 2 and 3 (submit -> FINISHED through the API)
# Each copy goes to a repository nothing was copied to before, so every blob really moves, and starts
# after a `sync`, so no copy pays for the previous one's disk writes.
# Tugboat's RSS is sampled every 100 ms during the 1 GiB copies (and VmHWM, the peak, at the end).
#
# Environment: BENCH_JAVA_OPTS (default -Xmx256m), BENCH_SERVER_ARGS (e.g. "--set transfer.parallelBlobs=6"),
# BENCH_PGHOST/PGPORT/PGUSER, BENCH_JAR.
# Exit: 0 ok (targets are reported, not enforced), 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
JAR=${BENCH_JAR:-$ROOT/target/tugboat.jar}
JAVA_OPTS_=${BENCH_JAVA_OPTS:--Xmx256m}
SERVER_ARGS=${BENCH_SERVER_ARGS:-}
PGHOST_=${BENCH_PGHOST:-127.0.0.1}
PGPORT_=${BENCH_PGPORT:-5432}
PGUSER_=${BENCH_PGUSER:-postgres}
DB="bench_transfer_$(date +%Y%m%d%H%M%S)_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-transfer.XXXXXX")
PIDS=()
SERVER_PID=""

log() { printf '[bench-transfer] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now() { date +%s.%N; }

cleanup() {
  set +e
  [[ -n "$SERVER_PID" ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  psql -X -q -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -c "DROP DATABASE IF EXISTS $DB" postgres >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ -f "$JAR" ]] || make build >&2 || die "build failed"
command -v skopeo >/dev/null && command -v docker-registry >/dev/null || die "needs skopeo and docker-registry"

registry() { # name -> starts a registry, sets REG to its host:port (no subshell: its pid must reach PIDS)
  local name=$1 port
  port=$(free_port)
  mkdir -p "$WORK/$name/storage"
  cat > "$WORK/$name/config.yml" <<YAML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: "$WORK/$name/storage"}
  maintenance: {uploadpurging: {enabled: false}}
http: {addr: "127.0.0.1:$port"}
YAML
  docker-registry serve "$WORK/$name/config.yml" > "$WORK/$name/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && break; sleep 0.1; done
  REG="127.0.0.1:$port"
}

registry source; SRC=$REG; registry t1; T1=$REG; registry t2; T2=$REG; registry t3; T3=$REG
log "registries: source $SRC, targets $T1 $T2 $T3; work dir $WORK"

log "writing OCI layouts (random layers)"
python3 "$HERE/make-layouts.py" "$WORK/layouts"
IMAGES=(img200 multi big)
for img in "${IMAGES[@]}"; do
  skopeo copy -q --all --preserve-digests --dest-tls-verify=false "oci:$WORK/layouts/$img:v1" "docker://$SRC/bench/$img:v1"
done
rm -rf "$WORK/layouts"

psql -X -q -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -c "CREATE DATABASE $DB" postgres >/dev/null || die "PostgreSQL unreachable"
PORT=$(free_port)
java $JAVA_OPTS_ -jar "$JAR" server --set "db.url=postgresql://${PGUSER_}@${PGHOST_}:${PGPORT_}/${DB}" \
  --set http.host=127.0.0.1 --set "http.port=$PORT" --set transfer.progressInterval=500ms $SERVER_ARGS > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" || die "server not ready (see $WORK/server.log)"
API="http://127.0.0.1:$PORT/api/distribute/image"

RSS_FILE="$WORK/rss.kb"; echo 0 > "$RSS_FILE"
start_rss_sampler() { # max VmRSS every 100 ms into $RSS_FILE until stopped
  ( max=0; for _ in $(seq 1 36000); do
      kb=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
      (( kb > max )) && max=$kb && echo "$max" > "$RSS_FILE"
      sleep 0.1
    done ) &
  SAMPLER_PID=$!
}

job() { # image repo-prefix targets... -> seconds from submit to FINISHED
  local img=$1 prefix=$2; shift 2
  local targets="" t
  for t in "$@"; do targets+="${targets:+,}{\"endpoint\":\"http://$t/v2\",\"overwrite\":true}"; done
  # the job copies to the same repository name as the source, so each run uses a fresh source repository alias
  local body="{\"source\":{\"endpoint\":\"http://$SRC/v2\",\"image\":\"$prefix/$img\",\"ref\":\"v1\"},\"targets\":[$targets]}"
  local start id state
  sync # every timed copy starts with no other copy's dirty pages waiting to be written
  start=$(now)
  id=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "$API" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
  # one Server-Sent Events connection instead of polling (no process per poll competing for the CPUs)
  state=$(curl -sN --max-time 3600 "$API/$id/events" | sed -n '/^event: end/{n;s/^data: //p;q}' || true)
  [[ "$state" == FINISHED ]] || { curl -fsS "$API/$id" >&2; die "job $id ended $state"; }
  echo "$(now) - $start" | bc
}

skopeo_copy() { # image repo target -> seconds
  local start
  sync
  start=$(now)
  skopeo copy -q --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$SRC/bench/$1:v1" "docker://$3/$2/$1:v1" >/dev/null
  echo "$(now) - $start" | bc
}

alias_repo() { # copies the source image to another source repository (same registry: blobs mounted) for the job
  skopeo copy -q --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$SRC/bench/$1:v1" "docker://$SRC/$2/$1:v1" >/dev/null
}
RSS_MAX_KB=0

# a running service is warm: one untimed job first (JIT), to a repository no timed copy uses
alias_repo img200 warm
job img200 warm "$T1" >/dev/null
log "warm-up job done"

printf '\n%-8s %10s %10s %10s %10s %10s %8s %8s\n' image skopeo-1 skopeo-sum tugboat-1 tugboat-3 "" ratio-1 ratio-3
TOTAL_S1=0; TOTAL_SS=0; TOTAL_J1=0; TOTAL_J3=0
for img in "${IMAGES[@]}"; do
  s1=$(skopeo_copy "$img" sk "$T1"); s2=$(skopeo_copy "$img" sk "$T2"); s3=$(skopeo_copy "$img" sk "$T3")
  ss=$(echo "$s1 + $s2 + $s3" | bc)
  alias_repo "$img" one; alias_repo "$img" three
  [[ "$img" == big ]] && start_rss_sampler
  j1=$(job "$img" one "$T1")
  j3=$(job "$img" three "$T1" "$T2" "$T3")
  if [[ "$img" == big ]]; then kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true; fi
  RSS_MAX_KB=$(cat "$RSS_FILE")
  printf '%-8s %9.2fs %9.2fs %9.2fs %9.2fs %10s %8.2f %8.2f\n' "$img" "$s1" "$ss" "$j1" "$j3" "" \
    "$(echo "$j1 / $s1" | bc -l)" "$(echo "$j3 / $ss" | bc -l)"
  TOTAL_S1=$(echo "$TOTAL_S1 + $s1" | bc); TOTAL_SS=$(echo "$TOTAL_SS + $ss" | bc)
  TOTAL_J1=$(echo "$TOTAL_J1 + $j1" | bc); TOTAL_J3=$(echo "$TOTAL_J3 + $j3" | bc)
done
printf '%-8s %9.2fs %9.2fs %9.2fs %9.2fs %10s %8.2f %8.2f\n' total "$TOTAL_S1" "$TOTAL_SS" "$TOTAL_J1" "$TOTAL_J3" "" \
  "$(echo "$TOTAL_J1 / $TOTAL_S1" | bc -l)" "$(echo "$TOTAL_J3 / $TOTAL_SS" | bc -l)"
HWM_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
printf '\ntugboat RSS while copying the 1 GiB layer: max %d MiB sampled (peak VmHWM over the run %d MiB; JVM %s)\n' \
  $((RSS_MAX_KB / 1024)) $((HWM_KB / 1024)) "$JAVA_OPTS_"
printf 'targets: ratio-1 <= 1.0, ratio-3 <= 0.6, RSS < 400 MB; machine: %s cores\n' "$(nproc)"
