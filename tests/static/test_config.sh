#!/usr/bin/env bash
# Static validation of every component's configuration with the component's
# own tool (promtool, amtool, caddy), the compose file against the Compose
# specification schema, the deployment rules of compose.yaml, and the
# renderer's handling of bad input. No service is started.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
cd "$REPO" || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Values shaped like a real .env, none of them real.
example_env() {
    export MONITORING_CLUSTER=ecotrans-test PROMETHEUS_REPLICA=0 GRAFANA_DOMAIN=monitoring.ecotrans.eu \
        SMTP_HOST=smtp.eu.mailgun.org SMTP_PORT=587 SMTP_USER=postmaster@mg.example.eu \
        SMTP_PASSWORD=not-a-real-password SMTP_FROM=monitoring@mg.example.eu ALERT_EMAIL_TO=ops@example.eu \
        WASABI_BUCKET=ecotrans-monitoring-test WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com \
        WASABI_REGION=eu-central-1 SUPABASE_URL=https://abcdefghijklmnop.supabase.co SUPABASE_SERVICE_KEY='' \
        GRAFANA_ADMIN_PASSWORD=not-a-real-admin-pw SUPABASE_GRAFANA_PASSWORD=not-a-real-db-pw \
        WASABI_ACCESS_KEY=NOTAREALKEY WASABI_SECRET_KEY=not/a+real=secret SUPABASE_DB_HOST=db.abcdefghijklmnop.supabase.co \
        QUEUE_EXPORTER_DSN="host=db.abcdefghijklmnop.supabase.co user=queue_exporter password=not-a-real-qe-pw sslmode=require"
}

# --- Prometheus: the production file with targets rendered from the inventory.
mkdir -p "$T/compose"
if (
    example_env
    REPO_DIR=$REPO RENDER_OUT=$T/compose scripts/render-config.sh compose >"$T/render.log" 2>&1
); then
    ok "config-init renders the compose configuration from .env values"
else
    not_ok "config-init renders the compose configuration from .env values" "$(cat "$T/render.log")"
fi
mkdir -p "$T/prom"
cp -r prometheus/prometheus.yml prometheus/rules prometheus/targets "$T/prom/"
cp -r "$T/compose/prometheus" "$T/prom/rendered"
check "promtool check config accepts prometheus/prometheus.yml" promtool check config "$T/prom/prometheus.yml"
out=$(jq -r '.[].labels.server' "$T/prom/rendered/targets/node.json" | sort | tr '\n' ' ')
assert_eq "node targets come from the inventory, one per server, labelled server=" "A B C D E F " "$out"
assert_eq "cadvisor targets: the Docker hosts B and F" "B F " "$(jq -r '.[].labels.server' "$T/prom/rendered/targets/cadvisor.json" | sort | tr '\n' ' ')"
assert_eq "the supabase job has no target while SUPABASE_SERVICE_KEY is empty" "[]" "$(tr -d ' \n' <"$T/prom/rendered/targets/supabase.json")"
(
    example_env
    export SUPABASE_SERVICE_KEY=test-only-key
    REPO_DIR=$REPO RENDER_OUT=$T/with-supabase scripts/render-config.sh compose >/dev/null 2>&1
)
assert_eq "with SUPABASE_URL and SUPABASE_SERVICE_KEY set, the supabase job targets <ref>.supabase.co" \
    "abcdefghijklmnop.supabase.co" "$(jq -r '.[0].targets[0]' "$T/with-supabase/prometheus/targets/supabase.json" 2>/dev/null)"
assert_eq "the service key goes to a 0440 password file, not into prometheus.yml" "440" \
    "$(stat -c %a "$T/with-supabase/prometheus/secrets/supabase_service_key" 2>/dev/null)"
