#!/usr/bin/env bash
# sql/roles.sql on a real PostgreSQL of its own (not the stack's: the test
# rotates passwords and turns row level security on): idempotent, passwords
# only from psql variables, and for both roles SELECT works while INSERT,
# UPDATE, DELETE, other tables and DDL are denied. Also as a non-superuser
# table owner with CREATEROLE, which is what Supabase's postgres user is.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

# PORT_BASE + 435: next to the stack's own Postgres (+432), never on it.
PGP=${SQL_ROLES_PGPORT:-$((PORT_BASE + 435))}
D=$(mktemp -d "${TMPDIR:-/tmp}/sql-roles.XXXXXX")
chmod 755 "$D"
cleanup() {
    pg_cluster_stop "$D/pg" >/dev/null 2>&1
    rm -rf "$D"
}
trap cleanup EXIT
# Every statement the server receives goes to its log: the passwords must not.
if ! pg_cluster_init "$D/pg" "$PGP" || ! echo "log_statement = 'all'" >>"$D/pg/data/postgresql.conf" ||
    ! pg_cluster_start "$D/pg"; then
    not_ok "PostgreSQL starts on 127.0.0.1:$PGP" "see above"
    finish
fi
ok "PostgreSQL of this test runs on 127.0.0.1:$PGP"

su_sql() { pg_psql "$D/pg" "$PGP" -At "$@"; }
# as_role ROLE PASSWORD SQL [DB]: one statement as ROLE over TCP (scram).
as_role() {
    PGPASSWORD=$2 PGCONNECT_TIMEOUT=5 psql -X -q -At -v ON_ERROR_STOP=1 \
        "host=127.0.0.1 port=$PGP dbname=${4:-postgres} user=$1 sslmode=disable" -c "$3" 2>&1
}
# roles_sql ARGS...: sql/roles.sql as the superuser, psql variables in ARGS.
roles_sql() { pg_psql "$D/pg" "$PGP" "$@" <"$REPO/sql/roles.sql" 2>&1; }
# roles_apply GPWFILE EPWFILE: the operator's way, sql/roles.sh apply, with
# every psql and doctor command line recorded (shims) and every process's
# command line sampled meanwhile, to be searched for the passwords later.
roles_apply() {
    local rc
    rm -f "$D/apply.done"
    sample_cmdlines &
    local sampler=$!
    PATH=$D/shim:$PATH DOCTOR=$D/shim/doctor "$REPO/sql/roles.sh" apply \
        --grafana-password-file "$1" --exporter-password-file "$2" -- "host=$D/pg port=$PGP user=postgres dbname=postgres" 2>&1
    rc=$?
    : >"$D/apply.done"
    wait "$sampler"
    return "$rc"
}
# Bounded: stops when the apply is done (at most 20000 rounds).
sample_cmdlines() {
    local i=0
    while [ ! -e "$D/apply.done" ] && [ "$i" -lt 20000 ]; do
        # The passwords come from a file: grep's own command line holds none.
        [ -s "$D/plain.txt" ] && grep -lsaFf "$D/plain.txt" /proc/[0-9]*/cmdline >>"$D/cmdline-hits" 2>/dev/null
        i=$((i + 1))
    done
    echo "$i" >>"$D/sample-rounds"
}
mkdir -p "$D/shim"
REAL_PSQL=$(command -v psql)
printf '#!/bin/sh\nprintf "psql %%s\\n" "$*" >>%s/argv.log\nexec %s "$@"\n' "$D" "$REAL_PSQL" >"$D/shim/psql"
printf '#!/bin/sh\nprintf "doctor %%s\\n" "$*" >>%s/argv.log\nexec %s "$@"\n' "$D" "$REPO/build/doctor" >"$D/shim/doctor"
chmod +x "$D/shim/psql" "$D/shim/doctor"
role_count() { su_sql -c "SELECT count(*) FROM pg_roles WHERE rolname IN ('grafana_readonly', 'queue_exporter')"; }

