#!/usr/bin/env bash
# The daily report as a daemon (its compose mode): /metrics for Prometheus
# (scraped as job daily-report), the next run at REPORT_TIME in REPORT_TZ,
# the last-success timestamp kept across restarts in the state file and
# moved only by a delivered report, a missed run caught up at startup,
# SIGUSR1 to send now, a clean stop on SIGTERM even in the middle of a retry
# backoff, and --healthcheck for the container's HEALTHCHECK.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
BIN=$REPO/build/asan/daily-report
WORK=$(mktemp -d)
REFUSE=
cleanup() {
    [ -n "$REFUSE" ] && rm -f "$REFUSE"
    stop_daemon "$WORK/pids" dr-a
    stop_daemon "$WORK/pids" dr-b
    stop_daemon "$WORK/pids" dr-c
    stop_daemon "$WORK/pids" hang
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${PROM_URL:-}" ] || [ -z "${DAILY_REPORT_URL:-}" ] || [ -z "${SMTP_MAILDIR:-}" ] ||
    [ -z "${PORT_BASE:-}" ]; then
    not_ok "the loopback stack's addresses are loaded" "STACK_ENV=${STACK_ENV:-unset}"
    finish
fi
[ -x "$BIN" ] || { not_ok "build/asan/daily-report exists (make asan)"; finish; }
REFUSE=$(dirname "$SMTP_MAILDIR")/smtp-refuse

# ---- the stack's own daily-report, as Prometheus sees it -----------------------------------
hdr=$(curl -fsS --max-time 5 -D - -o "$WORK/stack-metrics" "$DAILY_REPORT_URL/metrics" | tr -d '\r')
assert_contains "/metrics is the text exposition format" "$hdr" \
    "Content-Type: text/plain; version=0.0.4; charset=utf-8"
assert_contains "it exposes daily_report_last_success_timestamp_seconds" "$(cat "$WORK/stack-metrics")" \
    "# TYPE daily_report_last_success_timestamp_seconds gauge"
scraped() { prom_query 'up{job="daily-report"} == 1' | jq -e '.data.result | length == 1' >/dev/null; }
check "Prometheus scrapes it as job daily-report (up == 1)" eventually 30 scraped
in_prom() {
    prom_query 'daily_report_last_success_timestamp_seconds{job="daily-report",server="F"}' |
        jq -e '.data.result | length == 1' >/dev/null
}
check "Prometheus has its last-success timestamp, with the server label" eventually 30 in_prom
assert_eq "/-/healthy answers 200" 200 \
    "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$DAILY_REPORT_URL/-/healthy")"
assert_eq "an unknown path is 404" 404 \
    "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$DAILY_REPORT_URL/nope")"
assert_eq "POST is refused (405)" 405 \
    "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -d x "$DAILY_REPORT_URL/metrics")"

