#!/usr/bin/env bash
# Admission benchmark: /imagepolicy answered from memory with 10,000 allow-list entries (see README "Benchmarks").
#
# Creates a fresh PostgreSQL database, starts `tugboat server` on a free loopback port, writes the entries through
# PUT /images (load-entries.py, which also writes the reviews: two containers each, about 1 in 10 refused), then
# in the same run: a warm-up, wrk paced to BENCH_RATE requests/s (p99), wrk flat out on /imagepolicy, and the same
# wrk flat out on /health/live (the machine's ceiling for this server and client), each through review.lua. Every
# review of the file is then checked once against its expected decision, and the database is dropped.
#
# Environment: BENCH_ENTRIES=10000 BENCH_RATE=2000 BENCH_DURATION=30s BENCH_WARMUP=10s BENCH_THREADS=2
# BENCH_CONNECTIONS=64 (flat out) BENCH_PACED_CONNECTIONS=20, BENCH_JAVA_OPTS, BENCH_SERVER_ARGS,
# BENCH_PGHOST/PGPORT/PGUSER, BENCH_JAR (bench/lib.sh).
# Exit: 0 ok (targets are reported, not enforced), 1 a decision was wrong or an answer not 200, 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
ENTRIES=${BENCH_ENTRIES:-10000}
RATE=${BENCH_RATE:-2000}
DURATION=${BENCH_DURATION:-30s}
WARMUP=${BENCH_WARMUP:-10s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
PACED_CONNECTIONS=${BENCH_PACED_CONNECTIONS:-20}
NAME=admission
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"

require java wrk psql curl python3
machine "wrk and Tugboat share these CPUs ($(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')); the database is not involved once the entries are written"

create_database
PORT=$(free_port)
start_server "$PORT" "postgresql://${PGUSER_}@${PGHOST_}:${PGPORT_}/${DB}"

log "writing $ENTRIES allow-list entries through PUT /images"
WRITES_PER_S=$(python3 "$HERE/load-entries.py" "127.0.0.1:$PORT" "$ENTRIES" "$WORK/reviews.txt") \
  || die "writing the entries failed"
INDEXED=$(curl -fsS "http://127.0.0.1:$PORT/metrics" | awk '/^tugboat_admission_index_entries[ {]/ {printf "%d", $NF}')
log "written at $WRITES_PER_S writes/s; the node's admission copy holds $INDEXED entries"

export BENCH_REVIEWS="$WORK/reviews.txt"
URL="http://127.0.0.1:$PORT"
run_wrk() { # name connections duration mode delay_ms -> BENCH lines in $WORK/<name>.txt
  BENCH_MODE=$4 BENCH_DELAY_MS=$5 wrk -t"$THREADS" -c"$2" -d"$3" --timeout 5s --latency -s "$HERE/review.lua" \
    "$URL$([[ $4 == live ]] && echo /health/live || echo /imagepolicy)" > "$WORK/$1.txt" 2>&1 \
    || die "wrk $1 failed: $(tail -n 5 "$WORK/$1.txt")"
  echo "load $(load)" >> "$WORK/$1.txt"
}
val() { sed -n "s/^BENCH $2=//p" "$WORK/$1.txt" | tail -1; }

log "warm-up: $WARMUP flat out, then $WARMUP of /health/live"
run_wrk warmup "$CONNECTIONS" "$WARMUP" review 0
run_wrk warmup-live "$CONNECTIONS" "$WARMUP" live 0
DELAY_MS=$((PACED_CONNECTIONS * 1000 / RATE))
log "paced: $PACED_CONNECTIONS connections, $DELAY_MS ms between requests each (about $RATE requests/s), $DURATION"
run_wrk paced "$PACED_CONNECTIONS" "$DURATION" review "$DELAY_MS"
log "paced reference: /health/live at the same rate (what this server and client reach on this machine)"
run_wrk paced-live "$PACED_CONNECTIONS" "$DURATION" live "$DELAY_MS"
log "flat out: /imagepolicy, then /health/live, $CONNECTIONS connections, $DURATION each"
run_wrk flat "$CONNECTIONS" "$DURATION" review 0
run_wrk live "$CONNECTIONS" "$DURATION" live 0

log "checking every review's decision once"
WRONG=$(python3 - "127.0.0.1:$PORT" "$WORK/reviews.txt" <<'PY'
import http.client, json, sys
conn, wrong = http.client.HTTPConnection(sys.argv[1], timeout=30), 0
for line in open(sys.argv[2]):
    a, b, want = line.split()
    body = {"apiVersion": "imagepolicy.k8s.io/v1alpha1", "kind": "ImageReview",
            "spec": {"containers": [{"image": a}, {"image": b}]}}
    conn.request("POST", "/imagepolicy", json.dumps(body), {"Content-Type": "application/json"})
    status = json.loads(conn.getresponse().read())["status"]
    wrong += status["allowed"] != (want == "allow") or (want == "deny" and b not in status.get("reason", ""))
print(wrong)
PY
) || die "the decision check failed"
REVIEWS=$(wc -l < "$WORK/reviews.txt")

row() { printf '%-42s %-16s %-12s %s\n' "$@"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
pass() { if "$@"; then echo PASS; else echo FAIL; fi; }
PACED_RPS=$(val paced requests_per_s); P99=$(val paced latency_p99_ms)
FLAT=$(val flat requests_per_s); LIVE=$(val live requests_per_s)
RATIO=$(awk -v a="$FLAT" -v b="$LIVE" 'BEGIN { printf "%.2f", a / b }')
NON200=$(( $(val paced non200) + $(val flat non200) ))
echo "== summary: Tugboat admission from memory, $ENTRIES entries, two containers per ImageReview =="
echo "entries   : written through PUT /images at $WRITES_PER_S writes/s; $INDEXED in the node's admission copy"
row "metric" "value" "target" "result"
row "paced ($PACED_CONNECTIONS conn.): requests/s" "$PACED_RPS" "~$RATE" ""
row "paced: latency p99 (ms)" "$P99" "< 1" "$(pass lt "$P99" 1)"
row "paced: latency p50 / p90 / max (ms)" "$(val paced latency_p50_ms) / $(val paced latency_p90_ms) / $(val paced latency_max_ms)" "" ""
row "paced /health/live: p99, p50 (ms)" "$(val paced-live latency_p99_ms) / $(val paced-live latency_p50_ms)" "" "(the floor)"
row "flat out ($CONNECTIONS conn.): /imagepolicy req/s" "$FLAT" ">= 20000" "$(pass ge "$FLAT" 20000)"
row "flat out: /health/live req/s (ceiling)" "$LIVE" "" ""
row "/imagepolicy vs /health/live" "$RATIO" ">= 0.6" "$(pass ge "$RATIO" 0.6)"
row "flat out: p99 /imagepolicy, /health/live (ms)" "$(val flat latency_p99_ms) / $(val live latency_p99_ms)" "" ""
row "answers other than 200 (paced + flat)" "$NON200" "0" "$(pass test "$NON200" -eq 0)"
row "decisions checked, wrong" "$REVIEWS, $WRONG" "0 wrong" "$(pass test "$WRONG" -eq 0)"
echo "load avg  : paced $(sed -n 's/^load //p' "$WORK/paced.txt"); paced live $(sed -n 's/^load //p' "$WORK/paced-live.txt"); flat $(sed -n 's/^load //p' "$WORK/flat.txt"); live $(sed -n 's/^load //p' "$WORK/live.txt")"
[[ "$WRONG" == 0 && "$NON200" == 0 ]] || exit 1
