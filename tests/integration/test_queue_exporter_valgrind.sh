#!/usr/bin/env bash
# The release build of queue-exporter under valgrind (memcheck), through a
# whole life: collections over TLS, concurrent scrapes, malformed requests,
# PostgreSQL stopped and restarted, SIGTERM. Passes when valgrind reports no
# error and no definitely/indirectly lost block.
# Ports: PORT_BASE + 620 (PostgreSQL), + 621 (exporter).
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

BIN=$REPO/build/queue-exporter
PGP=$((PORT_BASE + 620))
PORT=$((PORT_BASE + 621))
T=$(mktemp -d /tmp/qe-vg.XXXXXX)
chmod 755 "$T" # PostgreSQL runs as postgres and must reach its directory inside
PGDIR=$T/pg
unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE PGAPPNAME QUEUE_EXPORTER_LISTEN QUEUE_EXPORTER_CONFIG

cleanup() {
    stop_daemon "$T" qe-vg
    pg_cluster_stop "$PGDIR" >/dev/null 2>&1
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

command -v valgrind >/dev/null || { not_ok "valgrind is installed (tests/install-deps.sh)"; finish; }
pg_cluster_init "$PGDIR" "$PGP" || { not_ok "PostgreSQL cluster init"; finish; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -keyout "$PGDIR/server.key" -out "$PGDIR/server.crt" >/dev/null 2>&1
chown postgres:postgres "$PGDIR/server.key" "$PGDIR/server.crt" 2>/dev/null
chmod 600 "$PGDIR/server.key"
printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$PGDIR/server.crt" "$PGDIR/server.key" \
    >>"$PGDIR/data/postgresql.conf"
pg_cluster_start "$PGDIR" || { not_ok "PostgreSQL start"; finish; }
PW=$(openssl rand -hex 16)
pg_psql "$PGDIR" "$PGP" -f "$REPO/sql/schema.sql" >/dev/null &&
    pg_psql "$PGDIR" "$PGP" -f "$REPO/sql/demo-data.sql" >/dev/null &&
    pg_psql "$PGDIR" "$PGP" -v grafana_verifier="$(roles_verifier grafana_readonly "$(openssl rand -hex 16)")" -v exporter_verifier="$(roles_verifier queue_exporter "$PW")" \
        -f "$REPO/sql/roles.sql" >/dev/null &&
    pg_psql "$PGDIR" "$PGP" -f "$REPO/sql/indexes.sql" >/dev/null
check "database loaded" test $? -eq 0

printf '[exporter]\ncache_ttl_seconds = 1\nreconnect_max_seconds = 1\n' >"$T/qe.ini"
# sslmode left to the default (require): TLS code paths run under memcheck too.
QUEUE_EXPORTER_DSN="host=127.0.0.1 port=$PGP dbname=postgres user=queue_exporter password=$PW" \
    start_daemon "$T" qe-vg "$T/qe.log" valgrind --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 --log-file="$T/valgrind.log" "$BIN" --listen "127.0.0.1:$PORT" --config "$T/qe.ini"
PID=$(cat "$T/qe-vg.pid")
check "exporter under valgrind answers" wait_http "http://127.0.0.1:$PORT/healthz" 60
up() { curl -s --max-time 20 "http://127.0.0.1:$PORT/metrics" | grep -x "queue_exporter_up $1" >/dev/null; }
check "under valgrind: up 1" eventually 30 up 1
check "under valgrind: a queue value" bash -c "curl -s --max-time 20 http://127.0.0.1:$PORT/metrics | grep -qx 'supabase_queue_depth{queue=\"pending_transcriptions\",status=\"pending\"} 42'"
sleep 1.2
seq 1 20 | xargs -P 20 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 \
    "http://127.0.0.1:$PORT/metrics" >"$T/codes"
assert_eq "under valgrind: 20 concurrent scrapes answered 200" "20" "$(grep -c '^200$' "$T/codes")"
assert_eq "under valgrind: 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")"
assert_eq "under valgrind: 405" "405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")"
assert_eq "under valgrind: 400 on a bad scrape timeout" "400" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Prometheus-Scrape-Timeout-Seconds: x' "http://127.0.0.1:$PORT/metrics")"
pg_cluster_stop "$PGDIR"
check "under valgrind: PostgreSQL stopped -> up 0" eventually 30 up 0
pg_cluster_start "$PGDIR"
check "under valgrind: PostgreSQL restarted -> up 1" eventually 30 up 1

kill -TERM "$PID"
wait "$PID"
rc=$?
rm -f "$T/qe-vg.pid"
assert_eq "under valgrind: clean exit after SIGTERM (99 would be a valgrind error)" "0" "$rc"
assert_valgrind_clean "$T/valgrind.log"
assert_contains "the exporter logged its shutdown" "$(cat "$T/qe.log")" "stopped"
finish
