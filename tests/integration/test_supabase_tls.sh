#!/usr/bin/env bash
# TLS to Supabase with verify-full, end to end, against a PostgreSQL whose
# server certificate comes from a test CA (names: localhost only):
#   - config-init (scripts/render-config.sh) turns SUPABASE_CA_CERT into a
#     CA copy, sslmode=verify-full and sslrootcert for Grafana, the queue
#     exporter and the daily report; the real queue exporter and daily
#     report then connect through those files;
#   - build/doctor checks the chain and the host name;
# and in both cases: the right CA passes, a wrong CA fails, a wrong host
# name (127.0.0.1, not on the certificate) fails.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=../fixtures/doctor/lib.sh
. "$REPO/tests/fixtures/doctor/lib.sh"

GPW=$(openssl rand -hex 16)
EPW=$(openssl rand -hex 16)
PGP=$(dport 641)
QP=$(dport 642)
PGD=$DT/pg
# Two unrelated CAs; the server's certificate is signed by the first and
# names localhost only.
mkdir -p "$DT/tls"
for ca in right wrong; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DT/tls/$ca-ca.key" -out "$DT/tls/$ca-ca.crt" \
        -days 2 -subj "/CN=$ca test CA" >/dev/null 2>&1
done
openssl req -newkey rsa:2048 -nodes -keyout "$DT/tls/server.key" -out "$DT/tls/server.csr" -subj /CN=localhost >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost\n' >"$DT/tls/ext"
openssl x509 -req -in "$DT/tls/server.csr" -CA "$DT/tls/right-ca.crt" -CAkey "$DT/tls/right-ca.key" \
    -CAcreateserial -out "$DT/tls/server.crt" -days 2 -extfile "$DT/tls/ext" >/dev/null 2>&1 ||
    { not_ok "test certificates" "openssl failed"; finish; }
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
CONF
check "PostgreSQL with TLS (test CA, localhost) starts" pg_cluster_start "$PGD"
check "schema and roles loaded" bash -c "$(declare -f pg_psql roles_verifier); REPO='$REPO';
    pg_psql '$PGD' '$PGP' -f '$REPO/sql/schema.sql' >/dev/null &&
    pg_psql '$PGD' '$PGP' -f '$REPO/sql/demo-data.sql' >/dev/null &&
    pg_psql '$PGD' '$PGP' -v grafana_verifier=\"\$(roles_verifier grafana_readonly '$GPW')\" \
        -v exporter_verifier=\"\$(roles_verifier queue_exporter '$EPW')\" -f '$REPO/sql/roles.sql'"

# --- config-init's files, used by the real programs -------------------------------------------
# render CA HOST: what config-init renders for this .env; /run/monitoring
# (the consumers' mount point) is replaced by the directory, as the mount does.
render() {
    local ca=$1 host=$2 d=$DT/r-$1-$2
    rm -rf "$d" "$DT/deploy"
    mkdir -p "$DT/deploy"
    cp "$DT/tls/$ca-ca.crt" "$DT/deploy/supabase-ca.crt"
    printf '%s\n' "GRAFANA_ADMIN_PASSWORD=x" "SUPABASE_GRAFANA_PASSWORD=$GPW" "WASABI_ACCESS_KEY=k" \
        "WASABI_SECRET_KEY=s" "SMTP_PASSWORD=p" \
        "QUEUE_EXPORTER_DSN=host=$host port=$PGP dbname=postgres user=queue_exporter password=$EPW sslmode=require" \
        >"$DT/deploy/.env"
    env -i PATH="$PATH" REPO_DIR="$REPO" RENDER_OUT="$d" SECRETS_ENV_FILE="$DT/deploy/.env" DEPLOY_DIR="$DT/deploy" \
        SMTP_HOST=127.0.0.1 SMTP_PORT=25 SMTP_USER=u SMTP_FROM=a@loopback.test ALERT_EMAIL_TO=b@loopback.test \
        GRAFANA_DOMAIN=monitoring.loopback.test WASABI_BUCKET=b WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com \
        WASABI_REGION=eu-central-1 SUPABASE_DB_HOST="$host" SUPABASE_DB_PORT="$PGP" SUPABASE_GRAFANA_USER=grafana_readonly \
        SUPABASE_SSLMODE=require SUPABASE_CA_CERT=./supabase-ca.crt \
        sh "$REPO/scripts/render-config.sh" compose >"$d.log" 2>&1 || { cat "$d.log"; return 1; }
    for c in queue-exporter daily-report; do
        sed -i "s|/run/monitoring/|$d/$c/|" "$d/$c/pg_service.conf"
    done
    echo "$d"
}
# exporter_up DIR: the queue exporter with compose.yaml's environment; prints queue_exporter_up.
exporter_up() {
    local pid v=
    env -i PATH="$PATH" QUEUE_EXPORTER_DSN=service=queue_exporter PGSERVICEFILE="$1/queue-exporter/pg_service.conf" \
        PGSSLMODE=verify-full "$REPO/build/queue-exporter" --listen "127.0.0.1:$QP" >"$1/qe.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 40); do
        v=$(curl -fsS --max-time 2 "http://127.0.0.1:$QP/metrics" 2>/dev/null | sed -n 's/^queue_exporter_up \([01]\)$/\1/p')
        [ "$v" = 1 ] && break
        # Up 0 counts once the first collection has failed (the error is logged).
        [ "$v" = 0 ] && grep -qi 'certificate\|SSL' "$1/qe.log" && break
        sleep 0.5
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "${v:-none}"
}
# report_db DIR: the daily report's --dry-run with compose.yaml's environment; prints "available" or "unavailable".
report_db() {
    env -i PATH="$PATH" PROMETHEUS_URL="$PROM_URL" ALERTMANAGER_URL="$AM_URL" \
        REPORT_DB_DSN=service=daily_report PGSERVICEFILE="$1/daily-report/pg_service.conf" PGSSLMODE=verify-full \
        SMTP_HOST=127.0.0.1 SMTP_PORT=25 SMTP_TLS=none REPORT_FROM=a@loopback.test REPORT_TO=b@loopback.test \
        REPORT_TZ=Europe/Paris GRAFANA_URL=https://monitoring.loopback.test/ \
        "$REPO/build/daily-report" --dry-run --out "$1/dry.html" >"$1/dr.log" 2>&1
    if grep -q 'data-unavailable="business"' "$1/dry.html" 2>/dev/null; then echo unavailable
    elif [ -s "$1/dry.html" ]; then echo available
    else echo "no report: $(tail -2 "$1/dr.log")"; fi
}

