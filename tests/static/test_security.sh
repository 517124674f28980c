#!/usr/bin/env bash
# Security rules of the deployment files (issue 13), checked without a
# container engine:
#   - Grafana: a release line that still gets security fixes, outside the
#     published affected ranges of CVE-2026-21720, from grafana/grafana;
#   - no secret reaches a container by `environment:` (docker inspect shows
#     environments, also of exited containers): config-init reads them from
#     the mounted .env and renders one 0440 file per consumer, which the
#     render below proves with secrets only in a .env file;
#   - Prometheus: no lifecycle API, retention.size within the README's disk budget;
#   - the C images' Debian base pinned to a dated tag.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
cd "$REPO" || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
compose() { "$PY3" -c 'import sys, yaml, json; print(json.dumps(yaml.safe_load(open("compose.yaml"))))'; }
C=$(compose)

# --- Grafana's version ---------------------------------------------------------------------
img=$(jq -r '.services.grafana.image' <<<"$C")
assert_eq "Grafana comes from grafana/grafana (grafana-oss gets no images since 12.4)" "grafana/grafana" "${img%%:*}"
ver=${img#*:}
# CVE-2026-21720 (unauthenticated DoS through /avatar/:hash), affected:
# >=3.0.0 <11.6.9+security-01, 12.0.x <12.0.8, 12.1.x <12.1.5, 12.2.x <12.2.3, 12.3.0.
# Grafana supports each minor 9 months (the last minor of a major 15):
# 11.x ended in June 2026, so 12.4 (the last 12.x) or 13.x.
cve_affected() {
    local maj min pat
    IFS=. read -r maj min pat <<<"${1%%[+-]*}"
    if [ "$maj" -lt 12 ]; then return 0; fi
    if [ "$maj" = 12 ]; then
        case $min in
        0) [ "$pat" -lt 8 ] ;; 1) [ "$pat" -lt 5 ] ;; 2) [ "$pat" -lt 3 ] ;; 3) [ "$pat" = 0 ] ;; *) return 1 ;;
        esac
        return
    fi
    return 1
}
if [[ $ver =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then ok "Grafana is pinned to an exact release ($ver)"; else not_ok "Grafana is pinned to an exact release" "$ver"; fi
if cve_affected "$ver"; then not_ok "Grafana $ver is outside CVE-2026-21720's affected ranges"; else ok "Grafana $ver is outside CVE-2026-21720's affected ranges"; fi
for probe in 11.3.1:yes 11.6.8:yes 12.0.7:yes 12.0.8:no 12.2.2:yes 12.3.0:yes 12.3.1:no 12.4.0:no 13.2.3:no; do
    want=${probe#*:}
    if cve_affected "${probe%:*}"; then got=yes; else got=no; fi
    [ "$got" = "$want" ] || not_ok "the CVE-2026-21720 range check classifies ${probe%:*}" "got $got"
done
major=${ver%%.*}
minor=${ver#*.}
minor=${minor%%.*}
if [ "$major" -ge 13 ] || { [ "$major" = 12 ] && [ "$minor" -ge 4 ]; }; then
    ok "Grafana $major.$minor is a line that still receives security fixes (12.4 or 13.x, as of 2026-11)"
else
    not_ok "Grafana $major.$minor is a line that still receives security fixes (12.4 or 13.x)"
fi
assert_eq "package.json pins @grafana/schema to the same release (dashboards validated against it)" "$ver" \
    "$(jq -r '.devDependencies["@grafana/schema"]' package.json)"
assert_eq "package-lock.json resolves @grafana/schema to the same release" "$ver" \
    "$(jq -r '.packages["node_modules/@grafana/schema"].version' package-lock.json)"
readme=$(cat README.md)
assert_contains "README says how to follow Grafana's security releases" "$readme" "https://grafana.com/security/security-advisories/"

# --- no secret by environment: ---------------------------------------------------------------
# Every .env variable that is a secret: a password, a key, a DSN (holds a password).
secrets=$(grep -oE '^[A-Z0-9_]+=' .env.example | tr -d = | grep -E 'PASSWORD|SECRET|_KEY$|DSN$|TOKEN')
assert_contains "the secret list is read from .env.example" "$secrets" "GRAFANA_ADMIN_PASSWORD"
leaks=$(jq -r --arg s "$secrets" '
    ($s | split("\n")) as $names
    | .services | to_entries[] | .key as $svc
    | (.value.environment // {}) | (if type == "array" then map(split("=") | {(.[0]): (.[1:] | join("="))}) | add else . end)
    | to_entries[] | select((.value | tostring) as $v | any($names[]; . as $n | $v | test("\\$\\{" + $n + "[:}?-]")))
    | "\($svc): \(.key)=\(.value)"' <<<"$C")
assert_eq "no service gets a secret .env variable by environment: (docker inspect would show it)" "" "$leaks"
for svc in $(jq -r '.services | keys[]' <<<"$C"); do
    ef=$(jq -r --arg s "$svc" '.services[$s].env_file // empty' <<<"$C")
    [ -z "$ef" ] || not_ok "$svc: no env_file (it would put .env's secrets into the environment)" "$ef"
done
assert_eq "config-init reads the secrets from the mounted .env" "/run/deploy/.env" \
    "$(jq -r '.services["config-init"].environment.SECRETS_ENV_FILE' <<<"$C")"
assert_contains "config-init mounts the repository (.env, the CA file) read-only" "$(jq -r '.services["config-init"].volumes[]' <<<"$C")" ".:/run/deploy:ro"
for pair in grafana:rendered-grafana queue-exporter:rendered-queue-exporter daily-report:rendered-daily-report; do
    svc=${pair%%:*}
    assert_contains "$svc reads its secrets from its own volume ($svc)" "$(jq -r --arg s "$svc" '.services[$s].volumes[]' <<<"$C")" "${pair#*:}:/run/monitoring:ro"
    assert_eq "$svc starts after config-init rendered them" "service_completed_successfully" \
        "$(jq -r --arg s "$svc" '.services[$s].depends_on["config-init"].condition' <<<"$C")"
done

# The render as config-init does it: secrets only in a .env file, an
# environment holding none of them (env -i).
cat >"$T/env" <<'ENV'
# comment
GRAFANA_ADMIN_PASSWORD=adm1n-pw-from-file   # inline comment
SUPABASE_GRAFANA_PASSWORD="graf ana#pw"
export WASABI_ACCESS_KEY=AKIAFILE
WASABI_SECRET_KEY='se/cr+et='
SMTP_PASSWORD=smtp-from-file
SUPABASE_SERVICE_KEY=
QUEUE_EXPORTER_DSN=host=db.x.supabase.co port=5432 dbname=postgres user=queue_exporter password='q\'e pw' sslmode=verify-full
ENV
nonsecret=(PATH="$PATH" REPO_DIR="$REPO" RENDER_OUT="$T/r" SECRETS_ENV_FILE="$T/env"
    SMTP_HOST=smtp.eu.mailgun.org SMTP_PORT=587 SMTP_USER=u SMTP_FROM=a@example.eu ALERT_EMAIL_TO=b@example.eu
    GRAFANA_DOMAIN=monitoring.example.eu WASABI_BUCKET=b WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com
    WASABI_REGION=eu-central-1 SUPABASE_URL=https://abcdefghijklmnop.supabase.co SUPABASE_DB_HOST=db.x.supabase.co
    SUPABASE_DB_PORT=5432 SUPABASE_GRAFANA_USER=grafana_readonly SUPABASE_SSLMODE=verify-full)
if out=$(env -i "${nonsecret[@]}" sh scripts/render-config.sh compose 2>&1); then
    ok "config-init renders with the secrets only in the mounted .env"
else
    not_ok "config-init renders with the secrets only in the mounted .env" "$out"
fi
assert_eq "Grafana's admin password file (inline comment dropped)" "adm1n-pw-from-file" "$(cat "$T/r/grafana/admin_password" 2>&1)"
assert_eq "Grafana's Supabase password file (double-quoted value)" "graf ana#pw" "$(cat "$T/r/grafana/supabase_password" 2>&1)"
assert_eq "the daily report's SMTP password file" "smtp-from-file" "$(cat "$T/r/daily-report/smtp_password" 2>&1)"
assert_eq "Alertmanager's SMTP password file" "smtp-from-file" "$(cat "$T/r/alertmanager/smtp_password" 2>&1)"
obj=$(cat "$T/r/thanos/objstore.yml" 2>&1)
assert_contains "Thanos' objstore.yml gets the access key" "$obj" 'access_key: "AKIAFILE"'
assert_contains "... and the secret key (single-quoted value)" "$obj" 'secret_key: "se/cr+et="'
assert_eq "the queue exporter's libpq service file" "[queue_exporter]
host=db.x.supabase.co
port=5432
dbname=postgres
user=queue_exporter
password=q'e pw
sslmode=verify-full" "$(cat "$T/r/queue-exporter/pg_service.conf" 2>&1)"
assert_contains "the daily report's libpq service file: the read-only role and sslmode from .env" \
    "$(cat "$T/r/daily-report/pg_service.conf" 2>&1)" "user=grafana_readonly
password=graf ana#pw
sslmode=verify-full"
modes=$(cd "$T/r" && stat -c '%a %n' grafana/*password queue-exporter/pg_service.conf daily-report/pg_service.conf \
    daily-report/smtp_password thanos/objstore.yml alertmanager/smtp_password | sort)
assert_eq "every secret file is 0440" "" "$(grep -v '^440 ' <<<"$modes")"

# TLS to Supabase: SUPABASE_SSLMODE unset; a CA named in .env makes
# verify-full the default for Grafana, the queue exporter and the daily report.
render_tls() { # NAME=VALUE... (extra environment)
    rm -rf "$T/r"
    env -i "${nonsecret[@]}" SUPABASE_SSLMODE= DEPLOY_DIR="$T" "$@" sh scripts/render-config.sh compose 2>&1
}
sed -i 's/ sslmode=verify-full$/ sslmode=require/' "$T/env"
out=$(render_tls) || not_ok "render without a CA" "$out"
assert_eq "without SUPABASE_CA_CERT: Grafana's sslmode is require" "require" "$(cat "$T/r/grafana/supabase_sslmode" 2>&1)"
assert_eq "... and Grafana gets no CA path" "" "$(cat "$T/r/grafana/supabase_ca_path" 2>&1)"
assert_contains "... the daily report: require" "$(cat "$T/r/daily-report/pg_service.conf")" "sslmode=require"
assert_not_contains "... without sslrootcert" "$(cat "$T/r/daily-report/pg_service.conf")" "sslrootcert"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/supabase-ca.crt" -days 2 -subj /CN=test-ca >/dev/null 2>&1
out=$(render_tls SUPABASE_CA_CERT=./supabase-ca.crt) || not_ok "render with a CA" "$out"
assert_eq "with SUPABASE_CA_CERT: Grafana's sslmode is verify-full" "verify-full" "$(cat "$T/r/grafana/supabase_sslmode" 2>&1)"
assert_eq "... and its sslRootCertFile is the mounted copy" "/run/monitoring/supabase-ca.crt" "$(cat "$T/r/grafana/supabase_ca_path" 2>&1)"
for c in grafana queue-exporter daily-report; do
    check "... the CA is copied for $c" cmp "$T/supabase-ca.crt" "$T/r/$c/supabase-ca.crt"
done
assert_contains "... the daily report: verify-full with sslrootcert" "$(cat "$T/r/daily-report/pg_service.conf")" "sslmode=verify-full
sslrootcert=/run/monitoring/supabase-ca.crt"
qs=$(cat "$T/r/queue-exporter/pg_service.conf")
assert_contains "... the queue exporter: the DSN's require becomes verify-full" "$qs" "sslmode=verify-full"
assert_contains "... with sslrootcert" "$qs" "sslrootcert=/run/monitoring/supabase-ca.crt"
assert_not_contains "... and no require left" "$qs" "sslmode=require"
out=$(render_tls SUPABASE_CA_CERT=./supabase-ca.crt SUPABASE_SSLMODE=verify-ca) || not_ok "render with verify-ca" "$out"
assert_eq "an explicit SUPABASE_SSLMODE=verify-ca is kept" "verify-ca" "$(cat "$T/r/grafana/supabase_sslmode" 2>&1)"
out=$(render_tls SUPABASE_CA_CERT=./missing.crt) && rc=0 || rc=$?
assert_contains "a missing CA file stops config-init, named" "$out" "SUPABASE_CA_CERT=./missing.crt: file not found"
echo "not a cert" >"$T/bad.crt"
out=$(render_tls SUPABASE_CA_CERT=bad.crt) && rc=0 || rc=$?
assert_contains "a file that is no PEM certificate is refused" "$out" "SUPABASE_CA_CERT=bad.crt: not a PEM certificate"

sed -i '/^GRAFANA_ADMIN_PASSWORD=/d' "$T/env"
rm -rf "$T/r"
out=$(env -i "${nonsecret[@]}" sh scripts/render-config.sh compose 2>&1) && rc=0 || rc=$?
assert_eq "a secret missing from .env stops config-init" "1" "$rc"
assert_contains "... naming it" "$out" "GRAFANA_ADMIN_PASSWORD is not set (add it to .env)"
assert_eq "... before any admin password file exists" "no" "$([ -e "$T/r/grafana/admin_password" ] && echo yes || echo no)"
echo 'GRAFANA_ADMIN_PASSWORD=x' >>"$T/env"
echo 'QUEUE_EXPORTER_DSN=postgresql://queue_exporter:pw@db.x/postgres' >>"$T/env"
out=$(env -i "${nonsecret[@]}" sh scripts/render-config.sh compose 2>&1)
assert_contains "a URI QUEUE_EXPORTER_DSN is refused with what to write instead" "$out" "write it as key=value pairs"
assert_not_contains "... without echoing the password" "$out" ":pw@"

# --- sql/roles.sh: passwords never as arguments -------------------------------------------------
check "shellcheck sql/roles.sh" shellcheck -x sql/roles.sh
out=$(DOCTOR=/bin/true sql/roles.sh apply --grafana-password s3cret -- "host=x" 2>&1) && rc=0 || rc=$?
assert_eq "sql/roles.sh refuses a password given as an argument (exit 2)" "2" "$rc"
assert_contains "... and says where passwords come from" "$out" "passwords are never arguments"
out=$(DOCTOR=/bin/true sql/roles.sh apply --grafana-password-file "$T/none" -- "host=x" 2>&1)
assert_contains "sql/roles.sh names an unreadable password file" "$out" "cannot read the password file $T/none"

# --- Prometheus ---------------------------------------------------------------------------------
pcmd=$(jq -r '.services.prometheus.command[]' <<<"$C")
assert_not_contains "Prometheus runs without the lifecycle API (/-/quit, /-/reload)" "$pcmd" "--web.enable-lifecycle"
size=$(sed -n 's/^--storage.tsdb.retention.size=\([0-9]*\)GB$/\1/p' <<<"$pcmd")
budget=$(sed -n 's/.*Prometheus disk budget: \*\*\([0-9]*\) GB\*\*.*/\1/p' README.md | head -1)
if [ -n "$size" ] && [ -n "$budget" ] && [ $((size * 100)) -le $((budget * 80)) ]; then
    ok "Prometheus' retention.size (${size}GB) keeps within 80 % of the README's disk budget (${budget} GB)"
else
    not_ok "Prometheus has --storage.tsdb.retention.size within 80 % of the README's disk budget" "size=$size budget=$budget"
fi

# --- base images -----------------------------------------------------------------------------------
for df in src/*/Dockerfile; do
    bad=$(grep -E '^FROM ' "$df" | grep -vE '^FROM debian:bookworm-[0-9]{8}-slim( AS [a-z]+)?$' || true)
    assert_eq "$df: every FROM is Debian 12 slim at a dated tag (bookworm-YYYYMMDD-slim)" "" "$bad"
done
assert_eq "both Dockerfiles use one and the same base" "1" "$(grep -hoE '^FROM [^ ]+' src/*/Dockerfile | sort -u | wc -l)"
finish
