#!/usr/bin/env bash
# Alertmanager configuration (alertmanager/alertmanager.yml, defaults.env,
# templates/*.tmpl), without running Alertmanager:
#   - rendered the production way (scripts/render-config.sh compose, as the
#     config-init container does) and the loopback way (as local/stack.sh
#     does): amtool check-config accepts both; no secret in the output;
#   - SMTP: the smarthost's port and smtp_require_tls, derived from SMTP_TLS
#     and SMTP_PORT for every pair, and the pairs Alertmanager cannot
#     honour refused with the doctor's very message;
#   - amtool config routes test: every route, and every rule's labels;
#   - timing, grouping and inhibition as documented;
#   - the email templates rendered by amtool template render from the
#     config's own html/text/Subject fields: server, severity, since, value,
#     dashboard link, silence link, HTML escaping.
# Delivery itself (STARTTLS, AUTH, inhibition at work, webhook) is tested
# with a running Alertmanager in tests/integration/test_alerts_e2e_routing.sh.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

AM_TEMPLATE=$REPO/alertmanager/alertmanager.yml
DEFAULTS=$REPO/alertmanager/defaults.env
RENDER=$REPO/scripts/render-config.sh
TEMPLATES=$REPO/alertmanager/templates

for tool in amtool "$PY3"; do
    command -v "$tool" >/dev/null || { not_ok "$tool is installed"; finish; }
