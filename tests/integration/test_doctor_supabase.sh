#!/usr/bin/env bash
# build/doctor, group supabase, against a PostgreSQL cluster of its own with
# TLS (a test certificate), loaded with sql/schema.sql and sql/roles.sql:
# correct roles pass; an over-privileged role, a missing read policy, a
# wrong password, a server without TLS, an unverifiable certificate and an
# IPv6-only host that cannot be reached each fail with their own message.
# The doctor must never write: every statement it sends is logged and
# checked.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
. "$REPO/tests/fixtures/doctor/lib.sh"

GPW=test-only-grafana-db-pw-0001
EPW=test-only-exporter-db-pw-0001
PGP=$(dport 632)
PGD=$DT/pg
make_certs "$DT/tls" || { not_ok "test certificates" "openssl failed"; finish; }
if ! pg_cluster_init "$PGD" "$PGP"; then
    not_ok "a PostgreSQL cluster for the test" "pg_cluster_init failed"
    finish
fi
DT_PG_DIRS+=("$PGD")
install -o postgres -g postgres -m 600 "$DT/tls/server.key" "$PGD/server.key" 2>/dev/null ||
    install -m 600 "$DT/tls/server.key" "$PGD/server.key"
install -m 644 "$DT/tls/server.crt" "$PGD/server.crt"
cat >>"$PGD/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = '$PGD/server.crt'
ssl_key_file = '$PGD/server.key'
log_statement = 'all'
log_line_prefix = '[%a] '
CONF
check "the cluster (TLS on) starts" pg_cluster_start "$PGD"
psql_su() { pg_psql "$PGD" "$PGP" "$@"; }
check "schema loaded" psql_su -f "$REPO/sql/schema.sql"
check "roles loaded" psql_su -v grafana_verifier="$(roles_verifier grafana_readonly "$GPW")" -v exporter_verifier="$(roles_verifier queue_exporter "$EPW")" -f "$REPO/sql/roles.sql"

pgenv() {
    local f=$1
    shift
    write_env "$f" "SUPABASE_URL=https://abcdefghijklmnopqrst.supabase.co" \
        "SUPABASE_DB_HOST=127.0.0.1" "SUPABASE_DB_PORT=$PGP" \
        "SUPABASE_GRAFANA_USER=grafana_readonly" "SUPABASE_GRAFANA_PASSWORD=$GPW" \
        "SUPABASE_SSLMODE=require" \
        "QUEUE_EXPORTER_DSN='host=127.0.0.1 port=$PGP dbname=postgres user=queue_exporter password=$EPW sslmode=require'" \
        "$@"
}
GRAFANA_OK="SUPABASE_GRAFANA_USER (grafana_readonly) can SELECT exactly what it needs (pending_transcriptions, pending_pdf_processing, incidents, fleet_positions, whatsapp_messages) and nothing else: no write, no CREATE, no other table, no role membership"
EXPORTER_OK="QUEUE_EXPORTER_DSN (queue_exporter) can SELECT exactly what it needs (pending_transcriptions, pending_pdf_processing) and nothing else: no write, no CREATE, no other table, no role membership"

pgenv "$DT/good.env"
run_doctor --env-file "$DT/good.env" --only supabase
assert_rc "correct roles pass (exit 0)" 0
assert_check "the host resolves" "✓" supabase.resolve "127.0.0.1 resolves to 127.0.0.1"
assert_status "TLS is used" "✓" supabase.tls
assert_contains "sslmode=require is explained" "$OUT" \
    "(sslmode=require: encrypted; verify-full would also check the certificate)"
assert_check "grafana_readonly has exactly its grants" "✓" supabase.grafana-role "$GRAFANA_OK"
assert_check "queue_exporter has exactly its grants" "✓" supabase.exporter-role "$EXPORTER_OK"
assert_not_contains "no password is printed" "$OUT" "test-only-"

