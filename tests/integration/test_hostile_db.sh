#!/usr/bin/env bash
# A database that stops answering (issue 14, items 1 and 2), against the
# ASan/UBSan builds and a PostgreSQL this script owns:
#   - daily-report: a proxy forwards the login, then swallows the first
#     statement. --dry-run still ends (business section "n/a" with the
#     reason), the daemon ends a stuck run on SIGTERM within Docker's 10 s
#     grace, and /-/healthy keeps answering while the run is within bounds.
#   - queue-exporter: host=127.0.0.1,127.0.0.1,127.0.0.1 towards a port that
#     accepts and never answers. One collection stays within its 5 s budget
#     for all three hosts together (libpq's connect_timeout is per host:
#     15 s before), and SIGTERM mid-connection exits within 10 s.
# Ports: PORT_BASE + 850..856. Waits are on conditions (the proxy's mark
# file); the only time bounds are the product's contracts, far above the
# configured deadlines.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

DR=${DR_BIN:-$REPO/build/asan/daily-report}
QE=${QE_BIN:-$REPO/build/asan/queue-exporter}
PGP=$((PORT_BASE + 850))
P_SWALLOW=$((PORT_BASE + 851))
P_HOLE=$((PORT_BASE + 852))
P_DRM=$((PORT_BASE + 853))
P_QE=$((PORT_BASE + 854))
T=$(mktemp -d /tmp/hostile-db.XXXXXX)
chmod 755 "$T"
PGDIR=$T/pg
PIDS=$T/pids
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE PGAPPNAME PROMETHEUS_URL ALERTMANAGER_URL

