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
# Tugboat's RSS is sampled every 100 ms during the 1 GiB copies (and VmHWM, the peak, at the end); the server runs
# with -Xmx128m. CPU per GiB delivered: utime+stime from /proc/<pid>/stat, of Tugboat's server process around each
# job and of skopeo's own processes (the cutime/cstime of the shell that waited for them).
# Each job's submit -> first blob requested from the source is read from the server's log (measured from the
# request's arrival to the source blob GET being issued).
#
# Slow-source profile (root and `tc` needed; skipped, saying so, where either is missing or lo already has a root
# qdisc): the source registry's port is shaped to 320 Mbit/s on loopback (HTB, a u32 filter on the source port as
# sport: only what the source sends is slowed); 200 MiB to 3 fresh targets: skopeo three copies one after another,
# three skopeo copies at once, one Tugboat job. The qdisc is always removed on exit (trap).
#
# Environment: BENCH_JAVA_OPTS (default -Xmx128m), BENCH_SERVER_ARGS (e.g. "--set transfer.parallelBlobs=4"),
# BENCH_IMAGES (default "img200 multi big"), BENCH_WARMUP (untimed jobs first, default 3), BENCH_SLOW (default 1; 0 skips the shaped profile), BENCH_SLOW_RATE
# (default 320mbit), BENCH_PGHOST/PGPORT/PGUSER, BENCH_JAR.
# Exit: 0 ok (targets are reported, not enforced), 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
JAR=${BENCH_JAR:-$ROOT/target/tugboat.jar}
JAVA_OPTS_=${BENCH_JAVA_OPTS:--Xmx128m}
read -r -a IMAGES <<< "${BENCH_IMAGES:-img200 multi big}"
SLOW=${BENCH_SLOW:-1}
WARMUP=${BENCH_WARMUP:-3}
SLOW_RATE=${BENCH_SLOW_RATE:-320mbit}
QDISC_ADDED=0
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
  if [[ "$QDISC_ADDED" == 1 ]]; then # first: the shaping must never outlive the run
    tc qdisc del dev lo root handle 1: 2>/dev/null || log "WARNING: could not remove the qdisc on lo (tc qdisc del dev lo root)"
  fi
  [[ -n "$SERVER_PID" ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  psql -X -q -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -c "DROP DATABASE IF EXISTS $DB" postgres >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
python3 "$HERE/make-layouts.py" "$WORK/layouts" "${IMAGES[@]}"
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
start_rss_sampler() { # max VmRSS every 100 ms into $RSS_FILE until stopped (at most an hour)
  ( max=0; for _ in $(seq 1 36000); do
      kb=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
      (( kb > max )) && max=$kb && echo "$max" > "$RSS_FILE"
      sleep 0.1
    done ) &
  SAMPLER_PID=$!
}

TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of a live process
# per GiB: SECONDS_OF_CPU BYTES -> CPU seconds per GiB delivered
per_gib() { echo "$1 / ($2 / 1073741824)" | bc -l; }
LAST_SECONDS=0; LAST_CPU=0; LAST_BYTES=0; LAST_START_MS=""

job() { # image repo-prefix targets...: sets LAST_SECONDS (submit -> FINISHED), LAST_CPU, LAST_BYTES, LAST_START_MS
  local img=$1 prefix=$2; shift 2
  local targets="" t
  for t in "$@"; do targets+="${targets:+,}{\"endpoint\":\"http://$t/v2\",\"overwrite\":true}"; done
  # the job copies to the same repository name as the source, so each run uses a fresh source repository alias
  local body="{\"source\":{\"endpoint\":\"http://$SRC/v2\",\"image\":\"$prefix/$img\",\"ref\":\"v1\"},\"targets\":[$targets]}"
  local start end id state cpu0 cpu1
  sync # every timed copy starts with no other copy's dirty pages waiting to be written
  cpu0=$(cpu_ticks "$SERVER_PID")
  start=$(now)
  id=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "$API" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
  # one Server-Sent Events connection instead of polling (no process per poll competing for the CPUs)
  state=$(curl -sN --max-time 3600 "$API/$id/events" | sed -n '/^event: end/{n;s/^data: //p;q}' || true)
  end=$(now)
  cpu1=$(cpu_ticks "$SERVER_PID")
  [[ "$state" == FINISHED ]] || { curl -fsS "$API/$id" >&2; die "job $id ended $state"; }
  LAST_CPU=$(echo "($cpu1 - $cpu0) / $TICK" | bc -l)
  LAST_BYTES=$(curl -fsS "$API/$id" | jq '[.. | objects | select(has("bytes_total")) | .bytes_total] | add')
  LAST_START_MS=$(sed -n "s/.*transfer job $id: first blob requested \([0-9]*\) ms after submit.*/\1/p" "$WORK/server.log" | head -1)
  LAST_SECONDS=$(echo "$end - $start" | bc)
}

# skopeo_copies MODE image repo targets...: sets LAST_SECONDS (all copies) and LAST_CPU (skopeo's own CPU seconds).
# MODE seq: one after another (as skopeo is used for several targets), each after its own untimed `sync`, seconds
# summed; par: all at once. The copies run under a shell whose cutime+cstime, read from its /proc/<pid>/stat after
# it waited for them, is skopeo's CPU alone.
skopeo_copies() {
  local mode=$1 img=$2 repo=$3; shift 3
  if [[ "$mode" == seq && $# -gt 1 ]]; then
    local t secs=0 cpu=0
    for t in "$@"; do
      skopeo_copies seq "$img" "$repo" "$t"
      secs=$(echo "$secs + $LAST_SECONDS" | bc); cpu=$(echo "$cpu + $LAST_CPU" | bc -l)
    done
    LAST_SECONDS=$secs; LAST_CPU=$cpu
    return 0
  fi
  local start end script="" t out
  for t in "$@"; do
    script+="skopeo copy -q --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false"
    script+=" docker://$SRC/bench/$img:v1 docker://$t/$repo/$img:v1 >/dev/null"
    [[ "$mode" == par ]] && script+=" &"
    script+=$'\n'
  done
  script+=$'wait\nread -r -a st < /proc/$$/stat; echo $(( st[15] + st[16] ))'
  sync
  start=$(now)
  out=$(bash -c "$script") || die "skopeo copy failed"
  end=$(now)
  LAST_CPU=$(echo "$out / $TICK" | bc -l)
  LAST_SECONDS=$(echo "$end - $start" | bc)
}

alias_repo() { # copies the source image to another source repository (same registry: blobs mounted) for the job
  skopeo copy -q --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$SRC/bench/$1:v1" "docker://$SRC/$2/$1:v1" >/dev/null
}
RSS_MAX_KB=0
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# a running service is warm: untimed jobs first (the JIT compiles for several jobs: after only one, the C2
# compiler threads still used about a CPU-second during the next job), to repositories no timed copy uses
for i in $(seq 1 "$WARMUP"); do
  alias_repo "${IMAGES[0]}" "warm$i"
  job "${IMAGES[0]}" "warm$i" "$T1" "$T2"
done
log "$WARMUP warm-up job(s) done"

printf '\n== time (submit -> FINISHED; skopeo: one copy per target, one after another) ==\n'
printf '%-8s %10s %10s %10s %10s %8s %8s %9s %9s\n' image skopeo-1 skopeo-sum tugboat-1 tugboat-3 ratio-1 ratio-3 start-1 start-3
CPU_LINES=()
TOTAL_S1=0; TOTAL_SS=0; TOTAL_J1=0; TOTAL_J3=0
for img in "${IMAGES[@]}"; do
  skopeo_copies seq "$img" sk "$T1"; s1=$LAST_SECONDS; c1=$LAST_CPU
  skopeo_copies seq "$img" sk "$T2" "$T3"; s23=$LAST_SECONDS; c23=$LAST_CPU
  ss=$(echo "$s1 + $s23" | bc); cs=$(echo "$c1 + $c23" | bc -l)
  alias_repo "$img" one; alias_repo "$img" three
  [[ "$img" == big ]] && start_rss_sampler
  job "$img" one "$T1"; j1=$LAST_SECONDS; jc1=$LAST_CPU; bytes=$LAST_BYTES; st1=$LAST_START_MS
  job "$img" three "$T1" "$T2" "$T3"; j3=$LAST_SECONDS; jc3=$LAST_CPU; bytes3=$LAST_BYTES; st3=$LAST_START_MS
  if [[ "$img" == big ]]; then
    kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true
    RSS_MAX_KB=$(cat "$RSS_FILE")
  fi
  printf '%-8s %9.2fs %9.2fs %9.2fs %9.2fs %8.2f %8.2f %7sms %7sms\n' "$img" "$s1" "$ss" "$j1" "$j3" \
    "$(echo "$j1 / $s1" | bc -l)" "$(echo "$j3 / $ss" | bc -l)" "${st1:-?}" "${st3:-?}"
  # CPU per GiB delivered: skopeo over its three copies (3 x bytes), Tugboat per job
  sk_gib=$(per_gib "$cs" "$bytes3"); sk1_gib=$(per_gib "$c1" "$bytes")
  t1_gib=$(per_gib "$jc1" "$bytes"); t3_gib=$(per_gib "$jc3" "$bytes3")
  CPU_LINES+=("$(printf '%-8s %11.2f %11.2f %11.2f %11.2f %8.2f %8.2f' "$img" "$sk1_gib" "$sk_gib" "$t1_gib" "$t3_gib" \
    "$(echo "$t1_gib / $sk1_gib" | bc -l)" "$(echo "$t3_gib / $sk_gib" | bc -l)")")
  TOTAL_S1=$(echo "$TOTAL_S1 + $s1" | bc); TOTAL_SS=$(echo "$TOTAL_SS + $ss" | bc)
  TOTAL_J1=$(echo "$TOTAL_J1 + $j1" | bc); TOTAL_J3=$(echo "$TOTAL_J3 + $j3" | bc)
done
printf '%-8s %9.2fs %9.2fs %9.2fs %9.2fs %8.2f %8.2f\n' total "$TOTAL_S1" "$TOTAL_SS" "$TOTAL_J1" "$TOTAL_J3" \
  "$(echo "$TOTAL_J1 / $TOTAL_S1" | bc -l)" "$(echo "$TOTAL_J3 / $TOTAL_SS" | bc -l)"
printf '(start: submit -> first blob requested from the source, from the server log)\n'

printf '\n== CPU seconds per GiB delivered (utime+stime; skopeo: its own processes; Tugboat: the server process) ==\n'
printf '%-8s %11s %11s %11s %11s %8s %8s\n' image skopeo-1 skopeo-3 tugboat-1 tugboat-3 ratio-1 ratio-3
printf '%s\n' "${CPU_LINES[@]}"

HWM_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
printf '\n== memory ==\ntugboat RSS while copying the 1 GiB layer (1 and 3 targets): max %d MiB sampled; peak VmHWM over the run %d MiB; JVM %s\n' \
  $((RSS_MAX_KB / 1024)) $((HWM_KB / 1024)) "$JAVA_OPTS_"

# ---- slow source: the source registry's port shaped on loopback
slow_profile() {
  local why=""
  [[ "$SLOW" == 1 ]] || why="BENCH_SLOW=0"
  [[ -z "$why" && "$(id -u)" != 0 ]] && why="needs root (tc on lo)"
  [[ -z "$why" ]] && ! command -v tc >/dev/null && why="needs tc (iproute2)"
  [[ -z "$why" && ! " ${IMAGES[*]} " =~ " img200 " ]] && why="needs the img200 image"
  if [[ -z "$why" ]] && ! tc qdisc show dev lo | head -1 | grep -qE '^qdisc (noqueue|pfifo_fast|fq_codel) 0: root'; then
    why="lo already has a root qdisc (another run?): not touching it"
  fi
  if [[ -n "$why" ]]; then
    printf '\n== slow source (%s): skipped: %s ==\n' "$SLOW_RATE" "$why"
    return 0
  fi
  local port=${SRC##*:} seq_t=() par_t=() job_t=() i
  for i in 1 2 3; do registry "slow-seq$i"; seq_t+=("$REG"); registry "slow-par$i"; par_t+=("$REG"); registry "slow-job$i"; job_t+=("$REG"); done
  alias_repo img200 slow
  tc qdisc add dev lo root handle 1: htb || { printf '\n== slow source: skipped: tc qdisc add failed (no CAP_NET_ADMIN?) ==\n'; return 0; }
  QDISC_ADDED=1 # unclassified traffic (everything but the source's answers) passes the HTB qdisc unshaped
  tc class add dev lo parent 1: classid 1:10 htb rate "$SLOW_RATE" ceil "$SLOW_RATE" burst 256k cburst 256k quantum 65536
  tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip sport "$port" 0xffff flowid 1:10
  local sq sp sj
  skopeo_copies seq img200 slow "${seq_t[@]}"; sq=$LAST_SECONDS; local cq=$LAST_CPU
  skopeo_copies par img200 slow "${par_t[@]}"; sp=$LAST_SECONDS; local cp=$LAST_CPU
  job img200 slow "${job_t[@]}"; sj=$LAST_SECONDS; local cj=$LAST_CPU bytes3=$LAST_BYTES sst=$LAST_START_MS
  tc qdisc del dev lo root handle 1: && QDISC_ADDED=0
  printf '\n== slow source: 200 MiB to 3 targets, source port %s shaped to %s on lo (HTB + u32 sport) ==\n' "$port" "$SLOW_RATE"
  printf '%-28s %9s %12s\n' copy seconds "CPU s/GiB"
  printf '%-28s %8.2fs %12.2f\n' "skopeo x3 one after another" "$sq" "$(per_gib "$cq" "$bytes3")"
  printf '%-28s %8.2fs %12.2f\n' "skopeo x3 at once" "$sp" "$(per_gib "$cp" "$bytes3")"
  printf '%-28s %8.2fs %12.2f   (start %sms)\n' "tugboat, one job" "$sj" "$(per_gib "$cj" "$bytes3")" "${sst:-?}"
  printf 'ratios: tugboat / skopeo sequential %.2f, tugboat / skopeo at once %.2f (target <= 0.35 each)\n' \
    "$(echo "$sj / $sq" | bc -l)" "$(echo "$sj / $sp" | bc -l)"
}
slow_profile

printf '\nmachine: %s cores (nproc), %s; load average %s at start, %s at end\n' "$(nproc)" \
  "$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'targets: ratio-1 <= 1.0; ratio-3 <= 0.7 in total and <= 0.8 per image; start < 50 ms; CPU/GiB ratio-3 <= 0.35; slow <= 0.35\n'
