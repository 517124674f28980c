#!/usr/bin/env bash
# The inventory as the stack reads it: inventory/containers.txt (and the test
# VPS's inventory/test-vps/) rendered by scripts/render-config.sh into the
# recording rules ContainerAbsent compares with cAdvisor, refusals with
# file:line, and — through promtool on the real rule file — that a server
# the inventory does not list (a test VPS without B) raises nothing, while a
# listed one does. Also: the README's test-VPS steps name every setting the
# test VPS needs.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
cd "$REPO" || exit 1
START=$SECONDS
T=$(mktemp -d "${TMPDIR:-/tmp}/inventory-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
R=scripts/render-config.sh

for tool in promtool jq; do command -v "$tool" >/dev/null || { not_ok "$tool is installed"; finish; }; done

# --- production: B's three containers ---------------------------------------------
check "render the production expectations" sh $R containers inventory/servers.txt inventory/containers.txt "$T/prod.yml"
check "promtool accepts the rendered rules" promtool check rules "$T/prod.yml"
got=$(grep -A1 'server: "' "$T/prod.yml" | grep -o '"[^"]*"' | paste -sd' ')
assert_eq "one expectation per container of inventory/containers.txt" \
    '"B" "n8n" "B" "flask-pdf" "B" "faster-whisper"' "$got"

# --- the test VPS: itself and B, nothing else --------------------------------------------
servers=$(grep -Ev '^[[:space:]]*(#|$)' inventory/test-vps/servers.txt | awk '{print $1 "=" $2}' | paste -sd' ')
assert_eq "inventory/test-vps lists the VPS itself (self) and B, nothing else" "F=self B=203.0.113.11" "$servers"
mkdir -p "$T/tv"
check "the test VPS inventory renders (targets)" sh $R targets inventory/test-vps/servers.txt "$T/tv"
assert_eq "test VPS: node targets for itself and B" "B F" "$(jq -r '.[].labels.server' "$T/tv/node.json" | sort | paste -sd' ')"
check "the test VPS inventory renders (containers)" sh $R containers inventory/test-vps/servers.txt inventory/test-vps/containers.txt "$T/tv.yml"
if (
    export SMTP_HOST=smtp.eu.mailgun.org SMTP_USER=u SMTP_PASSWORD=not-a-real-password SMTP_FROM=a@b.c \
        ALERT_EMAIL_TO=ops@b.c GRAFANA_DOMAIN=198.51.100.77 WASABI_BUCKET=ecotrans-monitoring-test \
        WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com WASABI_REGION=eu-central-1 INVENTORY_DIR=inventory/test-vps \
        GRAFANA_ADMIN_PASSWORD=not-a-real-admin-pw SUPABASE_GRAFANA_PASSWORD=not-a-real-db-pw \
        WASABI_ACCESS_KEY=NOTAREALKEY WASABI_SECRET_KEY=not/a+real=secret SUPABASE_DB_HOST=aws-0-eu-central-1.pooler.supabase.com \
        QUEUE_EXPORTER_DSN="host=aws-0-eu-central-1.pooler.supabase.com user=queue_exporter.abc password=not-a-real-qe-pw"
    REPO_DIR=$REPO RENDER_OUT=$T/compose sh $R compose >"$T/compose.log" 2>&1
); then
    ok "config-init renders with INVENTORY_DIR=inventory/test-vps"
    assert_eq "config-init (test VPS): the inventory's node targets" "B F" \
        "$(jq -r '.[].labels.server' "$T/compose/prometheus/targets/node.json" | sort | paste -sd' ')"
    check "config-init writes the expected containers as rules" test -s "$T/compose/prometheus/rules/inventory.yml"
    # prometheus.yml loads them: rule_files names rendered/rules/*.yml.
    mkdir -p "$T/prom"
    cp -r prometheus/prometheus.yml prometheus/rules prometheus/targets "$T/prom/"
    cp -r "$T/compose/prometheus" "$T/prom/rendered"
    out=$(promtool check config "$T/prom/prometheus.yml" 2>&1)
    assert_contains "promtool check config loads the rendered inventory rules" "$out" "rendered/rules/inventory.yml"
    # Probes come from the same inventory: the test VPS probes its own
    # Grafana, and no endpoint (URL or host) of production's list.
    tv_probes=$(cat "$T/compose/prometheus/targets/probes.json" "$T/compose/blackbox/blackbox.yml")
    assert_eq "config-init (test VPS): the probes of inventory/test-vps/probes.txt" \
        "monitoring website" "$(jq -r '[.[].labels.probe] | unique | join(" ")' "$T/compose/prometheus/targets/probes.json")"
    assert_contains "config-init (test VPS): it probes its own Grafana" "$tv_probes" '"https://198.51.100.77/login"'
    leaked=""
    while read -r u; do
        h=${u#https://}
        h=${h#http://}
        h=${h%%/*}
        case $tv_probes in *"$h"*) leaked="$leaked $u" ;; esac
    done < <(grep -Ev '^[[:space:]]*(#|$)' inventory/probes.txt | awk '{print $2}')
    assert_eq "config-init (test VPS): no production endpoint is probed" "" "$leaked"
    # Control: production's render probes production's list.
    if env -u INVENTORY_DIR SMTP_HOST=smtp.eu.mailgun.org SMTP_USER=u SMTP_PASSWORD=not-a-real-password SMTP_FROM=a@b.c \
        ALERT_EMAIL_TO=ops@b.c GRAFANA_DOMAIN=monitoring.ecotrans.eu WASABI_BUCKET=ecotrans-monitoring \
        WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com WASABI_REGION=eu-central-1 \
        GRAFANA_ADMIN_PASSWORD=not-a-real-admin-pw SUPABASE_GRAFANA_PASSWORD=not-a-real-db-pw \
        WASABI_ACCESS_KEY=NOTAREALKEY WASABI_SECRET_KEY=not/a+real=secret SUPABASE_DB_HOST=aws-0-eu-central-1.pooler.supabase.com \
        QUEUE_EXPORTER_DSN="host=aws-0-eu-central-1.pooler.supabase.com user=queue_exporter.abc password=not-a-real-qe-pw" \
        REPO_DIR="$REPO" RENDER_OUT="$T/prod-compose" sh $R compose >"$T/prod-compose.log" 2>&1; then
        assert_contains "config-init (production): it probes monitoring.ecotrans.eu" \
            "$(cat "$T/prod-compose/prometheus/targets/probes.json")" '"https://monitoring.ecotrans.eu/login"'
        check_fails "config-init (production): not the test VPS's endpoint" \
            grep -q 198.51.100.77 "$T/prod-compose/prometheus/targets/probes.json"
    else
        not_ok "config-init renders production's inventory" "$(cat "$T/prod-compose.log")"
    fi
else
    not_ok "config-init renders with INVENTORY_DIR=inventory/test-vps" "$(cat "$T/compose.log")"
fi

# --- refusals, with file:line --------------------------------------------------------------
refuse() { # DESC NEEDLE CONTAINERS-TEXT
    printf '%s\n' "$3" >"$T/bad.txt"
    local out rc=0
    out=$(sh $R containers inventory/servers.txt "$T/bad.txt" "$T/bad.yml" 2>&1) || rc=$?
    assert_eq "$1: refused" 1 "$rc"
    assert_contains "$1: says why, with file:line" "$out" "$2"
    check_fails "$1: no rules file written" test -e "$T/bad.yml"
}
refuse "a server not in the inventory" "bad.txt:1: server \"X\" is not in inventory/servers.txt" "X n8n"
refuse "a server without cAdvisor" "bad.txt:2: server \"A\" has no cadvisor role" $'# comment\nA n8n'
refuse "a server listed twice" "bad.txt:2: server \"B\" is listed twice" $'B n8n\nB flask-pdf'
refuse "a bad container name" "container \"n8n;rm\" is not" "B n8n;rm"
refuse "a server without containers" "expected a server name and at least one container" "B"

# --- what ContainerAbsent makes of it (the real rule file, promtool) -----------------------
# A test VPS whose inventory has no B (only itself), and the production
# inventory, over the same hour: cAdvisor on F up, nothing at all from B.
printf 'F self node@172.31.240.1:9100,cadvisor@cadvisor:8080\n' >"$T/f-only.txt"
: >"$T/none.txt"
check "an inventory without containers renders" sh $R containers "$T/f-only.txt" "$T/none.txt" "$T/f-only.yml"
absent_test() { # RULES-FILE OUT-TEST EXPECT-YAML
    cat >"$2" <<EOF
rule_files: [$REPO/prometheus/rules/containers.yml, $1]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="cadvisor", server="F", instance="cadvisor:8080"}'
        values: '1x60'
      - series: 'up{job="cadvisor", server="B", instance="203.0.113.11:8080"}'
        values: '1x60'
    alert_rule_test:
      - eval_time: 60m
        alertname: ContainerAbsent
        exp_alerts: $3
EOF
    promtool test rules "$2" 2>&1
}
check "test VPS without B: no ContainerAbsent, even after an hour" absent_test "$T/f-only.yml" "$T/t1.yml" "[]"
out=$(absent_test "$T/prod.yml" "$T/t2.yml" "[]")
assert_contains "production inventory, nothing from B: ContainerAbsent does fire (control)" "$out" 'name="faster-whisper"'

# --- the README's test-VPS steps ----------------------------------------------------------------
step2=$(sed -n '/^2\. \*\*Configure\*\*/,/^3\. /p' README.md)
for v in GRAFANA_DOMAIN= GRAFANA_SITE= CADDY_TLS=internal INVENTORY_DIR=inventory/test-vps SERVER_F_PUBLIC_IP=; do
    assert_contains "README step 2 (test VPS) sets $v" "$step2" "$v"
done
echo "# duration: $((SECONDS - START)) s"
finish