done
[ -x "$RENDER" ] || { not_ok "scripts/render-config.sh exists (the renderer of alertmanager.yml)"; finish; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check "yamllint alertmanager/" yamllint -s -c "$REPO/.yamllint" "$AM_TEMPLATE"

# ---- production render: exactly what config-init does -------------------------
smtp_secret=test-secret-$RANDOM$RANDOM
watcher_secret=watcher-token-$RANDOM$RANDOM$RANDOM
prod_env=(
    REPO_DIR="$REPO" RENDER_OUT="$work/rendered"
    SMTP_HOST=smtp.eu.mailgun.org SMTP_PORT=587 SMTP_USER=postmaster@mg.ecotrans.eu
    SMTP_PASSWORD="$smtp_secret" SMTP_FROM=monitoring@mg.ecotrans.eu
    ALERT_EMAIL_TO=ops@ecotrans.eu GRAFANA_DOMAIN=monitoring.ecotrans.eu
    WASABI_BUCKET=ecotrans-monitoring WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com WASABI_REGION=eu-central-1
    # config-init renders every secret file; these are placeholders.
    GRAFANA_ADMIN_PASSWORD=x1 SUPABASE_GRAFANA_PASSWORD=x2 WASABI_ACCESS_KEY=x3 WASABI_SECRET_KEY=x4
    SUPABASE_DB_HOST=db.example.supabase.co QUEUE_EXPORTER_DSN="host=db.example.supabase.co password=x5"
    WATCHER_URL=http://203.0.113.10:9202/webhook WATCHER_TOKEN="$watcher_secret"
)
if out=$(env -i PATH="$PATH" "${prod_env[@]}" sh "$RENDER" compose 2>&1); then
    ok "render-config.sh compose renders alertmanager.yml with production values"
else
    not_ok "render-config.sh compose renders alertmanager.yml with production values" "$out"
fi
prod_raw=$work/rendered/alertmanager/alertmanager.yml
# In the container the templates are mounted at /etc/alertmanager/templates;
# point a copy at the repository's so amtool can load and check them.
prod=$work/prod.yml
sed "s#/etc/alertmanager/templates/#$TEMPLATES/#" "$prod_raw" >"$prod" 2>/dev/null
check "amtool check-config accepts the production render" amtool check-config "$prod"
assert_eq "the production render loads templates from /etc/alertmanager/templates (compose mount)" \
    "1" "$(grep -c "^  - '/etc/alertmanager/templates/\*.tmpl'" "$prod_raw" 2>/dev/null)"
rendered=$(cat "$prod_raw" 2>/dev/null)
assert_not_contains "the rendered config holds no SMTP password" "$rendered" "$smtp_secret"
assert_not_contains "every \${NAME} placeholder was replaced" "$rendered" "\${"
assert_contains "SMTP goes to Mailgun EU on 587" "$rendered" "smtp_smarthost: 'smtp.eu.mailgun.org:587'"
assert_contains "STARTTLS is required (SMTP_TLS unset, port 587)" "$rendered" "smtp_require_tls: true"
assert_contains "the password is read from a file" "$rendered" \
    "smtp_auth_password_file: '/etc/alertmanager/rendered/smtp_password'"
assert_eq "the password file holds the password" "$smtp_secret" "$(cat "$work/rendered/alertmanager/smtp_password" 2>/dev/null)"
assert_not_contains "the rendered config holds no watcher token" "$rendered" "$watcher_secret"
assert_contains "the Watchdog posts to WATCHER_URL" "$rendered" "url: 'http://203.0.113.10:9202/webhook'"
assert_eq "the watcher token file holds the token, mode 0440" "440 $watcher_secret" \
    "$(stat -c %a "$work/rendered/alertmanager/watcher_token" 2>/dev/null) $(cat "$work/rendered/alertmanager/watcher_token" 2>/dev/null)"
assert_contains "email links point at Grafana's public URL" "$rendered" '{{ define "ecotrans.grafana_url" }}https://monitoring.ecotrans.eu{{ end }}'

# ---- SMTP_PORT empty: the senders' default port (src/common/smtpconf.h) ----------
# compose passes ${SMTP_PORT:-} and ${SMTP_TLS:-}: Alertmanager's smarthost
# gets the port the daily report and the watcher use, 587, or 465 with
# SMTP_TLS=tls; a bad value is refused with the doctor's message.
hdr=$REPO/src/common/smtpconf.h
def_port=$(awk '$1 == "#define" && $2 == "SMTP_PORT_DEFAULT" { print $3 }' "$hdr")
def_tls=$(awk '$1 == "#define" && $2 == "SMTP_PORT_DEFAULT_TLS" { print $3 }' "$hdr")
assert_eq "(src/common/smtpconf.h states the default ports 587 and 465)" "587 465" "$def_port $def_tls"
smarthost() { # VAR=VALUE...: the smarthost render-config.sh compose writes with them, or its error
    rm -rf "$work/port"
    if env -i PATH="$PATH" "${prod_env[@]}" RENDER_OUT="$work/port" "$@" sh "$RENDER" compose >/dev/null 2>"$work/port.err"; then
        grep -o "smtp_smarthost: '[^']*'" "$work/port/alertmanager/alertmanager.yml"
    else
        cat "$work/port.err"
    fi
}
assert_eq "SMTP_PORT empty: the smarthost is on smtpconf.h's default port" \
    "smtp_smarthost: 'smtp.eu.mailgun.org:$def_port'" "$(smarthost SMTP_PORT=)"
assert_eq "SMTP_PORT empty, SMTP_TLS=starttls: the default port" \
    "smtp_smarthost: 'smtp.eu.mailgun.org:$def_port'" "$(smarthost SMTP_PORT= SMTP_TLS=starttls)"
assert_eq "SMTP_PORT empty, SMTP_TLS=tls: the TLS default port" \
    "smtp_smarthost: 'smtp.eu.mailgun.org:$def_tls'" "$(smarthost SMTP_PORT= SMTP_TLS=tls)"
assert_eq "SMTP_PORT set: that port" \
    "smtp_smarthost: 'smtp.eu.mailgun.org:2525'" "$(smarthost SMTP_PORT=2525 SMTP_TLS=starttls)"
port_msg=$(smarthost SMTP_PORT=58x)
assert_eq "SMTP_PORT=58x is refused with the programs' message" \
    "render-config.sh: SMTP_PORT=58x is not a port number (1-65535)" "$port_msg"
assert_eq "SMTP_PORT=0 is refused" "render-config.sh: SMTP_PORT=0 is not a port number (1-65535)" "$(smarthost SMTP_PORT=0)"
assert_eq "SMTP_PORT=65536 is refused" "render-config.sh: SMTP_PORT=65536 is not a port number (1-65535)" \
    "$(smarthost SMTP_PORT=65536)"
assert_eq "SMTP_TLS=ssl is refused with the programs' message" \
    "render-config.sh: SMTP_TLS=ssl is not one of starttls, tls, none" "$(smarthost SMTP_PORT= SMTP_TLS=ssl)"
# ... the very message the doctor gives for the same .env value.
if [ -x "$REPO/build/doctor" ] && command -v jq >/dev/null; then
    printf 'SMTP_PORT=58x\nSMTP_TLS=ssl\n' >"$work/port.env"
    chmod 600 "$work/port.env"
    djson=$("$REPO/build/doctor" --env-file "$work/port.env" --only env --json 2>/dev/null)
    assert_eq "... the doctor's env.format.SMTP_PORT says the same" "${port_msg#render-config.sh: }" \
        "$(jq -r '.checks[] | select(.id == "env.format.SMTP_PORT") | .detail' <<<"$djson")"
    assert_eq "... and its env.format.SMTP_TLS too" "SMTP_TLS=ssl is not one of starttls, tls, none" \
        "$(jq -r '.checks[] | select(.id == "env.format.SMTP_TLS") | .detail' <<<"$djson")"
else
    not_ok "build/doctor and jq exist (make builds the doctor first)"
fi

# ---- SMTP_TLS: Alertmanager speaks to the server as the daily report does -------
# Alertmanager (v0.27) picks TLS by the smarthost's port: TLS from the first
# byte on 465, plain TCP elsewhere, then STARTTLS when smtp_require_tls is
# true. config-init derives smtp_require_tls from SMTP_TLS (compose passes
# no SMTP_REQUIRE_TLS) and refuses the pairs Alertmanager cannot honour.
am_smtp() { # VAR=VALUE...: "PORT REQUIRE_TLS" as rendered, or the render's error
    rm -rf "$work/tls"
    if env -i PATH="$PATH" "${prod_env[@]}" RENDER_OUT="$work/tls" "$@" sh "$RENDER" compose >/dev/null 2>"$work/tls.err"; then
        sed -n "s/^  smtp_smarthost: 'smtp.eu.mailgun.org:\([0-9]*\)'$/\1/p; s/^  smtp_require_tls: //p" \
            "$work/tls/alertmanager/alertmanager.yml" | paste -sd' '
    else
        cat "$work/tls.err"
    fi
}
while read -r tls port want; do
    assert_eq "SMTP_TLS=${tls#-} SMTP_PORT=${port#-}: Alertmanager on port ${want% *}, smtp_require_tls ${want#* }" \
        "$want" "$(am_smtp SMTP_TLS="${tls#-}" SMTP_PORT="${port#-}")"
done <<'CASES'
- - 587 true
- 465 465 false
- 2525 2525 true
starttls - 587 true
starttls 2525 2525 true
tls - 465 false
tls 465 465 false
none - 587 false
none 25 25 false
CASES
assert_eq "smtp_require_tls is derived, never taken from the environment" "587 true" \
    "$(am_smtp SMTP_TLS=starttls SMTP_PORT= SMTP_REQUIRE_TLS=false)"
assert_eq "... nor from defaults.env (SMTP_TLS=none)" "587 false" "$(am_smtp SMTP_TLS=none SMTP_PORT= SMTP_REQUIRE_TLS=true)"
assert_not_contains "compose.yaml passes config-init no SMTP_REQUIRE_TLS" "$(cat "$REPO/compose.yaml")" "SMTP_REQUIRE_TLS"
tls_other="SMTP_TLS=tls with SMTP_PORT=587: Alertmanager uses TLS from the first byte only on port 465 and STARTTLS on any other port; set SMTP_PORT=465 (or leave it empty), or SMTP_TLS=starttls"
assert_eq "SMTP_TLS=tls on port 587 is refused: Alertmanager would send STARTTLS" \
    "render-config.sh: $tls_other" "$(am_smtp SMTP_TLS=tls SMTP_PORT=587)"
assert_eq "SMTP_TLS=tls on port 2525 is refused" \
    "render-config.sh: ${tls_other//587/2525}" "$(am_smtp SMTP_TLS=tls SMTP_PORT=2525)"
assert_eq "SMTP_TLS=starttls on port 465 is refused: Alertmanager would speak TLS from the first byte" \
    "render-config.sh: SMTP_TLS=starttls with SMTP_PORT=465: Alertmanager uses TLS from the first byte on port 465, not STARTTLS; set SMTP_TLS=tls, or SMTP_PORT=587 (or leave it empty)" \
    "$(am_smtp SMTP_TLS=starttls SMTP_PORT=465)"
assert_eq "SMTP_TLS=none on port 465 is refused" \
    "render-config.sh: SMTP_TLS=none with SMTP_PORT=465: Alertmanager uses TLS from the first byte on port 465, not plain SMTP; set SMTP_TLS=tls, or SMTP_PORT=587 (or leave it empty)" \
    "$(am_smtp SMTP_TLS=none SMTP_PORT=465)"
# The doctor refuses exactly these pairs, with the same words: every pair it
# passes renders, and what it refuses does not.
if [ -x "$REPO/build/doctor" ] && command -v jq >/dev/null; then
    agree=0 pairs=0
    for tls in '' starttls tls none; do
        for port in '' 25 465 587 2525; do
            pairs=$((pairs + 1))
            printf 'SMTP_TLS=%s\nSMTP_PORT=%s\n' "$tls" "$port" >"$work/pair.env"
            chmod 600 "$work/pair.env"
            doc=$("$REPO/build/doctor" --env-file "$work/pair.env" --only env --json 2>/dev/null |
                jq -r '[.checks[] | select(.id == "env.format.SMTP_TLS") | .detail] | first // "pass"')
            ren=$(am_smtp SMTP_TLS="$tls" SMTP_PORT="$port")
            case $ren in render-config.sh:*) ren=${ren#render-config.sh: } ;; *) ren=pass ;; esac
            if [ "$doc" = "$ren" ]; then
                agree=$((agree + 1))
            else
                not_ok "doctor and config-init agree on SMTP_TLS='$tls' SMTP_PORT='$port'" "doctor: $doc; render: $ren"
            fi
        done
    done
    assert_eq "the doctor and config-init agree on every SMTP_TLS x SMTP_PORT pair (verdict and message)" \
        "$pairs" "$agree"
else
    not_ok "build/doctor and jq exist (make builds the doctor first)"
fi

# ---- loopback render: exactly what local/stack.sh does --------------------------
loop=$work/loopback.yml
if out=$(env -i PATH="$PATH" SMTP_SMARTHOST=127.0.0.1:2525 SMTP_FROM=alertmanager@loopback.test SMTP_USER='' \
    SMTP_PASSWORD_FILE="$work/empty" SMTP_REQUIRE_TLS=false ALERT_EMAIL_TO=ops@loopback.test \
    GRAFANA_URL=https://127.0.0.1:19443 ALERTMANAGER_URL=http://127.0.0.1:19093 ALERTMANAGER_TEMPLATES_DIR="$TEMPLATES" \
    sh "$RENDER" template "$AM_TEMPLATE" "$loop" "$REPO/local/alertmanager-loopback.env" "$DEFAULTS" 2>&1); then
    ok "render-config.sh template renders the loopback configuration"
else
    not_ok "render-config.sh template renders the loopback configuration" "$out"
fi
check "amtool check-config accepts the loopback render" amtool check-config "$loop"

# A placeholder without a value anywhere stops the render, naming it.
if out=$(env -i PATH="$PATH" SMTP_SMARTHOST=x:1 SMTP_FROM=a@b SMTP_USER= SMTP_PASSWORD_FILE=/x \
    GRAFANA_URL=https://g ALERTMANAGER_URL=http://a ALERTMANAGER_TEMPLATES_DIR=/t \
    sh "$RENDER" template "$AM_TEMPLATE" "$work/missing.yml" "$DEFAULTS" 2>&1); then
    not_ok "rendering without ALERT_EMAIL_TO fails" "rendered anyway"
else
    assert_contains "rendering without ALERT_EMAIL_TO fails and names it" "$out" 'ALERT_EMAIL_TO'
fi

# ---- defaults.env ------------------------------------------------------------------
bad=$(grep -vE '^[[:space:]]*(#|$)' "$DEFAULTS" | grep -vE '^[A-Z0-9_]+=[^[:space:]"'\'']*$')
assert_eq "alertmanager/defaults.env is KEY=VALUE lines only" "" "$bad"
assert_eq "alertmanager/defaults.env holds no secret" "" "$(grep -iE '^[A-Z_]*(PASSWORD|SECRET|TOKEN|KEY)[A-Z_]*=' "$DEFAULTS")"
while read -r key; do
    if grep -qF "\${$key}" "$AM_TEMPLATE"; then
        ok "defaults.env: $key is used by alertmanager.yml"
    else
        not_ok "defaults.env: $key is used by alertmanager.yml" "stale default"
    fi
done < <(grep -oE '^[A-Z0-9_]+' "$DEFAULTS")

# ---- routes ---------------------------------------------------------------------------
# route_is DESC RECEIVER CONFIG LABEL=VALUE...
route_is() {
    local desc=$1 want=$2 cfg=$3
    shift 3
    check "route: $desc -> $want" amtool config routes test --config.file="$cfg" --verify.receivers="$want" "$@"
}
route_is "InstanceDown on B (critical)" email-critical "$prod" alertname=InstanceDown severity=critical server=B
route_is "HostDiskSpaceLow on C (warning)" email-warning "$prod" alertname=HostDiskSpaceLow severity=warning server=C mountpoint=/
route_is "HostDiskSpaceLow on C (critical)" email-critical "$prod" alertname=HostDiskSpaceLow severity=critical server=C mountpoint=/
route_is "Watchdog (to the watcher by default)" watchdog-watcher "$prod" alertname=Watchdog severity=none
route_is "Watchdog, whatever its severity" watchdog-watcher "$prod" alertname=Watchdog severity=critical
route_is "an alert of unknown severity (fallback)" email-warning "$prod" alertname=Unknown severity=info server=A
route_is "an alert without severity (fallback)" email-warning "$prod" alertname=Unknown server=A
# Supabase-sourced alerts carry server="supabase": their own email group,
# apart from F's (group_by alertname, server).
route_is "QueueJobsStuck (Supabase)" email-warning "$prod" alertname=QueueJobsStuck severity=warning scope=supabase server=supabase queue=pending_transcriptions
route_is "QueueDatabaseUnreachable (Supabase)" email-critical "$prod" alertname=QueueDatabaseUnreachable severity=critical scope=supabase server=supabase
# The assertions above can fail: a wrong expectation is reported as a mismatch.
if out=$(amtool config routes test --config.file="$prod" --verify.receivers=email-warning \
    alertname=InstanceDown severity=critical server=B 2>&1); then
    not_ok "amtool routes test rejects a wrong expectation" "accepted: $out"
else
    assert_contains "amtool routes test rejects a wrong expectation" "$out" "Expected receivers did not match"
fi

# Every rule's labels (severity, scope, a fixed server) reach the receiver its
# severity promises; every rule but the Watchdog says its scope.
while IFS=$'\t' read -r alert sev scope server; do
    [ "$alert" = Watchdog ] || case $scope in
    host | stack | supabase | endpoint) ok "rule $alert ($sev) has a scope label ($scope)" ;;
    *) not_ok "rule $alert ($sev) has a scope label" "scope='$scope'" ;;
    esac
    case $sev in
    critical) want=email-critical ;;
    warning) want=email-warning ;;
    none) want=watchdog-watcher ;;
    *) want="(unknown severity '$sev')" ;;
    esac
    route_is "rule $alert ($sev)" "$want" "$prod" alertname="$alert" severity="$sev" scope="$scope" server="$server"
