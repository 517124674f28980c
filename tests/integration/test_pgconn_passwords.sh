#!/usr/bin/env bash
# Passwords libpq users get wrong: a space, a single quote, a double quote
# and a backslash. On a real PostgreSQL of its own (scram-sha-256 over TCP),
# a role with such a password logs in through every program's connection
# code (src/common/pgconn: keyword arrays to PQconnectdbParams, the DSN
# expanded by libpq itself, never pasted into a string):
#   - the queue exporter, with the password quoted in a conninfo string;
#   - the daily report, with the password percent-encoded in a URI.
# And the control: the same password pasted unquoted into a conninfo string
# is refused before any connection, without echoing it.
# Ports: PORT_BASE + 640 (PostgreSQL), + 641 (exporter).
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

PGP=$((PORT_BASE + 640))
P_QE=$((PORT_BASE + 641))
T=$(mktemp -d "${TMPDIR:-/tmp}/pgconn-pw.XXXXXX")
chmod 755 "$T" # PostgreSQL runs as postgres and must reach its directory inside
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE PGAPPNAME
cleanup() {
    stop_daemon "$T/pids" qe
    pg_cluster_stop "$T/pg" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
if ! pg_cluster_init "$T/pg" "$PGP" || ! pg_cluster_start "$T/pg"; then
    not_ok "PostgreSQL starts on 127.0.0.1:$PGP" "see above"
    finish
fi
pg_psql "$T/pg" "$PGP" <"$REPO/sql/schema.sql" >/dev/null
pg_psql "$T/pg" "$PGP" <"$REPO/sql/demo-data.sql" >/dev/null

# A space, ' and " and a backslash, plus random bytes so no run reuses one.
RND=$(openssl rand -hex 4)
PW="it's a \"pass\" w\\ord $RND"
ROLE=odd_pw_reader
pg_psql "$T/pg" "$PGP" -v pw="$PW" <<SQL >/dev/null
CREATE ROLE $ROLE LOGIN PASSWORD :'pw';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $ROLE;
SQL
check "psql itself logs in with the password (PGPASSWORD)" env PGPASSWORD="$PW" \
    psql -X -q -At "host=127.0.0.1 port=$PGP dbname=postgres user=$ROLE sslmode=disable" -c "SELECT 1"

# --- queue exporter: conninfo string, value in single quotes with \' and \\ escapes
quoted=$(printf '%s' "$PW" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")
DSN="host=127.0.0.1 port=$PGP dbname=postgres user=$ROLE password='$quoted' sslmode=disable"
QUEUE_EXPORTER_DSN=$DSN start_daemon "$T/pids" qe "$T/qe.log" "$REPO/build/asan/queue-exporter" \
    --listen "127.0.0.1:$P_QE"
if wait_http "http://127.0.0.1:$P_QE/readyz" 30; then
    ok "queue exporter: logs in with the quoted password (/readyz 200)"
else
    not_ok "queue exporter: logs in with the quoted password (/readyz 200)" "$(tail -5 "$T/qe.log")"
fi
assert_contains "queue exporter: reads the queues as that role" \
    "$(curl -sS --max-time 15 "http://127.0.0.1:$P_QE/metrics")" 'supabase_queue_depth{queue="pending_transcriptions",status="pending"}'
stop_daemon "$T/pids" qe
assert_not_contains "queue exporter: its log never shows the password" "$(cat "$T/qe.log")" "$PW"

out=$(QUEUE_EXPORTER_DSN="host=127.0.0.1 port=$PGP dbname=postgres user=$ROLE password=$PW sslmode=disable" \
    timeout 20 "$REPO/build/asan/queue-exporter" --listen "127.0.0.1:$P_QE" 2>&1)
assert_eq "control: the password pasted unquoted is refused before connecting (exit 1)" 1 "$?"
assert_contains "control: ... naming the variable" "$out" "QUEUE_EXPORTER_DSN is not a valid libpq connection string"
assert_not_contains "control: ... without echoing the password" "$out" "$RND"

# --- daily report: postgresql:// URI, password percent-encoded
enc=$(jq -rn --arg s "$PW" '$s | @uri')
URI="postgresql://$ROLE:$enc@127.0.0.1:$PGP/postgres?sslmode=disable"
REPORT_DB_DSN=$URI REPORT_TZ=Europe/Paris "$REPO/build/asan/daily-report" --dry-run --out "$T/dry.html" \
    >"$T/dr.log" 2>&1
html=$(cat "$T/dry.html" 2>/dev/null)
assert_not_contains "daily report: the business section is there (logged in with the URI)" "$html" \
    'data-unavailable="business"'
assert_contains "daily report: ... with the figures read as that role" "$html" 'data-field="incidents_24h"'
assert_not_contains "daily report: its log never shows the password" "$(cat "$T/dr.log")" "$PW"
finish
