#!/usr/bin/env bash
# Side-by-side benchmark of three ways to export the Supabase queue metrics,
# on one local PostgreSQL holding 5 million completed history rows and about
# 4000 active jobs:
#   - queue-exporter (build/queue-exporter, this repository);
#   - Debian's prometheus-postgres-exporter with equivalent custom queries
#     (postgres_exporter_queries.yaml, results cached 5 s like ours);
#   - a Python prometheus_client + psycopg2 script (python_exporter.py), the
#     plan's original approach.
# Measures: collection time of queue-exporter at 10 thousand and at 5 million
# history rows; private (RssAnon) and total (VmRSS) memory idle and under
# load; CPU per scrape; wrk -c50 throughput and p50/p99 latency; and the
# plan of queue-exporter's statement at 5 million rows (auto_explain).
#
# Usage: bench/queue-exporter/run.sh [RESULTS.md]
#   (default: build/bench/queue-exporter-results.md; also printed). Takes
#   about 2 minutes on 2 cores.
# Environment: PORT_BASE (default 31000; uses +710..+713), BENCH_KEEP=1 keeps
#   the work directory (logs, wrk output) for inspection,
#   BENCH_HISTORY_ROWS (default 5000000), BENCH_WRK_SECONDS (default 15),
#   BENCH_COLLECTIONS (default 40).
# Needs (Debian): postgresql, prometheus-postgres-exporter,
#   python3-prometheus-client, python3-psycopg2, wrk; and `make`.
# Not a test: it prints numbers; docs/queue-exporter.md quotes one run.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$REPO/bench/queue-exporter
PORT_BASE=${PORT_BASE:-31000} # before local/lib.sh, which would default it to 19000
# shellcheck source=../../local/lib.sh
. "$REPO/local/lib.sh"

OUT=${1:-$REPO/build/bench/queue-exporter-results.md}
mkdir -p "$(dirname "$OUT")"
HISTORY=${BENCH_HISTORY_ROWS:-5000000}
WRK_S=${BENCH_WRK_SECONDS:-15}
NCOLLECT=${BENCH_COLLECTIONS:-40}
PGP=$((PORT_BASE + 710))
P_QE=$((PORT_BASE + 711))
P_PGX=$((PORT_BASE + 712))
P_PY=$((PORT_BASE + 713))
PGX=prometheus-postgres-exporter
CLK_TCK=$(getconf CLK_TCK)

for tool in wrk "$PGX" curl; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install wrk prometheus-postgres-exporter curl)"
done
"$PY3" -c 'import prometheus_client, psycopg2' 2>/dev/null ||
    die "python3-prometheus-client and python3-psycopg2 are missing (apt-get install them)"
make -C "$REPO" -s build/queue-exporter >/dev/null || die "make build/queue-exporter failed"
QE=$REPO/build/queue-exporter