# The doctor only reads: every statement it sent, from both roles.
doctor_sql=$(grep -F '[ecotrans-doctor]' "$PGD/postgres.log" | grep -E 'statement: |execute [^:]*: ')
assert_contains "its statements are logged (the check is real)" "$doctor_sql" "BEGIN READ ONLY"
writes=$(printf '%s\n' "$doctor_sql" | grep -iE '(statement|execute [^:]*): *(insert|update|delete|create|alter|drop|grant|revoke|truncate|copy|set +role|set +session)' || true)
assert_eq "the doctor sent no writing statement" "" "$writes"

# verify-full: needs the CA (PGSSLROOTCERT), then checks the certificate.
pgenv "$DT/vf.env" "SUPABASE_SSLMODE=verify-full"
HOME=$DT run_doctor --env-file "$DT/vf.env" --only supabase --skip supabase.exporter-role
assert_check "verify-full without the CA fails TLS" "✗" supabase.tls \
    "TLS with 127.0.0.1:$PGP failed (sslmode=verify-full): root certificate file \"$DT/.postgresql/root.crt\" does not exist; Either provide the file or change sslmode to disable server certificate verification." \
    "for verify-ca/verify-full name Supabase's CA certificate in SUPABASE_CA_CERT (Project Settings > Database > SSL), or use sslmode=require"
PGSSLROOTCERT=$DT/tls/ca.crt run_doctor --env-file "$DT/vf.env" --only supabase --skip supabase.exporter-role
assert_rc "verify-full with the CA passes" 0
assert_contains "verify-full checks the certificate" "$OUT" "certificate verified (sslmode=verify-full)"

# Wrong password: TLS was fine, the login is not.
pgenv "$DT/wrongpw.env" "SUPABASE_GRAFANA_PASSWORD=test-only-wrong-pw-0001"
run_doctor --env-file "$DT/wrongpw.env" --only supabase
assert_rc "a wrong password fails" 1
assert_check "the TLS handshake still counts" "✓" supabase.tls \
    "TLS handshake with 127.0.0.1:$PGP succeeded (sslmode=require)"
assert_check "the login failure is reported" "✗" supabase.grafana-role \
    "SUPABASE_GRAFANA_USER grafana_readonly cannot log in: FATAL:  password authentication failed for user \"grafana_readonly\"" \
    "check SUPABASE_GRAFANA_USER / SUPABASE_GRAFANA_PASSWORD (the password given to sql/roles.sql; .<ref> suffix with the pooler)"

# Over-privileged: a write grant on a needed table, a table it does not need.
psql_su -c "GRANT INSERT, UPDATE ON incidents TO grafana_readonly" \
    -c "CREATE TABLE vehicles (id int)" -c "GRANT SELECT ON vehicles TO queue_exporter" >/dev/null
run_doctor --env-file "$DT/good.env" --only supabase
assert_rc "an over-privileged role fails" 1
assert_check "a write privilege is found" "✗" supabase.grafana-role \
    "SUPABASE_GRAFANA_USER (grafana_readonly): 1 problem(s): may INSERT, UPDATE on public.incidents" \
    "REVOKE INSERT, UPDATE ON public.incidents FROM grafana_readonly (granted to PUBLIC? revoke there too)"
assert_check "an unneeded table is found" "✗" supabase.exporter-role \
    "QUEUE_EXPORTER_DSN (queue_exporter): 1 problem(s): may SELECT on public.vehicles (not needed)" \
    "REVOKE ALL ON public.vehicles FROM queue_exporter (and FROM PUBLIC if granted there)"

# Row level security without a policy for the role: every query reads 0 rows.
psql_su -c "ALTER TABLE pending_pdf_processing ENABLE ROW LEVEL SECURITY" \
    -c "DROP POLICY monitoring_queue_exporter_select ON pending_pdf_processing" >/dev/null
run_doctor --env-file "$DT/good.env" --only supabase --skip supabase.grafana-role
assert_check "RLS without a read policy is found, with all other problems" "✗" supabase.exporter-role \
    "QUEUE_EXPORTER_DSN (queue_exporter): 2 problem(s): row level security on public.pending_pdf_processing has no policy for this role: its queries return no rows; may SELECT on public.vehicles (not needed)" \
    "CREATE POLICY queue_exporter_read ON public.pending_pdf_processing FOR SELECT TO queue_exporter USING (true); then fix the others listed and re-run sql/roles.sql"

