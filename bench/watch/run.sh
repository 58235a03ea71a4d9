#!/usr/bin/env bash
# Watch benchmark: 1,000 watched repositories with 10 tags each, checked every pollInterval (see README "Benchmarks").
#
# Starts a docker-registry on loopback (access log on) and fills it cheaply (push-repos.py: one tiny image uploaded
# once, mounted into every other repository, tagged by manifest PUTs), a minimal Nomad (fake-nomad.py: every job
# runs its repository's newest tag, so every check is a steady-state one: BASELINE first, then UP_TO_DATE), a fresh
# PostgreSQL database behind a statement-counting proxy (pg-count-proxy.py), and `tugboat server` with the
# repositories in watch.repos (the inventory's hourly re-scan off: it is not the watcher's work). After the first round (every repository checked once: start-up, not measured), it
# measures BENCH_INTERVALS more rounds and reports, per check: registry requests (counted in the registry's access
# log, by kind), Nomad requests (counted by the fake), database statements (counted on the wire by the proxy, by
# statement); Tugboat's CPU (utime + stime from /proc/<pid>/stat over the window) as % of one core; and from the
# access log whether every repository was checked once per interval (gaps between its consecutive tag lists).
#
# Environment: BENCH_REPOS=1000 BENCH_TAGS=10 BENCH_INTERVAL=60 (seconds, watch.pollInterval) BENCH_INTERVALS=3,
# BENCH_JAVA_OPTS, BENCH_SERVER_ARGS (extra --set ...), BENCH_PGHOST/PGPORT/PGUSER, BENCH_JAR (bench/lib.sh).
# Exit: 0 ok (targets are reported, not enforced), 1 a check failed or a repository was not checked, 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
REPOS=${BENCH_REPOS:-1000}
TAGS=${BENCH_TAGS:-10}
INTERVAL=${BENCH_INTERVAL:-60}
INTERVALS=${BENCH_INTERVALS:-3}
NAME=watch
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"
sql() { psql_ -d "$DB" -Atc "$1"; } # straight to PostgreSQL: the bench's own queries are not counted
wait_for_file() { for _ in $(seq 1 100); do [[ -s "$1" ]] && return 0; sleep 0.1; done; return 1; }

require java docker-registry python3 psql curl awk
machine "the registry, the fake Nomad, the proxy, PostgreSQL and Tugboat share these CPUs"

# ---------------------------------------------------------------- registry
REG_PORT=$(free_port)
REG="127.0.0.1:$REG_PORT"
mkdir -p "$WORK/registry/storage"
DISCARD+=("$WORK/registry/storage")
cat > "$WORK/registry/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: false}}
storage:
  filesystem: {rootdirectory: "$WORK/registry/storage"}
  maintenance: {uploadpurging: {enabled: false}}
http: {addr: "$REG"}
YAML
ACCESS_LOG="$WORK/registry/access.log"
docker-registry serve "$WORK/registry/config.yml" > "$ACCESS_LOG" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://$REG/v2/" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "http://$REG/v2/" || die "registry did not start (see $ACCESS_LOG)"
log "registry $REG: pushing $REPOS repositories x $TAGS tags"
started=$SECONDS
python3 "$HERE/push-repos.py" "$REG" "$REPOS" "$TAGS" >/dev/null || die "filling the registry failed"
log "registry filled in $((SECONDS - started)) s"
NEWEST="v1.0.$((TAGS - 1))"

# ---------------------------------------------------------------- Nomad, database, proxy
python3 "$HERE/fake-nomad.py" "$WORK/nomad.port" "$REG" "$REPOS" "$NEWEST" &
PIDS+=($!)
wait_for_file "$WORK/nomad.port" || die "fake Nomad did not start"
NOMAD="http://127.0.0.1:$(cat "$WORK/nomad.port")"

create_database
python3 "$HERE/pg-count-proxy.py" "$WORK/proxy.port" "$PGHOST_" "$PGPORT_" &
PIDS+=($!)
wait_for_file "$WORK/proxy.port" || die "PostgreSQL counting proxy did not start"
for _ in $(seq 1 20); do [[ $(wc -l < "$WORK/proxy.port") -ge 2 ]] && break; sleep 0.1; done
PROXY_PORT=$(sed -n 1p "$WORK/proxy.port"); STATS_PORT=$(sed -n 2p "$WORK/proxy.port")