T=$(mktemp -d /tmp/qe-bench.XXXXXX)
chmod 755 "$T" # PostgreSQL runs as postgres and must reach its directory inside
PGDIR=$T/pg
cleanup() {
    local n
    touch "$T/stop-sampler" 2>/dev/null || true
    for n in qe qe-collect qe-explain pgx py; do stop_daemon "$T" "$n" || true; done
    pg_cluster_stop "$PGDIR" >/dev/null 2>&1 || true
    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE PGAPPNAME QUEUE_EXPORTER_LISTEN QUEUE_EXPORTER_CONFIG

psql_su() { pg_psql "$PGDIR" "$PGP" "$@"; }
now() { date +%s.%N; }

# ------------------------------------------------------------ database
log "PostgreSQL on 127.0.0.1:$PGP"
pg_cluster_init "$PGDIR" "$PGP"
cat >>"$PGDIR/data/postgresql.conf" <<'CONF'
shared_buffers = '256MB'
max_wal_size = '4GB'
log_line_prefix = '%m [%p] app=%a '
CONF
pg_cluster_start "$PGDIR"
PW=$(openssl rand -hex 16)
psql_su -f "$REPO/sql/schema.sql" >/dev/null
# sql/roles.sql takes SCRAM verifiers, computed here by build/doctor (local/lib.sh).
make -C "$REPO" -s build/doctor >/dev/null || die "make build/doctor failed"
psql_su -v grafana_verifier="$(roles_verifier grafana_readonly "$(openssl rand -hex 16)")" \
    -v exporter_verifier="$(roles_verifier queue_exporter "$PW")" -f "$REPO/sql/roles.sql" >/dev/null
psql_su -f "$REPO/sql/indexes.sql" >/dev/null
DSN="host=127.0.0.1 port=$PGP dbname=postgres user=queue_exporter password=$PW sslmode=disable"

# About 4000 active jobs, 20+5 of them stuck, failures over a week.
psql_su >/dev/null <<'SQL'
SELECT setseed(0.7);
INSERT INTO pending_transcriptions (audio_url, status, created_at, updated_at)
SELECT 's3://audio/p' || g, 'pending', now() - random() * interval '2 hours', now() - random() * interval '2 hours'
FROM generate_series(1, 2500) g;
INSERT INTO pending_transcriptions (audio_url, status, attempts, created_at, updated_at)
SELECT 's3://audio/r' || g, 'processing', 1, now() - interval '3 hours',
       CASE WHEN g <= 20 THEN now() - interval '40 minutes' - g * interval '3 minutes'
            ELSE now() - random() * interval '30 minutes' END
FROM generate_series(1, 150) g;
INSERT INTO pending_transcriptions (audio_url, status, attempts, error, created_at, updated_at)
SELECT 's3://audio/f' || g, 'failed', 3, 'decode error', now() - random() * interval '7 days', now() - random() * interval '7 days'
FROM generate_series(1, 400) g;
INSERT INTO pending_pdf_processing (document_url, status, created_at, updated_at)
SELECT 's3://pdf/p' || g, 'pending', now() - random() * interval '1 hour', now() - random() * interval '1 hour'
FROM generate_series(1, 800) g;
INSERT INTO pending_pdf_processing (document_url, status, attempts, created_at, updated_at)
SELECT 's3://pdf/r' || g, 'processing', 1, now() - interval '2 hours',
       CASE WHEN g <= 5 THEN now() - interval '50 minutes' ELSE now() - random() * interval '20 minutes' END
FROM generate_series(1, 50) g;
INSERT INTO pending_pdf_processing (document_url, status, attempts, error, created_at, updated_at)
SELECT 's3://pdf/f' || g, 'failed', 3, 'renderer 500', now() - random() * interval '7 days', now() - random() * interval '7 days'
FROM generate_series(1, 100) g;
SQL

# add_history FROM TO: completed rows FROM..TO (4/5 transcriptions, 1/5 PDF),
# spread over the last year.
add_history() {
    psql_su >/dev/null <<SQL
INSERT INTO pending_transcriptions (audio_url, status, attempts, created_at, updated_at)
SELECT 's3://audio/h' || g, 'completed', 1, t - interval '3 minutes', t
FROM (SELECT g, now() - random() * interval '365 days' AS t FROM generate_series($1, $2) g WHERE g % 5 <> 0) s;
INSERT INTO pending_pdf_processing (document_url, status, attempts, created_at, updated_at)
SELECT 's3://pdf/h' || g, 'completed', 1, t - interval '1 minute', t
FROM (SELECT g, now() - random() * interval '365 days' AS t FROM generate_series($1, $2) g WHERE g % 5 = 0) s;
VACUUM ANALYZE pending_transcriptions;
VACUUM ANALYZE pending_pdf_processing;
SQL
}

# collection_times LABEL: NCOLLECT collections by queue-exporter (cache TTL
# 0, so each scrape collects), reads queue_exporter_collect_duration_seconds.
collection_times() {
    printf '[exporter]\ncache_ttl_seconds = 0\n' >"$T/ttl0.ini"
    QUEUE_EXPORTER_DSN=$DSN start_daemon "$T" qe-collect "$T/qe-collect.log" "$QE" \
        --listen "127.0.0.1:$P_QE" --config "$T/ttl0.ini"
    wait_http "http://127.0.0.1:$P_QE/readyz" 20 || die "queue-exporter did not become ready"
    local _
    for _ in $(seq 1 "$NCOLLECT"); do
        curl -fsS "http://127.0.0.1:$P_QE/metrics" |
            awk '$1 == "queue_exporter_collect_duration_seconds" { print $2 * 1000 }'
    done >"$T/collect-$1"
    stop_daemon "$T" qe-collect
}

rows=$(psql_su -At -c "SELECT (SELECT count(*) FROM pending_transcriptions) + (SELECT count(*) FROM pending_pdf_processing)")
log "active jobs: $rows; adding 10 000 history rows"
add_history 1 10000
collection_times 10k
log "growing the history to $HISTORY rows"
t0=$(now)
add_history 10001 "$HISTORY"
log "history loaded in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s"
collection_times 5m
TOTAL_ROWS=$(psql_su -At -c "SELECT (SELECT count(*) FROM pending_transcriptions) + (SELECT count(*) FROM pending_pdf_processing)")
TABLE_SIZE=$(psql_su -At -c "SELECT pg_size_pretty(pg_total_relation_size('pending_transcriptions') + pg_total_relation_size('pending_pdf_processing'))")

# The plan of queue-exporter's own statement at this size, with timings.
psql_su >/dev/null <<'SQL'
ALTER ROLE queue_exporter SET session_preload_libraries = 'auto_explain';
ALTER ROLE queue_exporter SET auto_explain.log_min_duration = 0;
ALTER ROLE queue_exporter SET auto_explain.log_analyze = on;
SQL
QUEUE_EXPORTER_DSN="$DSN application_name=qe-explain" start_daemon "$T" qe-explain "$T/qe-explain.log" "$QE" \
    --listen "127.0.0.1:$P_QE"
wait_http "http://127.0.0.1:$P_QE/readyz" 20 || die "queue-exporter (explain) did not become ready"
stop_daemon "$T" qe-explain
psql_su -c "ALTER ROLE queue_exporter RESET ALL" >/dev/null
awk '/app=qe-explain .*duration: .* plan:/ { f = 1; print; next }
     f && /^[0-9]{4}-[0-9]{2}-/ { exit }
     f { print }' "$PGDIR/postgres.log" >"$T/plan.txt"

# ------------------------------------------------------------ the three exporters
# Defaults, except the per-address connection limit: 32 would refuse 18 of
# wrk's 50 connections, which all come from 127.0.0.1.
printf '[exporter]\nhttp_max_connections_per_ip = 64\n' >"$T/load.ini"
QUEUE_EXPORTER_DSN=$DSN start_daemon "$T" qe "$T/qe.log" "$QE" --listen "127.0.0.1:$P_QE" --config "$T/load.ini"
DATA_SOURCE_NAME="postgresql://queue_exporter:$PW@127.0.0.1:$PGP/postgres?sslmode=disable" \
    start_daemon "$T" pgx "$T/pgx.log" "$PGX" --web.listen-address="127.0.0.1:$P_PGX" \
    --extend.query-path="$HERE/postgres_exporter_queries.yaml" --disable-default-metrics \
    --disable-settings-metrics --no-collector.database --no-collector.bgwriter --log.level=warn
BENCH_DSN=$DSN start_daemon "$T" py "$T/py.log" "$PY3" "$HERE/python_exporter.py" \
    --listen "127.0.0.1:$P_PY" --interval 5
for p in "$P_QE" "$P_PGX" "$P_PY"; do
    wait_http "http://127.0.0.1:$p/metrics" 30 || die "exporter on port $p did not answer"
done
sleep 6 # the Python script's first collection, everyone's first cache fill
# Each exporter serves the right value (bodies read whole: grep -q would
# close the pipe early and, with pipefail, fail the pipeline).
qe_body=$(curl -fsS "http://127.0.0.1:$P_QE/metrics")
pgx_body=$(curl -fsS "http://127.0.0.1:$P_PGX/metrics")
py_body=$(curl -fsS "http://127.0.0.1:$P_PY/metrics")
grep -qx 'supabase_queue_depth{queue="pending_transcriptions",status="pending"} 2500' <<<"$qe_body" ||
    die "queue-exporter does not serve the expected depth (see $T/qe.log)"
grep -qE '^supabase_queue_depth\{queue="pending_transcriptions",server="[^"]*",status="pending"\} 2500$' <<<"$pgx_body" ||
    die "postgres_exporter does not serve the queue depth (see $T/pgx.log)"
grep -qx 'supabase_queue_depth{queue="pending_transcriptions",status="pending"} 2500.0' <<<"$py_body" ||
    die "the Python exporter does not serve the queue depth (see $T/py.log)"

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measure NAME PORT PID: idle memory, then wrk with a memory sampler.
measure() {
    local name=$1 port=$2 pid=$3 t0 t1 reqs
    echo "$name idle_anon $(status_kb "$pid" RssAnon) idle_rss $(status_kb "$pid" VmRSS)" >>"$T/mem"
    (
        max_a=0 max_r=0
        while [ ! -f "$T/stop-sampler" ]; do
            a=$(status_kb "$pid" RssAnon) r=$(status_kb "$pid" VmRSS)
            [ "$a" -gt "$max_a" ] && max_a=$a
            [ "$r" -gt "$max_r" ] && max_r=$r
            sleep 0.2
        done
        echo "$name load_anon $max_a load_rss $max_r" >>"$T/mem"
    ) &
    local sampler=$!
    t0=$(cpu_ticks "$pid")
    wrk -t2 -c50 -d"${WRK_S}s" --latency "http://127.0.0.1:$port/metrics" >"$T/wrk-$name" 2>&1
    t1=$(cpu_ticks "$pid")
    touch "$T/stop-sampler"
    wait "$sampler"
    rm -f "$T/stop-sampler"
    reqs=$(awk '/requests in/ { print $1 }' "$T/wrk-$name")
    echo "$name cpu_ticks $((t1 - t0)) requests $reqs" >>"$T/cpu"
    sleep 2
}
log "wrk -t2 -c50 -d${WRK_S}s against each exporter in turn"
measure queue-exporter "$P_QE" "$(cat "$T/qe.pid")"
measure postgres_exporter "$P_PGX" "$(cat "$T/pgx.pid")"
measure python "$P_PY" "$(cat "$T/py.pid")"

# ------------------------------------------------------------ report
versions="queue-exporter $("$QE" --version | awk '{ print $2 }'), $($PGX --version 2>&1 | head -1 | awk '{ sub(/,$/, "", $1); print $1, $3 }'), Python $("$PY3" -c 'import sys, prometheus_client, psycopg2; from importlib.metadata import version; print(sys.version.split()[0] + " / prometheus_client " + version("prometheus_client") + " / psycopg2 " + psycopg2.__version__.split()[0])'), PostgreSQL $(psql_su -At -c 'SHOW server_version' | awk '{ print $1 }')"
"$PY3" - "$T" "$CLK_TCK" "$WRK_S" "$TOTAL_ROWS" "$TABLE_SIZE" "$versions" "$NCOLLECT" >"$OUT" <<'PY'
import re, statistics, sys, platform, os
T, tck, wrk_s, total_rows, table_size, versions, ncollect = sys.argv[1:8]
tck = int(tck)
def rows(path):
    out = {}
    for line in open(path):
        f = line.split()
        out.setdefault(f[0], {}).update({f[i]: float(f[i + 1]) for i in range(1, len(f), 2)})
    return out
mem, cpu = rows(f"{T}/mem"), rows(f"{T}/cpu")
def lat(path, pct):
    for line in open(path):
        m = re.match(rf"\s+{pct}%\s+([\d.]+)(us|ms|s)\b", line)
        if m:
            v = float(m.group(1))
            return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    return float("nan")
def rps(path):
    for line in open(path):
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return float("nan")
def errors(path):
    text = open(path).read()
    out = []
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m: out.append(f"{m.group(1)} non-2xx")
    m = re.search(r"Socket errors: (.*)", text)
    if m: out.append("socket errors " + m.group(1).strip())
    return "; ".join(out) or "none"
def collect(label):
    v = [float(x) for x in open(f"{T}/collect-{label}") if x.strip()]
    v.sort()
    return statistics.median(v), v[int(0.9 * (len(v) - 1))], len(v)
names = ["queue-exporter", "postgres_exporter", "python"]
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print("# queue-exporter benchmark results\n")
print(f"- Machine: {cpu_model}, {os.cpu_count()} CPUs, Linux {platform.release()}")
print(f"- Versions: {versions}")
print(f"- Data: {int(total_rows):,} rows in the two queue tables ({table_size} with indexes), "
      "about 4,000 of them active (pending/processing/failed)")
print(f"- Load: `wrk -t2 -c50 -d{wrk_s}s --latency` on `/metrics`, one exporter at a time, all three running\n")
print("| | queue-exporter | postgres_exporter | Python script |")
print("|---|---:|---:|---:|")
def row(title, fn):
    print(f"| {title} | " + " | ".join(fn(n) for n in names) + " |")
row("RssAnon idle (private)", lambda n: f"{mem[n]['idle_anon'] / 1024:.1f} MiB")
row("VmRSS idle (total)", lambda n: f"{mem[n]['idle_rss'] / 1024:.1f} MiB")
row("RssAnon under load (max)", lambda n: f"{mem[n]['load_anon'] / 1024:.1f} MiB")
row("VmRSS under load (max)", lambda n: f"{mem[n]['load_rss'] / 1024:.1f} MiB")
row("throughput (requests/s)", lambda n: f"{rps(f'{T}/wrk-{n}'):,.0f}")
row("latency p50", lambda n: f"{lat(f'{T}/wrk-{n}', 50):.2f} ms")
row("latency p99", lambda n: f"{lat(f'{T}/wrk-{n}', 99):.2f} ms")
row("CPU per scrape", lambda n: f"{cpu[n]['cpu_ticks'] / tck / max(cpu[n]['requests'], 1) * 1e6:.0f} µs")
row("wrk errors", lambda n: errors(f"{T}/wrk-{n}"))
qa, qr = mem["queue-exporter"], mem["postgres_exporter"]
print()
print(f"Ratios under load, queue-exporter / postgres_exporter: RssAnon {qa['load_anon'] / qr['load_anon']:.2f} "
      f"(target <= 0.20), VmRSS {qa['load_rss'] / qr['load_rss']:.2f} (target <= 0.50). "
      f"Throughput queue-exporter / Python: {rps(f'{T}/wrk-queue-exporter') / rps(f'{T}/wrk-python'):.1f}x (target >= 10x).\n")
m10, p10, n10 = collect("10k")
m5, p5, n5 = collect("5m")
print("queue-exporter collection time (`queue_exporter_collect_duration_seconds`, cache TTL 0, "
      f"{n10} sequential collections each):\n")
print("| history rows | median | p90 |")
print("|---|---:|---:|")
print(f"| 10 thousand | {m10:.2f} ms | {p10:.2f} ms |")
print(f"| {int(total_rows) / 1e6:.1f} million | {m5:.2f} ms | {p5:.2f} ms |")
print(f"\nRatio 5 M / 10 k (median): {m5 / m10:.2f} (target <= 2).\n")
print("Plan of queue-exporter's statement at this size (auto_explain, log_analyze):\n")
print("```")
# The header line, then the plan proper (the query text in between is skipped).
in_plan = False
for line in open(f"{T}/plan.txt"):
    line = line.rstrip("\n")
    if "plan:" in line and "duration:" in line:
        print(re.sub(r"^.*LOG:\s+", "", line))
    elif in_plan or "(cost=" in line:
        in_plan = True
        print(line.replace("\t", "", 1))
print("```")
PY
log "results written to $OUT"
cat "$OUT"