# sql/roles.sql repairs what it owns; the extra table grant and the write
# grant are revoked by it (it starts from nothing on public).
check "re-running sql/roles.sql" psql_su -v grafana_verifier="$(roles_verifier grafana_readonly "$GPW")" -v exporter_verifier="$(roles_verifier queue_exporter "$EPW")" -f "$REPO/sql/roles.sql"
run_doctor --env-file "$DT/good.env" --only supabase
assert_rc "after sql/roles.sql both roles pass again" 0
assert_check "grafana_readonly is back to exactly its grants" "✓" supabase.grafana-role "$GRAFANA_OK"
assert_check "queue_exporter is back to exactly its grants" "✓" supabase.exporter-role "$EXPORTER_OK"

# A role attribute and a role membership are privileges too.
psql_su -c "ALTER ROLE queue_exporter CREATEDB" -c "GRANT pg_read_all_data TO queue_exporter" >/dev/null
run_doctor --env-file "$DT/good.env" --only supabase --skip supabase.grafana-role
assert_check "CREATEDB and a role membership are found" "✗" supabase.exporter-role \
    "QUEUE_EXPORTER_DSN (queue_exporter): 2 problem(s): may create databases; is a member of role pg_read_all_data (it can use that role's privileges)" \
    "ALTER ROLE queue_exporter NOCREATEDB; then fix the others listed and re-run sql/roles.sql"
psql_su -c "ALTER ROLE queue_exporter NOCREATEDB" -c "REVOKE pg_read_all_data FROM queue_exporter" >/dev/null

# A server without TLS: the loopback stack's PostgreSQL (ssl off).
if [ -n "${PGPORT:-}" ] && [ -n "${GRAFANA_DB_PASSWORD:-}" ]; then
    write_env "$DT/nossl.env" "SUPABASE_DB_HOST=127.0.0.1" "SUPABASE_DB_PORT=$PGPORT" \
        "SUPABASE_GRAFANA_USER=grafana_readonly" "SUPABASE_GRAFANA_PASSWORD=$GRAFANA_DB_PASSWORD" \
        "SUPABASE_SSLMODE=require"
    run_doctor --env-file "$DT/nossl.env" --only supabase --skip supabase.exporter-role
    assert_check "a server without TLS fails" "✗" supabase.tls \
        "TLS with 127.0.0.1:$PGPORT failed (sslmode=require): server does not support SSL, but SSL was required" \
        "the server must offer TLS: is SUPABASE_DB_HOST really Supabase?"
else
    not_ok "the loopback stack's PostgreSQL is known (stack.env)" "PGPORT/GRAFANA_DB_PASSWORD unset"
fi

# An IPv6-only host that does not answer (our cluster listens on 127.0.0.1
# only, so ::1 refuses): the session pooler is suggested.
pgenv "$DT/v6.env" "SUPABASE_DB_HOST=::1"
run_doctor --env-file "$DT/v6.env" --only supabase --skip supabase.exporter-role --timeout 3
POOLER="use the session pooler: SUPABASE_DB_HOST=aws-0-<region>.pooler.supabase.com, port 5432, users grafana_readonly.<ref> and queue_exporter.<ref> (Supabase: Connect > Session pooler)"
assert_check "an unreachable IPv6-only host suggests the pooler" "✗" supabase.resolve \
    "::1 has only IPv6 addresses (::1) and the connection over IPv6 failed" "$POOLER"
assert_contains "the connection error names the host in brackets" "$OUT" "cannot connect to [::1]:$PGP: "

pgenv "$DT/nohost.env" "SUPABASE_DB_HOST=db.doctor-test.invalid"
run_doctor --env-file "$DT/nohost.env" --only supabase --skip supabase.exporter-role
assert_check "a host that does not resolve" "✗" supabase.resolve \
    "SUPABASE_DB_HOST db.doctor-test.invalid does not resolve: Name or service not known" \
    "check SUPABASE_DB_HOST (Supabase: Connect, the host of the direct or session pooler connection)"
assert_check "then TLS is skipped with why" "—" supabase.tls "the host does not resolve"

finish