# ---------------------------------------------------------------- Tugboat
CONF="$WORK/tugboat.yaml"
{
  echo "registries:"
  echo "  - {host: \"$REG\", insecure: true}"
  echo "watch:"
  echo "  pollInterval: ${INTERVAL}s"
  echo "  repos:"
  for ((i = 0; i < REPOS; i++)); do
    printf '    - {name: r%04d, registry: "%s", repository: bench/r%04d, job: bench-r%04d, tasks: [app]}\n' \
      "$i" "$REG" "$i" "$i"
  done
  echo "deploy:"
  echo "  nomad: {address: \"$NOMAD\"}"
} > "$CONF"
HTTP_PORT=$(free_port)
start_server "$HTTP_PORT" "postgresql://${PGUSER_}@127.0.0.1:${PROXY_PORT}/${DB}" --config "$CONF"
log "tugboat pid $SERVER_PID on port $HTTP_PORT; waiting for the first round (start-up, not measured)"

# ---------------------------------------------------------------- first round
checked() { sql "SELECT count(*) FROM watch_repos WHERE checks >= $1" 2>/dev/null || echo 0; }
started=$SECONDS
while (( $(checked 1) < REPOS )); do
  (( SECONDS - started < INTERVAL + 120 )) || die "first round not done within $((INTERVAL + 120)) s: $(checked 1)/$REPOS"
  sleep 1
done
FIRST_ROUND_S=$((SECONDS - started))
log "first round done in ${FIRST_ROUND_S} s; measuring $INTERVALS intervals of $INTERVAL s"

# ---------------------------------------------------------------- measured window
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
snapshot() { # prefix: checks, registry log lines, Nomad counts, statement counts, CPU ticks, wall time
  eval "${1}_CHECKS=$(sql 'SELECT coalesce(sum(checks), 0) FROM watch_repos')"
  eval "${1}_LINES=$(wc -l < "$ACCESS_LOG")"
  curl -fsS "$NOMAD/bench/stats" > "$WORK/$1.nomad.json"
  curl -fsS "http://127.0.0.1:$STATS_PORT/" > "$WORK/$1.statements.json"
  eval "${1}_TICKS=$(cpu_ticks)"
  python3 - "$SERVER_PID" > "$WORK/$1.threads.json" <<'THREADS' # CPU ticks per JVM thread kind
import glob, json, sys
kinds = {}
for task in glob.glob(f"/proc/{sys.argv[1]}/task/*"):
    try:
        name = open(f"{task}/comm").read().strip()
        ticks = open(f"{task}/stat").read().rsplit(")", 1)[1].split()  # the name may hold spaces
    except OSError:
        continue  # ended meanwhile
    kind = ("JIT compiler" if "Compiler" in name else "GC" if name.startswith(("GC ", "G1 ")) else
            "event loops" if name.startswith("vert.x-eventloo") else "other")  # comm: 15 characters
    kinds[kind] = kinds.get(kind, 0) + int(ticks[11]) + int(ticks[12])
print(json.dumps(kinds))
THREADS
  eval "${1}_WALL=$(date +%s.%N)"
}
snapshot T0
WANT=$((T0_CHECKS + INTERVALS * REPOS))
deadline=$((SECONDS + INTERVALS * INTERVAL + 120))
while :; do
  now_checks=$(sql 'SELECT coalesce(sum(checks), 0) FROM watch_repos')
  (( now_checks >= WANT )) && break
  (( SECONDS < deadline )) || { log "window ended at its bound with $((now_checks - T0_CHECKS)) checks"; break; }
  kill -0 "$SERVER_PID" 2>/dev/null || die "server exited (see $WORK/server.log)"
  sleep 1
done
snapshot T1
LOAD_END=$(load)
sed -n "$((T0_LINES + 1)),${T1_LINES}p" "$ACCESS_LOG" > "$WORK/window.log"
sed -n "1,${T1_LINES}p" "$ACCESS_LOG" > "$WORK/all.log"
sql "SELECT count(*) FILTER (WHERE last_error IS NOT NULL), count(*) FILTER (WHERE deployed_tag = '$NEWEST'),
       (SELECT count(*) FROM deployments) FROM watch_repos" > "$WORK/state.txt"

python3 - "$WORK" "$REPOS" "$INTERVAL" "$((T1_CHECKS - T0_CHECKS))" "$T0_TICKS" "$T1_TICKS" "$CLK_TCK" \
  "$T0_WALL" "$T1_WALL" "$FIRST_ROUND_S" "$LOAD_END" <<'PY'