pg_psql "$D/pg" "$PGP" <"$REPO/sql/schema.sql" >/dev/null
pg_psql "$D/pg" "$PGP" <"$REPO/sql/demo-data.sql" >/dev/null
su_sql -c "CREATE TABLE public.billing_secrets (id int, iban text); INSERT INTO public.billing_secrets VALUES (1, 'x')"

# Supabase's API roles and its style of RPCs, before roles.sql runs: a
# SECURITY DEFINER function in public reading a table the monitoring roles
# cannot read (PUBLIC may execute it, PostgreSQL's default), one granted to
# anon only, one in a second schema everyone may use, and a procedure.
su_sql -c "CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN; CREATE ROLE service_role NOLOGIN;
    CREATE FUNCTION public.leak_billing() RETURNS text LANGUAGE sql SECURITY DEFINER AS 'SELECT iban FROM public.billing_secrets LIMIT 1';
    CREATE FUNCTION public.rpc_anon_only() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*)::int FROM public.billing_secrets';
    REVOKE EXECUTE ON FUNCTION public.rpc_anon_only() FROM PUBLIC; GRANT EXECUTE ON FUNCTION public.rpc_anon_only() TO anon;
    CREATE SCHEMA api; GRANT USAGE ON SCHEMA api TO PUBLIC;
    CREATE FUNCTION api.billing_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*) FROM public.billing_secrets';
    CREATE PROCEDURE public.wipe_billing() LANGUAGE sql SECURITY DEFINER AS 'DELETE FROM public.billing_secrets'" >/dev/null
# --- passwords: only SCRAM verifiers reach the server --------------------------------------
out=$(roles_sql) && rc=0 || rc=$?
assert_eq "without verifiers: psql fails (exit 3)" "3" "$rc"
assert_contains "without verifiers: says which variable to pass" "$out" "pass the verifier of grafana_readonly"
assert_eq "without verifiers: no role created" "0" "$(role_count)"
out=$(roles_sql -v grafana_verifier=x) && rc=0 || rc=$?
assert_eq "without exporter_verifier: psql fails" "3" "$rc"
assert_contains "without exporter_verifier: names it" "$out" "pass the verifier of queue_exporter"
out=$(roles_sql -v grafana_password=old-style -v exporter_password=old-style) && rc=0 || rc=$?
assert_contains "the former -v grafana_password is refused with the new way" "$out" "takes SCRAM verifiers, not passwords: use sql/roles.sh apply"
out=$(roles_sql -v grafana_verifier=not-a-verifier-marker -v exporter_verifier="$(roles_verifier queue_exporter y)") && rc=0 || rc=$?
assert_contains "a plaintext given as the verifier is refused" "$out" "grafana_verifier is not a SCRAM-SHA-256 verifier"
assert_eq "refused: no role created" "0" "$(role_count)"
check_fails "sql/roles.sql contains no PASSWORD literal" grep -Eiq "PASSWORD[[:space:]]+'" "$REPO/sql/roles.sql"
check_fails "sql/roles.sql sends no psql password variable to the server (length(:'...password') and the like)" \
    grep -Eq ":'[a-z_]*password'" "$REPO/sql/roles.sql"
out=$("$REPO/build/doctor" --scram-verifier grafana_readonly s3cret-on-argv 2>&1 </dev/null) && rc=0 || rc=$?
assert_eq "doctor --scram-verifier refuses a password argument (exit 2)" "2" "$rc"
assert_contains "... and says why" "$out" "a password is never an argument"
out=$(printf '\n' | "$REPO/build/doctor" --scram-verifier grafana_readonly 2>&1) && rc=0 || rc=$?
assert_contains "doctor --scram-verifier refuses an empty password" "$out" "standard input: the password is empty"
out=$("$REPO/build/doctor" --scram-verifier grafana_readonly --password-file "$D/missing" 2>&1) && rc=0 || rc=$?
assert_contains "doctor --scram-verifier names a missing password file" "$out" "cannot read $D/missing"
v=$(printf 'pw\n' | "$REPO/build/doctor" --scram-verifier grafana_readonly)
if [[ $v =~ ^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$ ]]; then
    ok "doctor --scram-verifier prints a SCRAM-SHA-256 verifier"
