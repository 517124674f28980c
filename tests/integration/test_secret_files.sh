#!/usr/bin/env bash
# The C programs really connect with what compose.yaml gives them now that
# no secret is in their environment: config-init (scripts/render-config.sh)
# renders libpq service files and password files from a .env, and the queue
# exporter and the daily report run with compose.yaml's environment for
# them (QUEUE_EXPORTER_DSN=service=queue_exporter, REPORT_DB_DSN=
# service=daily_report, PGSERVICEFILE, SMTP_PASSWORD_FILE) against the
# loopback stack's PostgreSQL.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
[ -n "${QUEUE_EXPORTER_DSN:-}" ] || { not_ok "the loopback stack is running (STACK_ENV)"; finish; }
T=$(mktemp -d)
qpid=
cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
pg_port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$GRAFANA_DB_DSN")

# The .env as an operator writes it; only non-secrets go by environment.
{
    echo "GRAFANA_ADMIN_PASSWORD=$(openssl rand -hex 12)"
    echo "SUPABASE_GRAFANA_PASSWORD='$GRAFANA_DB_PASSWORD'"
    echo "WASABI_ACCESS_KEY=AKIATEST"
    echo "WASABI_SECRET_KEY=$(openssl rand -hex 12)"
    echo "SMTP_PASSWORD=smtp-$(openssl rand -hex 6)"
    echo "QUEUE_EXPORTER_DSN=$QUEUE_EXPORTER_DSN"
} >"$T/env"
chmod 600 "$T/env"
if out=$(env -i PATH="$PATH" REPO_DIR="$REPO" RENDER_OUT="$T/r" SECRETS_ENV_FILE="$T/env" \
    SMTP_HOST=127.0.0.1 SMTP_PORT="$SMTP_PORT" SMTP_USER=u SMTP_FROM=a@loopback.test ALERT_EMAIL_TO=b@loopback.test \
    GRAFANA_DOMAIN=monitoring.loopback.test WASABI_BUCKET=b WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com \
    WASABI_REGION=eu-central-1 SUPABASE_DB_HOST=127.0.0.1 SUPABASE_DB_PORT="$pg_port" \
    SUPABASE_GRAFANA_USER=grafana_readonly SUPABASE_SSLMODE=disable sh "$REPO/scripts/render-config.sh" compose 2>&1); then
    ok "config-init renders the secret files from a .env"
else
    not_ok "config-init renders the secret files from a .env" "$out"
fi

# --- queue exporter: compose.yaml's environment, service file from the DSN ---------------------
QP=$((PORT_BASE + 640))
# PGSSLMODE=require as compose sets it from SUPABASE_SSLMODE's default: the
# service file's sslmode (disable here, from the DSN) must win, or the
# connection to this TLS-less PostgreSQL fails.
env -i PATH="$PATH" QUEUE_EXPORTER_DSN=service=queue_exporter PGSERVICEFILE="$T/r/queue-exporter/pg_service.conf" \
    PGSSLMODE=require "$REPO/build/queue-exporter" --listen "127.0.0.1:$QP" >"$T/qe.log" 2>&1 &
qpid=$!
up() { curl -fsS --max-time 3 "http://127.0.0.1:$QP/metrics" | grep -qx 'queue_exporter_up 1'; }
if eventually 20 up; then
    ok "the queue exporter connects with QUEUE_EXPORTER_DSN=service=queue_exporter (queue_exporter_up 1)"
else
    not_ok "the queue exporter connects with QUEUE_EXPORTER_DSN=service=queue_exporter" "$(tail -5 "$T/qe.log")"
fi
n=$(curl -fsS --max-time 3 "http://127.0.0.1:$QP/metrics" | grep -c '^supabase_queue_depth{')
if [ "$n" -gt 0 ]; then ok "... and reports queue depths ($n series)"; else not_ok "... and reports queue depths" "$n"; fi
assert_not_contains "the exporter's log holds no password" "$(cat "$T/qe.log")" "$QUEUE_EXPORTER_DB_PASSWORD"
kill "$qpid" && wait "$qpid" 2>/dev/null
qpid=

# --- daily report: REPORT_DB_DSN=service=daily_report, SMTP_PASSWORD_FILE -------------------------
dry_run() { # SERVICEFILE OUT
    env -i PATH="$PATH" PROMETHEUS_URL="$PROM_URL" ALERTMANAGER_URL="$AM_URL" \
        REPORT_DB_DSN=service=daily_report PGSERVICEFILE="$1" PGSSLMODE=verify-full \
        SMTP_HOST=127.0.0.1 SMTP_PORT="$SMTP_PORT" SMTP_TLS=none SMTP_USER=u SMTP_PASSWORD_FILE="$T/r/daily-report/smtp_password" \
        REPORT_FROM=a@loopback.test REPORT_TO=b@loopback.test REPORT_TZ=Europe/Paris GRAFANA_URL=https://monitoring.loopback.test/ \
        "$REPO/build/daily-report" --dry-run --out "$2" >"$T/dr.log" 2>&1
}
# Without the right service file the section must say unavailable (so the
# check below can fail).
sed 's/^password=.*/password=wrong/' "$T/r/daily-report/pg_service.conf" >"$T/wrong.conf"
dry_run "$T/wrong.conf" "$T/wrong.html"
assert_contains "with a wrong password in the service file the Supabase section is unavailable" \
    "$(cat "$T/wrong.html" 2>/dev/null)" 'data-unavailable="business"'
dry_run "$T/r/daily-report/pg_service.conf" "$T/dry.html"
rc=$?
html=$(cat "$T/dry.html" 2>/dev/null)
assert_eq "the daily report runs with compose.yaml's environment (exit 0)" "0" "$rc"
[ "$rc" = 0 ] || not_ok "daily report log" "$(tail -5 "$T/dr.log")"
assert_not_contains "its Supabase section is there (read through the service file)" "$html" 'data-unavailable="business"'
finish