for f in prometheus/targets/services/*.json; do
    jq -e 'length == 1 and .[0].labels.server == "F"' "$f" >/dev/null || bad_sd="$bad_sd $f"
done
assert_eq "every compose service target carries server=F" "" "${bad_sd:-}"
jobs=$(grep -E '^  - job_name:' prometheus/prometheus.yml | awk '{print $3}' | sort | tr '\n' ' ')
assert_eq "scrape jobs: node, cadvisor, the stack's components, optional supabase, blackbox probes" \
    "alertmanager blackbox caddy cadvisor daily-report grafana node prometheus queue-exporter supabase thanos-compact thanos-query thanos-sidecar thanos-store watcher " "$jobs"
assert_eq "watcher targets: the inventory's role watcher (server A, port 9202)" "A 203.0.113.10:9202" \
    "$(jq -r '.[] | "\(.labels.server) \(.targets[0])"' "$T/prom/rendered/targets/watcher.json" 2>/dev/null)"

# --- Alertmanager, rendered as config-init does.
check "amtool check-config accepts the rendered alertmanager.yml" amtool check-config "$T/compose/alertmanager/alertmanager.yml"
assert_not_contains "the SMTP password is not in the rendered alertmanager.yml" \
    "$(cat "$T/compose/alertmanager/alertmanager.yml")" "not-a-real-password"
assert_eq "the SMTP password file holds the password, mode 0440" "440 not-a-real-password" \
    "$(stat -c %a "$T/compose/alertmanager/smtp_password") $(cat "$T/compose/alertmanager/smtp_password")"
assert_contains "Alertmanager sends through Mailgun EU with STARTTLS" \
    "$(cat "$T/compose/alertmanager/alertmanager.yml")" "smtp.eu.mailgun.org:587"

# --- Thanos object store: explicit endpoint and region, no keys.
objstore=$(cat "$T/compose/thanos/objstore.yml" 2>/dev/null)
assert_contains "objstore.yml names the Wasabi endpoint explicitly" "$objstore" "endpoint: s3.eu-central-1.wasabisys.com"
assert_contains "objstore.yml names the bucket's region" "$objstore" "region: eu-central-1"
assert_contains "objstore.yml uses the bucket chosen by .env" "$objstore" "bucket: ecotrans-monitoring-test"
assert_contains "objstore.yml signs with SigV4" "$objstore" "signature_version2: false"
check_fails "thanos/objstore.yml carries no key, only \${WASABI_*} placeholders" \
    grep -Eq '^\s*(access_key|secret_key):\s*"?[^"$ ]' thanos/objstore.yml

# --- Caddy: production, test VPS by IP, loopback.
check "caddy validate: production (domain, ACME)" env GRAFANA_SITE=monitoring.ecotrans.eu CADDY_TLS=ops@ecotrans.eu \
    caddy validate --adapter caddyfile --config caddy/Caddyfile
check "caddy validate: test VPS by IP with the internal CA" env GRAFANA_SITE=https://203.0.113.5 CADDY_TLS=internal \
    caddy validate --adapter caddyfile --config caddy/Caddyfile
check "the Caddyfile is caddy-fmt formatted" bash -c 'caddy fmt caddy/Caddyfile | diff -q - caddy/Caddyfile'

# --- Compose.
check "compose.yaml is valid against the Compose specification schema" node tests/tools/validate-compose.js compose.yaml
"$PY3" tests/tools/check_compose.py compose.yaml .env.example || TEST_FAILED=1
pflags() { grep -oE -- '--(storage\.tsdb\.[a-z.-]+=[^ "]+|web\.enable-lifecycle|enable-feature=[^ "]+)' "$1" | sort -u | tr '\n' ' '; }
assert_eq "the loopback stack starts Prometheus with compose.yaml's storage and feature flags" \
    "$(pflags compose.yaml | sed 's|--storage.tsdb.path=/prometheus ||')" "$(pflags local/stack.sh | sed 's|--storage.tsdb.path=[^ ]* ||')"

# --- Lint.
mapfile -t yamls < <(git ls-files -co --exclude-standard '*.yml' '*.yaml' | grep -v '^node_modules/')
check "yamllint is clean on every YAML file (${#yamls[@]})" yamllint -s "${yamls[@]}"
mapfile -t shells < <(git ls-files -co --exclude-standard | grep -v '^node_modules/' | while read -r f; do
    [ -f "$f" ] && head -c 64 "$f" | grep -E '^#!.*\b(ba)?sh\b' >/dev/null && echo "$f"; done)
check "shellcheck is clean on every shell script (${#shells[@]})" shellcheck "${shells[@]}"

# --- Bad input names the file and the problem.
printf 'A 203.0.113.10 node\nB 203.0.113.11 node,snmp\nA 203.0.113.12 node\n' >"$T/bad-inventory.txt"
out=$(scripts/render-config.sh targets "$T/bad-inventory.txt" "$T/out" 2>&1)
rc=$?
assert_eq "a malformed inventory is rejected (exit 1)" 1 "$rc"
assert_contains "an unknown role is named with file:line" "$out" "bad-inventory.txt:2: unknown role \"snmp\""
assert_contains "a duplicate server is named with file:line" "$out" "bad-inventory.txt:3: server \"A\" is listed twice"
check_fails "a rejected inventory writes no targets file" test -e "$T/out/node.json"
printf 'A 203.0.113.10\n' >"$T/short.txt"
assert_contains "a line without roles is named" "$(scripts/render-config.sh targets "$T/short.txt" "$T/o2" 2>&1)" \
    "short.txt:1: expected 3 columns (name address roles), found 2"
# shellcheck disable=SC2016 # a literal ${...} placeholder is the point
printf 'x: ${NOT_SET_ANYWHERE}\n' >"$T/tmpl.yml"
out=$(env -u NOT_SET_ANYWHERE scripts/render-config.sh template "$T/tmpl.yml" "$T/tmpl.out" 2>&1)
# shellcheck disable=SC2016
assert_contains "a template variable missing from .env is named with file:line" "$out" 'tmpl.yml:1: ${NOT_SET_ANYWHERE} is not set'
check_fails "a failed render leaves no output file" test -e "$T/tmpl.out"
out=$(
    example_env
    unset SMTP_PASSWORD
    REPO_DIR=$REPO RENDER_OUT=$T/nopw scripts/render-config.sh compose 2>&1
)
assert_contains "config-init without SMTP_PASSWORD stops with the variable's name" "$out" "SMTP_PASSWORD is not set"

# --- Secrets stay out of git.
check "git ignores .env" git check-ignore -q .env
check "git ignores .env.local" git check-ignore -q .env.local
check_fails "no .env file is tracked" bash -c 'git ls-files | grep -E "(^|/)\.env(\.local)?$"'
check_fails "no private key or AWS-style secret in tracked files" bash -c \
    'git ls-files -co --exclude-standard | grep -v "^node_modules/" | xargs grep -lIE "BEGIN [A-Z ]*PRIVATE KEY|AKIA[0-9A-Z]{16}" 2>/dev/null'
secrets_set=$(grep -E '^(GRAFANA_ADMIN_PASSWORD|SMTP_PASSWORD|WASABI_ACCESS_KEY|WASABI_SECRET_KEY|SUPABASE_SERVICE_KEY|SUPABASE_GRAFANA_PASSWORD|QUEUE_EXPORTER_DSN)=' .env.example | grep -v '=$' || true)
assert_eq ".env.example leaves every secret empty" "" "$secrets_set"
finish