# ---- a daemon of our own -----------------------------------------------------------------
PORT_A=$((PORT_BASE + 601))
PORT_B=$((PORT_BASE + 602))
FROM=report-$$-$RANDOM@loopback.test
messages_from() { grep -l "^X-Sink-Mail-From: $FROM" "$SMTP_MAILDIR"/*.eml 2>/dev/null | wc -l; }
metric() { # URL NAME: the value of an unlabelled sample
    curl -fsS --max-time 5 "$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
paris_hhmm() { TZ=Europe/Paris date -d "@$(($(date +%s) + $1))" +%H:%M; }
# next HH:MM in Europe/Paris after now, computed by Python's zoneinfo
next_run_of() {
    "$PY3" - "$1" <<'PY'
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
tz = ZoneInfo("Europe/Paris")
h, m = map(int, sys.argv[1].split(":"))
now = datetime.now(tz)
cand = now.replace(hour=h, minute=m, second=0, microsecond=0)
if cand <= now:
    cand = (now + timedelta(days=1)).replace(hour=h, minute=m, second=0, microsecond=0)
print(int(cand.timestamp()))
PY
}
start_report_daemon() { # NAME PORT STATE REPORT_TIME ATTEMPTS BACKOFF
    (
        export PROMETHEUS_URL="$PROM_URL" ALERTMANAGER_URL="$AM_URL" REPORT_DB_DSN="$GRAFANA_DB_DSN" \
            SMTP_HOST="$SMTP_HOST" SMTP_PORT="$SMTP_PORT" SMTP_TLS=none REPORT_FROM="$FROM" \
            REPORT_TO=ops@loopback.test REPORT_TZ=Europe/Paris REPORT_TIME="$4" \
            REPORT_SMTP_ATTEMPTS="$5" REPORT_SMTP_BACKOFF_SECONDS="$6"
        start_daemon "$WORK/pids" "$1" "$WORK/$1.log" "$BIN" --metrics-listen "127.0.0.1:$2" \
            --state-file "$3"
    )
    wait_http "http://127.0.0.1:$2/metrics" 20 || { tail -5 "$WORK/$1.log"; return 1; }
}

for p in "$PORT_A" "$PORT_B"; do
    check_fails "nothing listens on test port $p yet" wait_port "$p" 1
done
A=http://127.0.0.1:$PORT_A
OLD=1795600000
printf 'last_success_timestamp_seconds %s\n' "$OLD" >"$WORK/state-a"
TIME_A=$(paris_hhmm $((3 * 3600))) # far from now: only signals make it send
check "a daemon starts with REPORT_TIME=$TIME_A" start_report_daemon dr-a "$PORT_A" "$WORK/state-a" "$TIME_A" 2 1
assert_eq "its last-success timestamp comes from the state file, not 0" "$OLD" \
    "$(metric "$A" daily_report_last_success_timestamp_seconds)"
assert_eq "its next run is the next $TIME_A in Europe/Paris" "$(next_run_of "$TIME_A")" \
    "$(metric "$A" daily_report_next_run_timestamp_seconds)"
assert_eq "no run yet" 0 "$(metric "$A" daily_report_runs_total)"
assert_eq "--healthcheck passes against it" 0 \
    "$("$BIN" --healthcheck --metrics-listen "127.0.0.1:$PORT_A" >/dev/null 2>&1; echo $?)"
assert_eq "--healthcheck fails when nothing answers" 1 \
    "$("$BIN" --healthcheck --metrics-listen "127.0.0.1:$PORT_B" >/dev/null 2>&1; echo $?)"
env SMTP_HOST=x REPORT_FROM=a@b.c REPORT_TO=d@e.f timeout 10 "$BIN" --metrics-listen "127.0.0.1:$PORT_A" \
    --state-file "$WORK/state-x" >"$WORK/dup.log" 2>&1
assert_eq "a second daemon on the same address exits 1" 1 "$?"
assert_contains "... saying why" "$(cat "$WORK/dup.log")" "cannot listen on 127.0.0.1:$PORT_A"

# SIGUSR1: a report now
n0=$(messages_from)
t0=$(date +%s)
kill -USR1 "$(cat "$WORK/pids/dr-a.pid")"
check "SIGUSR1 makes it send a report" eventually 60 metric_is "$A" daily_report_runs_total 1
sent=$(metric "$A" daily_report_last_success_timestamp_seconds)
check "the last-success timestamp moved to now" test "${sent:-0}" -ge "$t0"
assert_eq "the state file holds the same time" "last_success_timestamp_seconds $sent" \
    "$(grep -v '^#' "$WORK/state-a")"
assert_eq "the report arrived" $((n0 + 1)) "$(messages_from)"
assert_eq "no failure counted" 0 "$(metric "$A" daily_report_failures_total)"
assert_contains "every section was available" "$(curl -fsS "$A/metrics")" \
    'daily_report_section_unavailable{section="infrastructure"} 0'
assert_eq "the next run is unchanged" "$(next_run_of "$TIME_A")" \
    "$(metric "$A" daily_report_next_run_timestamp_seconds)"

# the sink refuses: retries, a failure counted, the timestamp stays
touch "$REFUSE"
kill -USR1 "$(cat "$WORK/pids/dr-a.pid")"
check "a refused report counts as a failure" eventually 60 metric_is "$A" daily_report_failures_total 1
rm -f "$REFUSE"
assert_eq "... after both attempts" 2 "$(grep -c 'delivery attempt [12] of 2 failed' "$WORK/dr-a.log")"
assert_eq "the last-success timestamp did not move" "$sent" \
    "$(metric "$A" daily_report_last_success_timestamp_seconds)"
assert_eq "the state file did not move" "last_success_timestamp_seconds $sent" \
    "$(grep -v '^#' "$WORK/state-a")"
assert_eq "runs counted: 2" 2 "$(metric "$A" daily_report_runs_total)"
assert_eq "nothing more arrived" $((n0 + 1)) "$(messages_from)"

# SIGTERM: a clean stop; a restart keeps the timestamp
pid=$(cat "$WORK/pids/dr-a.pid")
kill -TERM "$pid"
stopped() { ! kill -0 "$pid" 2>/dev/null; }
check "SIGTERM stops it before Docker's 10 s grace period ends" eventually 9 stopped
assert_contains "... logging that it stopped" "$(tail -2 "$WORK/dr-a.log")" "stopped"
check "a restart succeeds" start_report_daemon dr-a "$PORT_A" "$WORK/state-a" "$TIME_A" 2 1
assert_eq "after the restart the last-success timestamp is still the delivered one" "$sent" \
    "$(metric "$A" daily_report_last_success_timestamp_seconds)"
assert_eq "... and it did not send again at startup" 0 \
    "$(metric "$A" daily_report_runs_total)"
stop_daemon "$WORK/pids" dr-a

# ---- a missed run is caught up at startup --------------------------------------------------
# REPORT_TIME two minutes ago and no success since: the daemon sends now.
B=http://127.0.0.1:$PORT_B
TIME_B=$(paris_hhmm -120)
printf 'last_success_timestamp_seconds %s\n' "$OLD" >"$WORK/state-b"
touch "$REFUSE"
check "a daemon starts with REPORT_TIME=$TIME_B (2 minutes ago), the sink refusing" \
    start_report_daemon dr-b "$PORT_B" "$WORK/state-b" "$TIME_B" 3 120
caught_up() { grep -q "was not sent; sending it now" "$WORK/dr-b.log"; }
check "it catches up on the missed report at once" eventually 20 caught_up
waiting() { grep -q "retrying delivery in 120 s" "$WORK/dr-b.log"; }
check "the first attempt fails and it waits 120 s to retry" eventually 30 waiting
pid=$(cat "$WORK/pids/dr-b.pid")
t0=$(date +%s)
kill -TERM "$pid"
check "SIGTERM in the middle of the backoff stops it before Docker's 10 s grace period ends" eventually 9 stopped
rm -f "$REFUSE"
assert_eq "the timestamp in the state file did not move" "last_success_timestamp_seconds $OLD" \
    "$(grep -v '^#' "$WORK/state-b")"
n0=$(messages_from)
check "restarted with the sink accepting" start_report_daemon dr-b "$PORT_B" "$WORK/state-b" "$TIME_B" 3 120
check "it catches up again and delivers" eventually 60 metric_is "$B" daily_report_runs_total 1
assert_eq "the report arrived" $((n0 + 1)) "$(messages_from)"
moved=$(metric "$B" daily_report_last_success_timestamp_seconds)
check "the last-success timestamp moved" test "${moved:-0}" -ge "$t0"
assert_eq "the next run is tomorrow's $TIME_B" "$(next_run_of "$TIME_B")" \
    "$(metric "$B" daily_report_next_run_timestamp_seconds)"
stop_daemon "$WORK/pids" dr-b

# ---- SIGTERM while a source hangs ----------------------------------------------------------
# A "Prometheus" that accepts connections and never answers: the run sits
# in an HTTP request (30 s timeout); SIGTERM must still stop it promptly,
# without sending a half-collected report.
HANG_PORT=$((PORT_BASE + 605))
PORT_C=$((PORT_BASE + 604))
cat >"$WORK/hang.py" <<'PY'
import signal, socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
def accept():
    while True:
        held.append(s.accept()[0])
threading.Thread(target=accept, daemon=True).start()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
PY
for p in "$HANG_PORT" "$PORT_C"; do
    check_fails "nothing listens on test port $p yet" wait_port "$p" 1
done
start_daemon "$WORK/pids" hang "$WORK/hang.log" "$PY3" "$WORK/hang.py" "$HANG_PORT"
check "a server that never answers runs on $HANG_PORT" wait_port "$HANG_PORT" 10
printf 'last_success_timestamp_seconds %s\n' "$OLD" >"$WORK/state-c"
n0=$(messages_from)
(
    export PROM_URL="http://127.0.0.1:$HANG_PORT"
    start_report_daemon dr-c "$PORT_C" "$WORK/state-c" "$TIME_B" 3 1
) || true
check "a daemon catching up with Prometheus hanging starts" wait_http "http://127.0.0.1:$PORT_C/metrics" 20
hung() { grep -q "was not sent; sending it now" "$WORK/dr-c.log"; }
check "it is collecting" eventually 20 hung
sleep 2
pid=$(cat "$WORK/pids/dr-c.pid")
kill -TERM "$pid"
check "SIGTERM in the middle of a hung HTTP request stops it before Docker's 10 s grace period ends" eventually 9 stopped
assert_contains "... abandoning the run" "$(cat "$WORK/dr-c.log")" "stop requested, abandoning the run"
assert_eq "... without sending anything" "$n0" "$(messages_from)"
assert_eq "... and the state file did not move" "last_success_timestamp_seconds $OLD" \
    "$(grep -v '^#' "$WORK/state-c")"
stop_daemon "$WORK/pids" dr-c
stop_daemon "$WORK/pids" hang
finish