cleanup() {
    local n
    for n in swallow hole dr qe; do stop_daemon "$PIDS" "$n"; done
    pg_cluster_stop "$PGDIR" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
if [ ! -x "$DR" ] || [ ! -x "$QE" ]; then
    not_ok "the ASan builds exist (make asan)"
    finish
fi

psql_su() { pg_psql "$PGDIR" "$PGP" "$@"; }
marks() { { wc -l <"$1"; } 2>/dev/null || echo 0; }
more_marks() { [ "$(marks "$1")" -gt "$2" ]; } # FILE N: more than N lines now
# exited_within PID SECONDS: the process ended within the bound.
exited_within() {
    for _ in $(seq 1 $(($2 * 10))); do
        pid_alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

if ! { pg_cluster_init "$PGDIR" "$PGP" && pg_cluster_start "$PGDIR"; }; then
    not_ok "PostgreSQL starts"
    finish
fi
GPW=$(openssl rand -hex 16)
psql_su -f "$REPO/sql/schema.sql" >/dev/null &&
    psql_su -f "$REPO/sql/demo-data.sql" >/dev/null &&
    psql_su -v grafana_verifier="$(roles_verifier grafana_readonly "$GPW")" \
        -v exporter_verifier="$(roles_verifier queue_exporter "$(openssl rand -hex 16)")" \
        -f "$REPO/sql/roles.sql" >/dev/null
check "schema, demo data and roles load" test $? -eq 0

start_daemon "$PIDS" swallow "$T/swallow.log" "$PY3" "$REPO/tests/tools/pg_swallow_proxy.py" \
    swallow "$P_SWALLOW" "$PGP" "$T/swallowed"
start_daemon "$PIDS" hole "$T/hole.log" "$PY3" "$REPO/tests/tools/pg_swallow_proxy.py" \
    blackhole "$P_HOLE" "$T/accepted"
check "the swallowing proxy listens" wait_port "$P_SWALLOW" 30
check "the black hole listens" wait_port "$P_HOLE" 30

DSN_DIRECT="host=127.0.0.1 port=$PGP dbname=postgres user=grafana_readonly password=$GPW sslmode=disable"
DSN_PROXY="host=127.0.0.1 port=$P_SWALLOW dbname=postgres user=grafana_readonly password=$GPW sslmode=disable"

# ---------------------------------------------------- daily-report --dry-run
REPORT_DB_DSN=$DSN_DIRECT timeout 300 "$DR" --dry-run --out "$T/direct.html" >"$T/direct.log" 2>&1
check "direct to the database: the business figures are there (the DSN works)" \
    grep -q 'data-field="incidents_24h"' "$T/direct.html"

m0=$(marks "$T/swallowed")
REPORT_DB_DSN=$DSN_PROXY REPORT_DB_TIMEOUT_SECONDS=3 timeout 300 \
    "$DR" --dry-run --out "$T/stuck.html" >"$T/stuck.log" 2>&1
rc=$?
check "the proxy swallowed the business query" more_marks "$T/swallowed" "$m0"
assert_eq "--dry-run against a silent database ends (exit 2: written, a section unavailable; 124 = hung)" 2 "$rc"
check "the business section is unavailable with the reason" \
    grep -q 'no answer to the query within 3 s' "$T/stuck.html"
assert_not_contains "the password is not in the log" "$(cat "$T/stuck.log")" "$GPW"
assert_not_contains "no sanitizer report" "$(cat "$T/stuck.log")" "Sanitizer"

# ---------------------------------------- daily-report daemon: SIGTERM, health
m0=$(marks "$T/swallowed")
REPORT_DB_DSN=$DSN_PROXY REPORT_DB_TIMEOUT_SECONDS=600 SMTP_HOST=127.0.0.1 SMTP_PORT=$((PORT_BASE + 855)) \
    SMTP_TLS=none REPORT_FROM=report@loopback.test REPORT_TO=ops@loopback.test REPORT_CATCHUP_MINUTES=0 \
    start_daemon "$PIDS" dr "$T/dr.log" "$DR" --metrics-listen "127.0.0.1:$P_DRM" --state-file "$T/state"
check "the report daemon serves /-/healthy" wait_http "http://127.0.0.1:$P_DRM/-/healthy" 60
DRPID=$(cat "$PIDS/dr.pid")
kill -USR1 "$DRPID"
check "SIGUSR1: the run's query is swallowed (the run is stuck in the database)" \
    eventually 120 more_marks "$T/swallowed" "$m0"
assert_eq "/-/healthy answers 200 while the stuck run is within its bound" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "http://127.0.0.1:$P_DRM/-/healthy")"
kill -TERM "$DRPID"
check "SIGTERM ends the stuck run and the daemon within Docker's 10 s grace" exited_within "$DRPID" 10
wait "$DRPID" 2>/dev/null
assert_eq "... cleanly (exit 0: ASan found no leak)" 0 "$?"
rm -f "$PIDS/dr.pid"
check "the log says the run was abandoned" grep -q 'abandon' "$T/dr.log"

# ------------------------------------- queue-exporter: three silent hosts
cat >"$T/qe.ini" <<'INI'
[exporter]
collect_timeout_seconds = 5
cache_ttl_seconds = 1
INI
a0=$(marks "$T/accepted")
QUEUE_EXPORTER_DSN="host=127.0.0.1,127.0.0.1,127.0.0.1 port=$P_HOLE dbname=postgres user=queue_exporter password=x sslmode=disable connect_timeout=5" \
    start_daemon "$PIDS" qe "$T/qe.log" "$QE" --listen "127.0.0.1:$P_QE" --config "$T/qe.ini"
check "the exporter answers /healthz" wait_http "http://127.0.0.1:$P_QE/healthz" 60
check "its first collection reached the black hole" eventually 60 more_marks "$T/accepted" "$a0"
curl -s --max-time 120 -H 'X-Prometheus-Scrape-Timeout-Seconds: 100' \
    "http://127.0.0.1:$P_QE/metrics" >"$T/qe.metrics"
check "a scrape gets queue_exporter_up 0" grep -qx 'queue_exporter_up 0' "$T/qe.metrics"
dur=$(awk '$1 == "queue_exporter_collect_duration_seconds" { print $2 }' "$T/qe.metrics")
# Three hosts at 5 s each took 15 s before; the budget is 5 s plus the 1 s
# client grace. 10 s leaves room for a loaded machine and still fails the
# old behaviour.
check "one collection over three silent hosts stays within its budget (took ${dur:-?} s, budget 5 s)" \
    awk -v d="${dur:-99}" 'BEGIN { exit !(d < 10) }'
check "the error says the deadline covered every host" grep -q 'every host and address together' "$T/qe.log"
# Shutdown while a connection attempt is in progress.
# A failed connect backs off (1, 2, 4 ... s): scrape until one connects.
connecting=no
for _ in $(seq 1 30); do
    a0=$(marks "$T/accepted")
    curl -s --max-time 120 -o /dev/null -H 'X-Prometheus-Scrape-Timeout-Seconds: 100' \
        "http://127.0.0.1:$P_QE/metrics" &
    CURL=$!
    if eventually 3 more_marks "$T/accepted" "$a0"; then
        connecting=yes
        break
    fi
    wait "$CURL"
done
assert_eq "a new collection is connecting" yes "$connecting"
QEPID=$(cat "$PIDS/qe.pid")
kill -TERM "$QEPID"
check "SIGTERM mid-connection exits within Docker's 10 s grace" exited_within "$QEPID" 10
wait "$QEPID" 2>/dev/null
assert_eq "... cleanly (exit 0)" 0 "$?"
rm -f "$PIDS/qe.pid"
wait "$CURL" 2>/dev/null
assert_not_contains "no sanitizer report from the exporter" "$(cat "$T/qe.log")" "Sanitizer"
finish