if d=$(render right localhost); then
    ok "config-init renders the TLS settings for a CA named in .env"
    assert_eq "with the CA, require becomes verify-full (daily report)" "verify-full" \
        "$(sed -n 's/^sslmode=//p' "$d/daily-report/pg_service.conf")"
    assert_eq "Grafana is given verify-full and the mounted CA" "verify-full /run/monitoring/supabase-ca.crt" \
        "$(cat "$d/grafana/supabase_sslmode") $(cat "$d/grafana/supabase_ca_path")"
    assert_eq "right CA, right host name: the queue exporter connects (verify-full)" "1" "$(exporter_up "$d")"
    assert_eq "right CA, right host name: the daily report reads Supabase" "available" "$(report_db "$d")"
else
    not_ok "config-init renders the TLS settings for a CA named in .env" "$d"
fi
d=$(render wrong localhost)
assert_eq "wrong CA: the queue exporter does not connect" "0" "$(exporter_up "$d")"
assert_contains "... and logs why" "$(cat "$d/qe.log")" "certificate verify failed"
assert_eq "wrong CA: the daily report's Supabase section is unavailable" "unavailable" "$(report_db "$d")"
d=$(render right 127.0.0.1)
assert_eq "wrong host name (127.0.0.1 is not on the certificate): the queue exporter does not connect" "0" "$(exporter_up "$d")"
assert_contains "... and logs why" "$(cat "$d/qe.log")" "does not match host name"
assert_eq "wrong host name: the daily report's Supabase section is unavailable" "unavailable" "$(report_db "$d")"

# --- the doctor: chain and host name ----------------------------------------------------------
denv() { # FILE CA HOST
    write_env "$1" "SUPABASE_URL=https://abcdefghijklmnopqrst.supabase.co" \
        "SUPABASE_DB_HOST=$3" "SUPABASE_DB_PORT=$PGP" "SUPABASE_GRAFANA_USER=grafana_readonly" \
        "SUPABASE_GRAFANA_PASSWORD=$GPW" "SUPABASE_SSLMODE=require" "SUPABASE_CA_CERT=$DT/tls/$2-ca.crt" \
        "QUEUE_EXPORTER_DSN='host=$3 port=$PGP dbname=postgres user=queue_exporter password=$EPW'"
}
denv "$DT/right.env" right localhost
HOME=$DT run_doctor --env-file "$DT/right.env" --only supabase
assert_rc "doctor: right CA and host name pass (exit 0)" 0
assert_contains "doctor: the certificate is verified with verify-full against SUPABASE_CA_CERT" "$OUT" \
    "certificate verified (sslmode=verify-full, CA $DT/tls/right-ca.crt)"
assert_status "doctor: the exporter's connection passes with the CA too" "✓" supabase.exporter-role
denv "$DT/wrong.env" wrong localhost
HOME=$DT run_doctor --env-file "$DT/wrong.env" --only supabase
assert_rc "doctor: a wrong CA fails (exit 1)" 1
assert_status "doctor: ... at supabase.tls" "✗" supabase.tls
assert_contains "doctor: ... saying the chain does not lead to SUPABASE_CA_CERT" "$OUT" \
    "SUPABASE_CA_CERT must be Supabase's CA certificate (Project Settings > Database > SSL Configuration): the server's certificate chain does not lead to it"
assert_contains "doctor: ... and so does the exporter's connection" "$OUT" "✗ supabase.exporter-role"
denv "$DT/host.env" right 127.0.0.1
HOME=$DT run_doctor --env-file "$DT/host.env" --only supabase
assert_rc "doctor: a wrong host name fails (exit 1)" 1
assert_contains "doctor: ... with libpq's reason" "$OUT" "does not match host name \"127.0.0.1\""
assert_contains "doctor: ... and the fix names SUPABASE_DB_HOST" "$OUT" \
    "SUPABASE_DB_HOST must be a name on Supabase's certificate"
assert_not_contains "doctor: no password printed" "$OUT" "$GPW"
write_env "$DT/noca.env" "$(cat "$DT/right.env")"
sed -i "s|^SUPABASE_CA_CERT=.*|SUPABASE_CA_CERT=$DT/missing.crt|" "$DT/noca.env"
HOME=$DT run_doctor --env-file "$DT/noca.env" --only supabase
assert_contains "doctor: a CA file that cannot be read is named" "$OUT" "SUPABASE_CA_CERT=$DT/missing.crt cannot be read"
finish