else
    not_ok "doctor --scram-verifier prints a SCRAM-SHA-256 verifier" "$v"
fi
assert_eq "two verifiers of one password differ (random salt)" "1" \
    "$([ "$v" != "$(printf 'pw\n' | "$REPO/build/doctor" --scram-verifier grafana_readonly)" ] && echo 1)"

GPW=$(openssl rand -hex 16)
EPW=$(openssl rand -hex 16)
printf '%s\n' "$GPW" >"$D/g.pw"
printf '%s\n' "$EPW" >"$D/e.pw"
printf '%s\n' "$GPW" "$EPW" >"$D/plain.txt"
check "sql/roles.sh apply with password files" roles_apply "$D/g.pw" "$D/e.pw"
privs() { su_sql -c "SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants
    WHERE grantee IN ('grafana_readonly', 'queue_exporter') ORDER BY 1, 2, 3"
    su_sql -c "SELECT tablename, policyname FROM pg_policies ORDER BY 1, 2"
    su_sql -c "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolconnlimit, rolconfig FROM pg_roles
    WHERE rolname IN ('grafana_readonly', 'queue_exporter') ORDER BY 1"; }
before=$(privs)
check "roles.sql a second time (idempotent)" roles_apply "$D/g.pw" "$D/e.pw"
assert_eq "second run: grants, policies and role settings unchanged" "$before" "$(privs)"
# Column-level grants, exactly the columns sql/contract.yaml declares (its
# JSON from the doctor), and no table-level privilege at all.
declared() { # READER: table|column lines the contract grants to READER
    "$REPO/build/doctor" --print-contract | jq -r --arg r "$1" '.tables[] | select(.readers | index($r))
        | .table as $t | .columns | [.[]] | unique[] | "\($t)|\(.)"' | sort
}
granted() { su_sql -c "SELECT table_name || '|' || column_name FROM information_schema.column_privileges
    WHERE grantee = '$1' AND privilege_type = 'SELECT' ORDER BY 1" | sort; }
assert_eq "grafana_readonly: SELECT on exactly the contract's columns ($(declared grafana_readonly | wc -l) columns of 5 tables)" \
    "$(declared grafana_readonly)" "$(granted grafana_readonly)"
assert_eq "queue_exporter: SELECT on exactly the contract's columns of the two queue tables" \
    "$(declared queue_exporter)" "$(granted queue_exporter)"
assert_contains "... which are the queue tables' columns" "$(granted queue_exporter)" "pending_transcriptions|status"
assert_eq "neither role holds a table-level privilege (only column grants)" "0" \
    "$(su_sql -c "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee IN ('grafana_readonly', 'queue_exporter')")"
for col in whatsapp_messages.body whatsapp_messages.phone fleet_positions.latitude fleet_positions.longitude \
    incidents.description pending_transcriptions.audio_url; do
    assert_not_contains "grafana_readonly is not granted $col (not in the contract)" "$(granted grafana_readonly)" "${col/./|}"
done
assert_eq "neither role is superuser, createrole or createdb" "f|f|f
f|f|f" "$(su_sql -c "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname IN ('grafana_readonly', 'queue_exporter')")"

# --- what each role can and cannot do ----------------------------------------------------
denied() { # DESC ROLE PASSWORD SQL EXPECTED_ERROR_FRAGMENT
    local out
    if out=$(as_role "$2" "$3" "$4"); then
        not_ok "$1" "succeeded: $out"
    else
        assert_contains "$1" "$out" "$5"
    fi
}
for t in pending_transcriptions pending_pdf_processing incidents fleet_positions whatsapp_messages; do
    n=$(as_role grafana_readonly "$GPW" "SELECT count(*) FROM $t")
    if [[ $n =~ ^[1-9][0-9]*$ ]]; then ok "grafana_readonly reads $t ($n rows)"; else not_ok "grafana_readonly reads $t" "$n"; fi
done
for t in pending_transcriptions pending_pdf_processing; do
    n=$(as_role queue_exporter "$EPW" "SELECT count(*) FROM $t WHERE status = 'pending'")
    if [[ $n =~ ^[1-9][0-9]*$ ]]; then ok "queue_exporter reads $t ($n pending)"; else not_ok "queue_exporter reads $t" "$n"; fi
done
for r in "grafana_readonly $GPW" "queue_exporter $EPW"; do
    read -r role pw <<<"$r"
    denied "$role: INSERT denied" "$role" "$pw" \
        "BEGIN READ WRITE; INSERT INTO pending_transcriptions (audio_url) VALUES ('x'); COMMIT" "permission denied for table pending_transcriptions"
    denied "$role: UPDATE denied" "$role" "$pw" \
        "BEGIN READ WRITE; UPDATE pending_transcriptions SET status = 'failed'; COMMIT" "permission denied for table pending_transcriptions"
    denied "$role: DELETE denied" "$role" "$pw" \
        "BEGIN READ WRITE; DELETE FROM pending_pdf_processing; COMMIT" "permission denied for table pending_pdf_processing"
    denied "$role: TRUNCATE denied" "$role" "$pw" \
        "BEGIN READ WRITE; TRUNCATE pending_pdf_processing; COMMIT" "permission denied for table pending_pdf_processing"
    # BEGIN READ WRITE lifts the read-only default: what stops the write
    # must be the missing privilege, which a client cannot lift.
    denied "$role: CREATE TABLE denied (by privilege, not only read-only mode)" "$role" "$pw" \
        "BEGIN READ WRITE; CREATE TABLE public.x (i int); COMMIT" "permission denied for schema public"
    denied "$role: ALTER TABLE denied" "$role" "$pw" \
        "BEGIN READ WRITE; ALTER TABLE pending_transcriptions ADD COLUMN x int; COMMIT" "must be owner of table pending_transcriptions"
    denied "$role: a table outside its grant is unreadable" "$role" "$pw" \
        "SELECT * FROM billing_secrets" "permission denied for table billing_secrets"
    denied "$role: sessions are read-only by default" "$role" "$pw" \
        "CREATE TEMP TABLE t (i int)" "read-only transaction"
    denied "$role: a wrong password is rejected" "$role" "wrong-$pw" "SELECT 1" "password authentication failed"
done
# Declared columns read; any other column of the same table denied.
assert_eq "grafana_readonly reads the declared columns of incidents" "ok" \
    "$(as_role grafana_readonly "$GPW" "SELECT 'ok' FROM (SELECT created_at, severity, category FROM incidents LIMIT 1) x")"
assert_eq "grafana_readonly reads the declared columns of fleet_positions and whatsapp_messages" "ok" \
    "$(as_role grafana_readonly "$GPW" "SELECT 'ok' FROM (SELECT vehicle_id, updated_at FROM fleet_positions LIMIT 1) a,
        (SELECT direction, created_at FROM whatsapp_messages LIMIT 1) b")"
for q in "whatsapp_messages body" "whatsapp_messages phone" "fleet_positions latitude" "incidents description" \
    "pending_transcriptions audio_url" "pending_pdf_processing document_url"; do
    read -r t c <<<"$q"
    denied "grafana_readonly: $t.$c (undeclared) is denied" grafana_readonly "$GPW" "SELECT $c FROM $t LIMIT 1" \
        "permission denied for table $t"
done
denied "grafana_readonly: SELECT * on a table with undeclared columns is denied" grafana_readonly "$GPW" \
    "SELECT * FROM whatsapp_messages LIMIT 1" "permission denied for table whatsapp_messages"
for t in incidents fleet_positions whatsapp_messages; do
    denied "queue_exporter cannot read $t" queue_exporter "$EPW" "SELECT count(*) FROM $t" "permission denied for table $t"
done
assert_eq "grafana_readonly: statement_timeout 30s" "30s" "$(as_role grafana_readonly "$GPW" "SHOW statement_timeout")"

# --- functions: nothing callable outside the allow-list (empty today) ------------------------------
for r in "grafana_readonly $GPW" "queue_exporter $EPW"; do
    read -r role pw <<<"$r"
    denied "$role: SECURITY DEFINER function in public reading billing_secrets denied" "$role" "$pw" \
        "SELECT public.leak_billing()" "permission denied for function leak_billing"
    denied "$role: SECURITY DEFINER function in another usable schema denied" "$role" "$pw" \
        "SELECT api.billing_count()" "permission denied for function billing_count"
    denied "$role: procedure denied" "$role" "$pw" \
        "BEGIN READ WRITE; CALL public.wipe_billing(); COMMIT" "permission denied for procedure wipe_billing"
    assert_eq "$role: executes no function outside pg_catalog/information_schema" "" \
        "$(su_sql -c "SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND has_schema_privilege('$role', n.oid, 'USAGE')
              AND has_function_privilege('$role', p.oid, 'EXECUTE')")"
    assert_eq "$role: built-in functions still work" "1" "$(as_role "$role" "$pw" "SELECT abs(-1)")"
done
as_api() { su_sql -c "SET ROLE $1; $2" 2>&1; }
for r in anon authenticated service_role; do
    assert_eq "$r keeps EXECUTE on public.leak_billing()" "x" "$(as_api "$r" "SELECT public.leak_billing()")"
    assert_eq "$r keeps EXECUTE on api.billing_count()" "1" "$(as_api "$r" "SELECT api.billing_count()")"
done
assert_eq "anon keeps its explicit grant on rpc_anon_only()" "1" "$(as_api anon "SELECT public.rpc_anon_only()")"
assert_contains "authenticated still cannot run rpc_anon_only() (gets nothing new)" \
    "$(as_api authenticated "SELECT public.rpc_anon_only()")" "permission denied for function rpc_anon_only"
su_sql -c "CREATE FUNCTION public.new_rpc() RETURNS text LANGUAGE sql SECURITY DEFINER AS 'SELECT iban FROM public.billing_secrets LIMIT 1'" >/dev/null
denied "a function created after roles.sql is not callable by grafana_readonly" grafana_readonly "$GPW" \
    "SELECT public.new_rpc()" "permission denied for function new_rpc"
assert_eq "... while anon can call it (Supabase's RPC default kept)" "x" "$(as_api anon "SELECT public.new_rpc()")"

# --- row level security (on by default for Supabase tables) ------------------------------------
su_sql -c "ALTER TABLE incidents ENABLE ROW LEVEL SECURITY; ALTER TABLE pending_transcriptions ENABLE ROW LEVEL SECURITY;
           CREATE ROLE nopolicy LOGIN PASSWORD 'nopolicy-test'; GRANT SELECT ON incidents TO nopolicy"
assert_eq "with RLS on, a role without a policy reads no rows (the trap)" "0" "$(as_role nopolicy nopolicy-test "SELECT count(*) FROM incidents")"
n=$(as_role grafana_readonly "$GPW" "SELECT count(*) FROM incidents")
if [[ $n =~ ^[1-9][0-9]*$ ]]; then ok "with RLS on, grafana_readonly still reads incidents ($n rows)"; else not_ok "with RLS on, grafana_readonly reads incidents" "$n"; fi
n=$(as_role queue_exporter "$EPW" "SELECT count(*) FROM pending_transcriptions")
if [[ $n =~ ^[1-9][0-9]*$ ]]; then ok "with RLS on, queue_exporter still reads pending_transcriptions"; else not_ok "with RLS on, queue_exporter reads pending_transcriptions" "$n"; fi
denied "with RLS on, queue_exporter still cannot read incidents" queue_exporter "$EPW" "SELECT count(*) FROM incidents" "permission denied for table incidents"

# --- password rotation --------------------------------------------------------------------------
GPW2=$(openssl rand -hex 16)
printf '%s\n' "$GPW2" >"$D/g2.pw"
printf '%s\n' "$GPW2" >>"$D/plain.txt"
check "sql/roles.sh apply with a new grafana password" roles_apply "$D/g2.pw" "$D/e.pw"
denied "rotation: the old password stops working" grafana_readonly "$GPW" "SELECT 1" "password authentication failed"
assert_eq "rotation: the new password works" "1" "$(as_role grafana_readonly "$GPW2" "SELECT 1")"

# --- as a non-superuser table owner with CREATEROLE (Supabase's postgres) -------------------------
OWNER_PW=$(openssl rand -hex 16)
su_sql -c "CREATE ROLE tbl_owner LOGIN CREATEROLE NOSUPERUSER PASSWORD '$OWNER_PW'" -c "CREATE DATABASE supa OWNER tbl_owner"
PGPASSWORD=$OWNER_PW psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$PGP dbname=supa user=tbl_owner sslmode=disable" \
    <"$REPO/sql/schema.sql" >/dev/null 2>&1
# Supabase's SQL editor runs plain SQL: the rendering, no psql meta-command.
PATH=$D/shim:$PATH DOCTOR=$D/shim/doctor "$REPO/sql/roles.sh" render \
    --grafana-password-file "$D/g2.pw" --exporter-password-file "$D/e.pw" >"$D/rendered.sql" 2>"$D/render.err"
assert_eq "sql/roles.sh render: exit 0, nothing on stderr" "" "$(cat "$D/render.err")"
check_fails "the rendering holds no psql meta-command" grep -q '^[\]' "$D/rendered.sql"
check_fails "the rendering holds no plaintext password" grep -qFf "$D/plain.txt" "$D/rendered.sql"
assert_eq "the rendering holds both verifiers" "2" "$(grep -c "set_config('monitoring_roles\.[a-z]*_verifier', 'SCRAM-SHA-256\$4096:" "$D/rendered.sql")"
out=$(PGPASSWORD=$OWNER_PW psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$PGP dbname=supa user=tbl_owner sslmode=disable" \
    -f "$D/rendered.sql" 2>&1) && rc=0 || rc=$?
assert_eq "the plain-SQL rendering runs as a non-superuser owner with CREATEROLE" "0" "$rc"
[ "$rc" = 0 ] || not_ok "rendered roles as tbl_owner: output" "$out"
assert_eq "... and grafana_readonly reads that database's tables" "0" "$(as_role grafana_readonly "$GPW2" "SELECT count(*) FROM incidents" supa)"
denied "... while queue_exporter cannot read incidents there" queue_exporter "$EPW" "SELECT count(*) FROM incidents" "permission denied"

# --- no plaintext password in the server log or on a command line ------------------------------
if grep -q "set_config('monitoring_roles.grafana_verifier', 'SCRAM-SHA-256" "$D/pg/postgres.log"; then
    ok "the server logged every statement (log_statement = 'all'), the verifiers included"
else
    not_ok "the server logged the statements of sql/roles.sql" "$(tail -5 "$D/pg/postgres.log")"
fi
check_fails "the server log holds none of the monitoring roles' passwords" grep -qFf "$D/plain.txt" "$D/pg/postgres.log"
assert_eq "psql and the doctor ran through the recording shims" "yes" \
    "$(grep -q '^psql ' "$D/argv.log" && grep -q '^doctor --scram-verifier' "$D/argv.log" && echo yes)"
check_fails "no psql or doctor command line held a password" grep -qFf "$D/plain.txt" "$D/argv.log"
assert_eq "no process's command line held a password while the roles were applied (/proc/*/cmdline sampled $(paste -sd+ "$D/sample-rounds" | bc) times)" \
    "" "$(cat "$D/cmdline-hits" 2>/dev/null)"
finish
