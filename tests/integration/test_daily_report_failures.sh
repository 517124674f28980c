#!/usr/bin/env bash
# The daily report when things go wrong: a source down or unset becomes a
# visible "unavailable" section and the mail still goes out (exit 2); an
# SMTP server refusing makes it retry with backoff, exit 1, and leave the
# last-success timestamp alone; bad configuration stops it before anything
# is sent (exit 3) with the variable named. Also delivery with STARTTLS and
# AUTH to a sink of our own, and refusal to fall back to clear text.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
BIN=$REPO/build/asan/daily-report
WORK=$(mktemp -d)
REFUSE=
cleanup() {
    [ -n "$REFUSE" ] && rm -f "$REFUSE"
    stop_daemon "$WORK/pids" tls-sink
    stop_daemon "$WORK/pids" reject-sink
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${PROM_URL:-}" ] || [ -z "${AM_URL:-}" ] || [ -z "${GRAFANA_DB_DSN:-}" ] ||
    [ -z "${SMTP_MAILDIR:-}" ] || [ -z "${PORT_BASE:-}" ]; then
    not_ok "the loopback stack's addresses are loaded" "STACK_ENV=${STACK_ENV:-unset}"
    finish
fi
[ -x "$BIN" ] || { not_ok "build/asan/daily-report exists (make asan)"; finish; }

FROM=report-$$-$RANDOM@loopback.test
# Ports of this script, inside the stack's PORT_BASE block but above every
# service offset (see port_of in local/lib.sh).
CLOSED_PORT=$((PORT_BASE + 699))
TLS_PORT=$((PORT_BASE + 625))
base_env=(PROMETHEUS_URL="$PROM_URL" ALERTMANAGER_URL="$AM_URL" REPORT_DB_DSN="$GRAFANA_DB_DSN"
    SMTP_HOST="$SMTP_HOST" SMTP_PORT="$SMTP_PORT" SMTP_TLS=none REPORT_FROM="$FROM"
    REPORT_TO=ops@loopback.test REPORT_TZ=Europe/Paris)
messages_from() { grep -l "^X-Sink-Mail-From: $1" "${2:-$SMTP_MAILDIR}"/*.eml 2>/dev/null; }
newest_from() { messages_from "$@" | sort | tail -1; }
# html_of EML: the decoded text/html part
html_of() {
    "$PY3" - "$1" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
print(m.get_body(("html",)).get_content())
PY
}
text_of() {
    "$PY3" - "$1" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
print(m.get_body(("plain",)).get_content())
PY
}

# ---- Prometheus unreachable ------------------------------------------------------------
# A closed port rather than stopping the shared Prometheus.
check_fails "nothing listens on the closed test port $CLOSED_PORT" wait_port "$CLOSED_PORT" 1
n0=$(messages_from "$FROM" | wc -l)
env "${base_env[@]}" PROMETHEUS_URL="http://127.0.0.1:$CLOSED_PORT" \
    "$BIN" --once --state-file "$WORK/state1" >"$WORK/noprom.log" 2>&1
assert_eq "--once exits 2 (sent, sections unavailable) with Prometheus down" 2 "$?"
assert_eq "the report still arrived" $((n0 + 1)) "$(messages_from "$FROM" | wc -l)"
MSG=$(newest_from "$FROM")
html=$(html_of "$MSG")
text=$(text_of "$MSG")
assert_contains "the infrastructure section says unavailable" "$html" 'data-unavailable="infrastructure"'
assert_contains "the queues section says unavailable" "$html" 'data-unavailable="queues"'
assert_contains "... with the reason (the address that failed)" "$html" "http://127.0.0.1:$CLOSED_PORT/api/v1/query"
assert_not_contains "business is still there" "$html" 'data-unavailable="business"'
assert_contains "... with its figures" "$html" 'data-field="incidents_24h"'
assert_not_contains "alerts are still there" "$html" 'data-unavailable="alerts"'
assert_not_contains "no chart is referenced when none was drawn" "$html" 'cid:'
assert_contains "the text part says it too" "$text" "INFRASTRUCTURE (Prometheus)
  UNAVAILABLE: GET http://127.0.0.1:$CLOSED_PORT/api/v1/query"
assert_contains "the subject counts the unavailable sections" "$(grep -m1 '^Subject:' "$MSG")" \
    "2 sections unavailable"
assert_contains "the log says which section and why" "$(cat "$WORK/noprom.log")" \
    "infrastructure section unavailable"
check "the state file moved: the report was delivered" test -s "$WORK/state1"

# ---- sources not configured, database refusing ------------------------------------------
env "${base_env[@]}" ALERTMANAGER_URL= REPORT_DB_DSN= \
    "$BIN" --once --state-file "$WORK/state2" >"$WORK/unset.log" 2>&1
assert_eq "--once exits 2 with ALERTMANAGER_URL and REPORT_DB_DSN unset" 2 "$?"
html=$(html_of "$(newest_from "$FROM")")
assert_contains "business: unavailable, REPORT_DB_DSN is not set" "$html" "REPORT_DB_DSN is not set"
assert_contains "alerts: unavailable, ALERTMANAGER_URL is not set" "$html" "ALERTMANAGER_URL is not set"
assert_not_contains "infrastructure is there" "$html" 'data-unavailable="infrastructure"'

BADPW=wrong-$RANDOM-pw
bad_dsn=$(printf '%s' "$GRAFANA_DB_DSN" | sed "s/password=[^ ]*/password=$BADPW/")
env "${base_env[@]}" REPORT_DB_DSN="$bad_dsn" \
    "$BIN" --once --state-file "$WORK/state3" >"$WORK/badpw.log" 2>&1
assert_eq "--once exits 2 when the database refuses the login" 2 "$?"
MSG=$(newest_from "$FROM")
html=$(html_of "$MSG")
assert_contains "business: unavailable with libpq's reason" "$html" "Supabase: cannot connect"
assert_not_contains "the e-mail never shows the password" "$(cat "$MSG")" "$BADPW"
assert_not_contains "the log never shows the password" "$(cat "$WORK/badpw.log")" "$BADPW"

# ---- the SMTP server refusing -------------------------------------------------------------
REFUSE=$(dirname "$SMTP_MAILDIR")/smtp-refuse
printf 'last_success_timestamp_seconds 1795600000\n' >"$WORK/state4"
n0=$(messages_from "$FROM" | wc -l)
touch "$REFUSE"
t0=$(date +%s)
env "${base_env[@]}" REPORT_SMTP_ATTEMPTS=3 REPORT_SMTP_BACKOFF_SECONDS=1 \
    "$BIN" --once --state-file "$WORK/state4" >"$WORK/refuse.log" 2>&1
rc=$?
t1=$(date +%s)
rm -f "$REFUSE"
log=$(cat "$WORK/refuse.log")
assert_eq "--once exits 1 when the mail could not be delivered" 1 "$rc"
assert_contains "attempt 1 failed with the sink's 451" "$log" "delivery attempt 1 of 3 failed"
assert_contains "... retried after 1 s" "$log" "retrying delivery in 1 s (attempt 2 of 3)"
assert_contains "... then after 2 s (backoff doubles)" "$log" "retrying delivery in 2 s (attempt 3 of 3)"
assert_contains "... and gave up after the third" "$log" "report not sent after 3 attempt(s)"
assert_contains "the server's reply is in the log" "$log" "451"
check "the backoff really waited (>= 3 s)" test $((t1 - t0)) -ge 3
assert_eq "the last-success timestamp did not move" "last_success_timestamp_seconds 1795600000" \
    "$(cat "$WORK/state4")"
assert_eq "nothing was delivered" "$n0" "$(messages_from "$FROM" | wc -l)"
env "${base_env[@]}" "$BIN" --once --state-file "$WORK/state4" >"$WORK/after.log" 2>&1
assert_eq "once the sink accepts again, --once succeeds" 0 "$?"
moved=$(awk '$1 == "last_success_timestamp_seconds" { print $2 }' "$WORK/state4")
check "... and the timestamp moves to now" test "${moved:-0}" -ge "$t1"

# ---- configuration errors: nothing is attempted ---------------------------------------------
config_error() { # DESC WANT-IN-MESSAGE VAR=VALUE...
    local desc=$1 want=$2 out rc
    shift 2
    out=$(env "${base_env[@]}" "$@" "$BIN" --once --state-file "$WORK/state5" 2>&1)
    rc=$?
    if [ "$rc" = 3 ] && printf '%s' "$out" | grep -F -- "$want" >/dev/null; then ok "$desc"; else
        not_ok "$desc" "exit $rc (want 3), output: $out"
    fi
}
n0=$(messages_from "$FROM" | wc -l)
config_error "REPORT_TO unset: exit 3 naming REPORT_TO" "REPORT_TO is not set" REPORT_TO=
config_error "SMTP_HOST unset: exit 3 naming SMTP_HOST" "SMTP_HOST is not set" SMTP_HOST=
config_error "REPORT_FROM unset: exit 3 naming REPORT_FROM" "REPORT_FROM is not set" REPORT_FROM=
config_error "bad REPORT_TZ: exit 3 naming it" "REPORT_TZ=Europe/Pariss is not a time zone" REPORT_TZ=Europe/Pariss
config_error "bad REPORT_TIME: exit 3 naming it" "REPORT_TIME=25:00 is not a time of day HH:MM" REPORT_TIME=25:00
config_error "a password in clear text to a remote host is refused" "SMTP_TLS=none would send SMTP_PASSWORD" \
    SMTP_HOST=smtp.example.invalid SMTP_USER=u SMTP_PASSWORD=p
config_error "SMTP_USER without SMTP_PASSWORD is refused" "SMTP_USER is set but SMTP_PASSWORD" SMTP_USER=u
assert_eq "no configuration error sent anything" "$n0" "$(messages_from "$FROM" | wc -l)"
check_fails "the state file was never written by those runs" test -e "$WORK/state5"
env "${base_env[@]}" "$BIN" --once --bogus >/dev/null 2>&1
assert_eq "an unknown option exits 3" 3 "$?"

# ---- STARTTLS and AUTH, like Mailgun on 587 ---------------------------------------------------
mkdir -p "$WORK/tls/mail"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" >/dev/null 2>&1
TLS_PW=pw-$RANDOM-$RANDOM
printf '%s\n' "$TLS_PW" >"$WORK/tls/password"
check_fails "nothing listens on the TLS sink's port $TLS_PORT yet" wait_port "$TLS_PORT" 1
start_daemon "$WORK/pids" tls-sink "$WORK/tls/sink.log" "$PY3" "$REPO/local/smtp-sink.py" \
    --listen "127.0.0.1:$TLS_PORT" --maildir "$WORK/tls/mail" --tls-cert "$WORK/tls/cert.pem" \
    --tls-key "$WORK/tls/key.pem" --auth-user mailer --auth-password-file "$WORK/tls/password"
check "a STARTTLS + AUTH sink runs on $TLS_PORT" wait_port "$TLS_PORT" 15
tls_env=(SMTP_HOST=127.0.0.1 SMTP_PORT="$TLS_PORT" SMTP_TLS=starttls SMTP_USER=mailer
    SMTP_CA_FILE="$WORK/tls/cert.pem" REPORT_SMTP_ATTEMPTS=2 REPORT_SMTP_BACKOFF_SECONDS=1)
env "${base_env[@]}" "${tls_env[@]}" SMTP_PASSWORD_FILE="$WORK/tls/password" \
    "$BIN" --once --state-file "$WORK/state6" >"$WORK/tls.log" 2>&1
assert_eq "delivery over STARTTLS with AUTH succeeds (password from SMTP_PASSWORD_FILE)" 0 "$?"
assert_eq "the TLS sink kept the report" 1 "$(messages_from "$FROM" "$WORK/tls/mail" | wc -l)"
assert_not_contains "the log never shows the SMTP password" "$(cat "$WORK/tls.log")" "$TLS_PW"

env "${base_env[@]}" "${tls_env[@]}" SMTP_PASSWORD=not-the-password \
    "$BIN" --once --state-file "$WORK/state7" >"$WORK/tls-badpw.log" 2>&1
assert_eq "a refused login exits 1" 1 "$?"
assert_contains "... the server's 535 is in the log" "$(cat "$WORK/tls-badpw.log")" "535"
assert_contains "... and it is not retried (5xx is permanent)" "$(cat "$WORK/tls-badpw.log")" \
    "permanent SMTP failure; not retrying"
check_fails "... and the state file was not written" test -e "$WORK/state7"

# ---- a permanent refusal (5xx) is not retried ----------------------------------------------
REJECT_PORT=$((PORT_BASE + 626))
cat >"$WORK/reject.py" <<'PY'
"""SMTP server that rejects every sender with 550 and counts the attempts."""
import signal, sys, threading
from aiosmtpd.controller import Controller

class Reject:
    async def handle_MAIL(self, server, session, envelope, address, options):
        with open(sys.argv[2], "a") as f:
            f.write("MAIL\n")
        return "550 5.7.1 sender rejected (test)"

ctl = Controller(Reject(), hostname="127.0.0.1", port=int(sys.argv[1]))
ctl.start()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
ctl.stop()
PY
check_fails "nothing listens on the rejecting server's port $REJECT_PORT yet" wait_port "$REJECT_PORT" 1
start_daemon "$WORK/pids" reject-sink "$WORK/reject.log" "$PY3" "$WORK/reject.py" "$REJECT_PORT" "$WORK/reject.count"
check "a server rejecting every sender with 550 runs" wait_port "$REJECT_PORT" 15
env "${base_env[@]}" SMTP_PORT="$REJECT_PORT" REPORT_SMTP_ATTEMPTS=4 REPORT_SMTP_BACKOFF_SECONDS=1 \
    "$BIN" --once --state-file "$WORK/state10" >"$WORK/reject-run.log" 2>&1
assert_eq "a 550 exits 1" 1 "$?"
assert_contains "... as a permanent failure" "$(cat "$WORK/reject-run.log")" "permanent SMTP failure; not retrying"
assert_eq "... after exactly one attempt" 1 "$(wc -l <"$WORK/reject.count" 2>/dev/null || echo 0)"
check_fails "... and the state file was not written" test -e "$WORK/state10"
stop_daemon "$WORK/pids" reject-sink

env "${base_env[@]}" "${tls_env[@]}" SMTP_CA_FILE= REPORT_SMTP_ATTEMPTS=1 SMTP_PASSWORD="$TLS_PW" \
    "$BIN" --once --state-file "$WORK/state8" >"$WORK/tls-noca.log" 2>&1
assert_eq "an untrusted certificate is not accepted (exit 1)" 1 "$?"
assert_contains "... and the log says why" "$(cat "$WORK/tls-noca.log")" "certificate"

env "${base_env[@]}" SMTP_TLS=starttls REPORT_SMTP_ATTEMPTS=1 \
    "$BIN" --once --state-file "$WORK/state9" >"$WORK/notls.log" 2>&1
assert_eq "SMTP_TLS=starttls never falls back to clear text (the plain sink offers no STARTTLS)" 1 "$?"
assert_eq "the TLS sink got nothing more" 1 "$(messages_from "$FROM" "$WORK/tls/mail" | wc -l)"
finish