import json, re, sys
from datetime import datetime
work, repos, interval, checks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0_ticks, t1_ticks, clk = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
wall = float(sys.argv[9]) - float(sys.argv[8])
first_round, load_end = sys.argv[10], sys.argv[11]
line = re.compile(r'\[([^\]]+)\] "(\w+) (\S+) HTTP')
kinds, per_repo = {}, {}
with open(f"{work}/window.log") as f:
    for l in f:
        m = line.search(l)
        if not m or "bench-setup" in l:
            continue
        method, path = m.group(2), m.group(3).split("?")[0]
        kind = ("GET tags/list" if path.endswith("/tags/list") else
                f"{method} manifests" if "/manifests/" in path else f"{method} {path}")
        kinds[kind] = kinds.get(kind, 0) + 1
with open(f"{work}/all.log") as f:  # every check of every repository since start: the gaps between them
    for l in f:
        m = line.search(l)
        path = m.group(3).split("?")[0] if m else ""
        if path.endswith("/tags/list") and "bench-setup" not in l:
            at = datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()
            per_repo.setdefault(path.split("/")[3], []).append(at)
gaps = sorted(b - a for times in per_repo.values() for a, b in zip(times, times[1:]))
counts = sorted(len(t) for t in per_repo.values())
n0, n1 = (json.load(open(f"{work}/T{i}.nomad.json")) for i in (0, 1))
s0, s1 = (json.load(open(f"{work}/T{i}.statements.json")) for i in (0, 1))
nomad = {k: n1[k] - n0.get(k, 0) for k in n1 if n1[k] - n0.get(k, 0)}
stmts = sorted(((v - s0.get(k, 0), k) for k, v in s1.items() if v - s0.get(k, 0)), reverse=True)
errors, deployed, deployments = open(f"{work}/state.txt").read().strip().split("|")
cpu = (t1_ticks - t0_ticks) / clk / wall * 100
per = lambda n: n / checks if checks else float("nan")
reg_total, nomad_total, stmt_total = sum(kinds.values()), sum(nomad.values()), sum(v for v, _ in stmts)

print("== summary: Tugboat watching %d repositories x tags, pollInterval %d s ==" % (repos, interval))
print("window        : %.0f s after the first round (%s s), %d checks (%.2f rounds); load average at end %s"
      % (wall, first_round, checks, checks / repos, load_end))
print("%-44s %10s %10s %s" % ("metric", "value", "target", "result"))
def row(name, value, target="", ok=None):
    print("%-44s %10s %10s %s" % (name, value, target, "" if ok is None else ("PASS" if ok else "FAIL")))
row("registry requests per check", "%.2f" % per(reg_total), "<= 2", per(reg_total) <= 2)
for k, v in sorted(kinds.items()):
    row("  " + k, "%.2f" % per(v))
row("Nomad requests per check", "%.2f" % per(nomad_total))
for k, v in sorted(nomad.items()):
    row("  GET " + {"job": "/v1/job/:id", "allocations": "/v1/job/:id/allocations",
                    "allocation": "/v1/allocation/:id"}.get(k, k), "%.2f" % per(v))
row("database statements per check", "%.2f" % per(stmt_total))
for v, k in stmts[:12]:
    row("  " + (k[:60] + ("..." if len(k) > 60 else "")), "%.3f" % per(v))
row("Tugboat CPU, % of one core (window average)", "%.1f" % cpu, "<= 10", cpu <= 10)
h0, h1 = (json.load(open(f"{work}/T{i}.threads.json")) for i in (0, 1))
for kind in sorted(h1, key=lambda k: -(h1[k] - h0.get(k, 0))):
    row("  of which " + kind, "%.1f" % ((h1[kind] - h0.get(kind, 0)) / clk / wall * 100))
ok_gaps = bool(gaps) and gaps[0] >= interval - 1 and gaps[-1] <= interval * 1.25
row("gap between checks of a repository (s)", "%d..%d" % (gaps[0], gaps[-1]) if gaps else "-",
    "%d..%d" % (interval - 1, interval * 1.25), ok_gaps)
row("  median gap (s)", "%.0f" % gaps[len(gaps) // 2] if gaps else "-")
row("repositories checked / checks each", "%d / %d..%d" % (len(per_repo), counts[0], counts[-1]) if counts else "0",
    "%d" % repos, len(per_repo) == repos)
row("repositories with last_error", errors, "0", errors == "0")
row("repositories at the newest tag (baseline)", deployed, "%d" % repos, deployed == str(repos))
row("deployments queued", deployments, "0", deployments == "0")
ok = ok_gaps and len(per_repo) == repos and errors == "0" and deployed == str(repos)
sys.exit(0 if ok else 1)
PY