done < <("$PY3" -c '
import glob, sys, yaml
for f in sorted(glob.glob(sys.argv[1] + "/prometheus/rules/*.yml")):
    for g in yaml.safe_load(open(f))["groups"]:
        for r in g["rules"]:
            if "alert" in r:
                l = dict(r.get("labels", {}))
                if "{{" in l.get("scope", ""):
                    l["scope"] = "host"  # templated per job (TargetDown): any of its values routes alike
                print("%s\t%s\t%s\t%s" % (r["alert"], l.get("severity", ""), l.get("scope", ""), l.get("server", "B")))
' "$REPO" | sort -u)

# With a dead-man's switch configured, the Watchdog goes to the webhook.
hook=$work/hook.yml
if out=$(env -i PATH="$PATH" SMTP_SMARTHOST=smtp.eu.mailgun.org:587 SMTP_FROM=a@b.c SMTP_USER=u \
    SMTP_PASSWORD_FILE=/x ALERT_EMAIL_TO=ops@b.c GRAFANA_URL=https://g.example ALERTMANAGER_URL=http://127.0.0.1:9093 \
    ALERTMANAGER_TEMPLATES_DIR="$TEMPLATES" WATCHDOG_RECEIVER=watchdog-webhook WATCHDOG_URL=https://hc-ping.com/0b6e5c1e SMTP_REQUIRE_TLS=true \
    sh "$RENDER" template "$AM_TEMPLATE" "$hook" "$DEFAULTS" 2>&1); then
    check "amtool check-config accepts the config with the watchdog webhook" amtool check-config "$hook"
    route_is "Watchdog with WATCHDOG_RECEIVER=watchdog-webhook" watchdog-webhook "$hook" alertname=Watchdog severity=none
    assert_contains "the webhook posts to WATCHDOG_URL" "$(cat "$hook")" "url: 'https://hc-ping.com/0b6e5c1e'"
else
    not_ok "render with WATCHDOG_RECEIVER=watchdog-webhook" "$out"
fi

# ---- timing, grouping, inhibition (as docs/alerts.md says) -------------------------
"$PY3" - "$prod" >"$work/struct.tsv" 2>&1 <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
r = c["route"]
def p(desc, want, got):
    print("%s\t%s\t%s" % (desc, want, got))
p("root route groups by alertname and server", "['alertname', 'server']", str(r.get("group_by")))
p("group_wait (production)", "30s", r.get("group_wait"))
p("group_interval (production)", "5m", r.get("group_interval"))
p("warning repeat_interval on the root route", "24h", r.get("repeat_interval"))
routes = {tuple(x.get("matchers", [])): x for x in r.get("routes", [])}
p("Watchdog route first", "['alertname=\"Watchdog\"']", str(r["routes"][0].get("matchers")))
wd = routes.get(('alertname="Watchdog"',), {})
p("Watchdog (the watcher's heartbeat) sent at every 1-minute tick", "1m 1s", "%s %s" % (wd.get("group_interval"), wd.get("repeat_interval")))
hook = [w for rc in c["receivers"] if rc["name"] == "watchdog-watcher" for w in rc.get("webhook_configs", [])]
p("watchdog-watcher posts with the bearer token read from config-init's file", "Bearer /etc/alertmanager/rendered/watcher_token",
  "%s %s" % (hook[0]["http_config"]["authorization"].get("type"), hook[0]["http_config"]["authorization"].get("credentials_file")) if hook else "no receiver")
p("critical repeat_interval", "4h", routes.get(('severity="critical"',), {}).get("repeat_interval"))
p("warning repeat_interval", "24h", routes.get(('severity="warning"',), {}).get("repeat_interval"))
inh = c.get("inhibit_rules", [])
p("InstanceDown mutes the other host-scoped alerts of its server only",
  "True", str(any(i.get("source_matchers") == ['alertname="InstanceDown"']
                  and sorted(i.get("target_matchers", [])) == sorted(['alertname!="InstanceDown"', 'scope="host"'])
                  and i.get("equal") == ["server"] for i in inh)))
p("critical mutes the warning of the same alert, server, filesystem and probed endpoint",
  "True", str(any(i.get("source_matchers") == ['severity="critical"'] and i.get("target_matchers") == ['severity="warning"']
                  and i.get("equal") == ["alertname", "server", "mountpoint", "probe"] for i in inh)))
p("InstanceDown (not F's: only its node_exporter) mutes the probes of that server's endpoints, never a probe without server",
  "True", str(any(sorted(i.get("source_matchers", [])) == sorted(['alertname="InstanceDown"', 'server!="F"'])
                  and sorted(i.get("target_matchers", [])) == sorted(['scope="endpoint"', 'server!=""'])
                  and i.get("equal") == ["server"] for i in inh)))
p("no other inhibit rule", "3", str(len(inh)))
for rc in c["receivers"]:
    for e in rc.get("email_configs", []):
        p("%s sends resolved emails" % rc["name"], "True", str(e.get("send_resolved")))
        p("%s sends HTML and text" % rc["name"], "True", str(bool(e.get("html")) and bool(e.get("text"))))
PY
while IFS=$'\t' read -r desc want got; do
    assert_eq "$desc" "$want" "$got"
done <"$work/struct.tsv"

# ---- email templates ------------------------------------------------------------------
# The html/text/Subject fields of the rendered receivers, exactly as configured.
"$PY3" - "$prod" "$work" <<'PY' || not_ok "extract the email fields of the rendered config"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
for rc in c["receivers"]:
    for e in rc.get("email_configs", []):
        for field, val in (("html", e["html"]), ("text", e["text"]), ("subject", e["headers"]["Subject"])):
            open("%s/%s.%s" % (sys.argv[2], rc["name"], field), "w").write(val)
PY
cat >"$work/firing.json" <<'JSON'
{"receiver": "email-critical", "status": "firing",
 "alerts": [{"status": "firing",
   "labels": {"alertname": "InstanceDown", "server": "B", "severity": "critical", "instance": "203.0.113.11:9100", "job": "node"},
   "annotations": {"summary": "Server B is down", "description": "Prometheus cannot scrape node_exporter on server B <script>x</script>.",
     "value": "unreachable", "dashboard": "infra-overview",
     "runbook_url": "https://github.com/ecotrans/monitoring/blob/main/docs/alerts.md#instancedown"},
   "startsAt": "2026-11-26T20:31:07Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph", "fingerprint": "a1"}],
 "groupLabels": {"alertname": "InstanceDown", "server": "B"},
 "commonLabels": {"alertname": "InstanceDown", "server": "B", "severity": "critical", "instance": "203.0.113.11:9100", "job": "node"},
 "commonAnnotations": {"summary": "Server B is down", "value": "unreachable", "dashboard": "infra-overview"},
 "externalURL": "http://127.0.0.1:9093"}
JSON
cat >"$work/resolved.json" <<'JSON'
{"receiver": "email-warning", "status": "resolved",
 "alerts": [{"status": "resolved",
   "labels": {"alertname": "HostDiskSpaceLow", "server": "C", "severity": "warning", "mountpoint": "/var", "device": "/dev/vda2", "fstype": "ext4", "instance": "c", "job": "node"},
   "annotations": {"summary": "Server C: less than 20 % free on /var", "description": "Filesystem /var (/dev/vda2) on server C has only 19% free.",
     "value": "19% free", "dashboard": "infra-overview",
     "runbook_url": "https://github.com/ecotrans/monitoring/blob/main/docs/alerts.md#hostdiskspacelow"},
   "startsAt": "2026-11-26T08:00:00Z", "endsAt": "2026-11-26T09:15:30Z", "generatorURL": "http://prometheus:9090/graph", "fingerprint": "b2"}],
 "groupLabels": {"alertname": "HostDiskSpaceLow", "server": "C"},
 "commonLabels": {"alertname": "HostDiskSpaceLow", "server": "C", "severity": "warning", "mountpoint": "/var", "device": "/dev/vda2", "fstype": "ext4", "instance": "c", "job": "node"},
 "commonAnnotations": {},
 "externalURL": "http://127.0.0.1:9093"}
JSON
render() { # DATA RECEIVER FIELD [html]
    local type=text
    [ "${4:-}" = html ] && type=html
    amtool template render --template.glob="$TEMPLATES/*.tmpl" --template.data="$work/$1.json" \
        --template.type="$type" --template.text="$(cat "$work/$2.$3")" 2>&1
}
subj=$(render firing email-critical subject)
assert_eq "subject of a firing critical alert" "[FIRING:1] CRITICAL InstanceDown on server B - Server B is down" "$subj"
subj=$(render resolved email-warning subject)
assert_eq "subject of a resolved warning" "[RESOLVED] WARNING HostDiskSpaceLow on server C - Server C: less than 20 % free on /var" "$subj"

text=$(render firing email-critical text)
assert_contains "text: server" "$text" "Server:    B"
assert_contains "text: severity" "$text" "Severity:  critical"
assert_contains "text: since when" "$text" "Since:     2026-11-26 20:31:07 UTC"
assert_contains "text: value" "$text" "Value:     unreachable"
assert_contains "text: the Grafana dashboard of that server" "$text" \
    "Dashboard: https://monitoring.ecotrans.eu/d/infra-overview?var-server=B"
assert_contains "text: the runbook" "$text" "Runbook:   https://github.com/ecotrans/monitoring/blob/main/docs/alerts.md#instancedown"
assert_contains "text: a silence pre-filled with alertname and server" "$text" \
    "Silence:   http://127.0.0.1:9093/#/silences/new?filter=%7Balertname%3D%22InstanceDown%22%2Cserver%3D%22B%22%7D"

html=$(render firing email-critical html html)
assert_contains "html: a document" "$html" "<!DOCTYPE html>"
assert_contains "html: server" "$html" '>Server</td><td style="padding:2px 0;font-weight:bold;">B</td>'
assert_contains "html: severity" "$html" '>Severity</td><td style="padding:2px 0;">critical</td>'
assert_contains "html: since when" "$html" '>Since</td><td style="padding:2px 0;">2026-11-26 20:31:07 UTC</td>'
assert_contains "html: value" "$html" '>Value</td><td style="padding:2px 0;">unreachable</td>'
assert_contains "html: dashboard link" "$html" '<a href="https://monitoring.ecotrans.eu/d/infra-overview?var-server=B"'
assert_contains "html: silence link" "$html" \
    '<a href="http://127.0.0.1:9093/#/silences/new?filter=%7Balertname%3D%22InstanceDown%22%2Cserver%3D%22B%22%7D"'
assert_contains "html: critical header is red" "$html" "background:#b91c1c;"
assert_contains "html: annotation text is escaped" "$html" "&lt;script&gt;x&lt;/script&gt;"
assert_not_contains "html: no markup injected from annotations" "$html" "<script>"

text=$(render resolved email-warning text)
assert_contains "resolved text: marked resolved" "$text" "Resolved: Server C: less than 20 % free on /var"
assert_contains "resolved text: resolved time" "$text" "Resolved:  2026-11-26 09:15:30 UTC"
assert_contains "resolved text: names the filesystem" "$text" "Affects:   filesystem /var"
assert_not_contains "resolved text: no silence link for a resolved alert" "$text" "Silence:"
html=$(render resolved email-warning html html)
assert_contains "resolved html: green header" "$html" "background:#15803d;"

finish
