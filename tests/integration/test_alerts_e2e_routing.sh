#!/usr/bin/env bash
# Alertmanager delivery with the production-shaped configuration, on a
# private Alertmanager this test starts (next to the loopback stack, on
# PORT_BASE+560..562: free offsets of local/lib.sh's layout, below the
# kernel's ephemeral range for the test port bases; it needs nothing from
# the stack):
#   - SMTP as towards Mailgun: STARTTLS required, AUTH with the password
#     read from smtp_auth_password_file, into a sink that refuses AUTH
#     without TLS and mail without AUTH;
#   - routing: critical and warning emails, the Watchdog to its webhook and
#     never by email;
#   - inhibition: InstanceDown mutes the other host-scoped alerts of its
#     server (and they come back once it resolves), not the stack's own nor
#     Supabase's (server="supabase") when F's node_exporter is down;
#     the external probes of that server's endpoints, never a probe without
#     a server nor F's endpoints;
#     critical mutes the warning of the same alert, server and filesystem,
#     not another filesystem's;
#   - the email: subject, headers, multipart HTML + text with server,
#     severity, since, value, dashboard link and a silence link whose filter
#     really selects the alert;
#   - resolved emails.
# Alerts are posted to Alertmanager's API the way Prometheus does; the rules
# that produce them are proven by tests/static/test_rules_alerts.sh and, end to end,
# by test_alerts_e2e.sh.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

base=${PORT_BASE:-29000}
AM_PORT=$((base + 560))
SMTP_PORT_PRIV=$((base + 561))
HOOK_PORT=$((base + 562))
AM=http://127.0.0.1:$AM_PORT

for bin in prometheus-alertmanager amtool openssl jq curl; do
    command -v "$bin" >/dev/null || { not_ok "$bin is installed"; finish; }
done

work=$(mktemp -d /tmp/alerts-routing.XXXXXX)
PIDS=$work/pids
cleanup() {
    stop_daemon "$PIDS" alertmanager
    stop_daemon "$PIDS" smtp
    stop_daemon "$PIDS" hook
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/mail" "$work/hook" "$PIDS"

# ---- a Mailgun stand-in: STARTTLS with a certificate for 127.0.0.1, AUTH ---------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/smtp.key" -out "$work/smtp.crt" >/dev/null 2>&1 ||
    { not_ok "create a test certificate for the SMTP sink"; finish; }
# No trailing newline: Alertmanager 0.25 sends the file's bytes verbatim as
# the password (render-config.sh writes it the same way, with printf '%s').
umask 077
openssl rand -hex 16 | tr -d '\n' >"$work/smtp_password"
umask 022
start_daemon "$PIDS" smtp "$work/smtp.log" "$PY3" "$REPO/local/smtp-sink.py" \
    --listen "127.0.0.1:$SMTP_PORT_PRIV" --maildir "$work/mail" \
    --auth-user postmaster@mg.test --auth-password-file "$work/smtp_password" \
    --tls-cert "$work/smtp.crt" --tls-key "$work/smtp.key"

# ---- the dead-man's switch stand-in: keeps every POST body -------------------------
start_daemon "$PIDS" hook "$work/hook.log" "$PY3" -c '
import http.server, sys, time
d = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open("%s/%d.json" % (d, time.time_ns()), "wb") as f:
            f.write(self.path.encode() + b"\n" + body)
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$HOOK_PORT" "$work/hook"

# ---- the configuration, rendered as in production but for these addresses ---------
if ! out=$(env -i PATH="$PATH" SMTP_SMARTHOST="127.0.0.1:$SMTP_PORT_PRIV" SMTP_FROM=alertmanager@mg.test \
    SMTP_USER=postmaster@mg.test SMTP_PASSWORD_FILE="$work/smtp_password" SMTP_REQUIRE_TLS=true \
    ALERT_EMAIL_TO=ops@ecotrans.test GRAFANA_URL=https://grafana.test ALERTMANAGER_URL="$AM" \
    ALERTMANAGER_TEMPLATES_DIR="$REPO/alertmanager/templates" \
    GROUP_WAIT=1s GROUP_INTERVAL=2s REPEAT_INTERVAL_CRITICAL=1h REPEAT_INTERVAL_WARNING=1h \
    WATCHDOG_RECEIVER=watchdog-webhook WATCHDOG_URL="http://127.0.0.1:$HOOK_PORT/ping/0b6e5c1e" \
    sh "$REPO/scripts/render-config.sh" template "$REPO/alertmanager/alertmanager.yml" "$work/am.yml" \
    "$REPO/alertmanager/defaults.env" 2>&1); then
    not_ok "render alertmanager.yml for the private Alertmanager" "$out"
    finish
fi
# Go's TLS client trusts SSL_CERT_FILE: the sink's certificate, nothing else.
SSL_CERT_FILE=$work/smtp.crt start_daemon "$PIDS" alertmanager "$work/am.log" prometheus-alertmanager \
    --config.file="$work/am.yml" --storage.path="$work/am-data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --web.external-url="$AM" --cluster.listen-address=
if wait_port "$SMTP_PORT_PRIV" 15 && wait_port "$HOOK_PORT" 15 && wait_http "$AM/-/ready" 20; then
    ok "private Alertmanager, SMTP sink (STARTTLS + AUTH) and webhook sink are up"
else
    not_ok "private Alertmanager, SMTP sink (STARTTLS + AUTH) and webhook sink are up" \
        "$(tail -n 5 "$work/am.log" "$work/smtp.log" "$work/hook.log" 2>&1)"
    finish
fi

# ---- helpers ---------------------------------------------------------------------------
now_iso() { date -u -d "${1:-now}" +%Y-%m-%dT%H:%M:%SZ; }
STARTS=$(now_iso "-3 minutes")
# post_alert LABELS_JSON [ENDS_AT]: as Prometheus does (annotations follow the rules' shape).
post_alert() {
    local labels=$1 ends=${2:-}
    jq -cn --argjson l "$labels" --arg s "$STARTS" --arg e "$ends" '[{
        labels: $l,
        annotations: {
          summary: ("Server " + $l.server + ": " + $l.alertname),
          description: ("Test alert " + $l.alertname + " on server " + $l.server + "."),
          value: "42% free", dashboard: "infra-overview",
          runbook_url: ("https://github.com/ecotrans/monitoring/blob/main/docs/alerts.md#" + ($l.alertname | ascii_downcase))
        },
        startsAt: $s, generatorURL: "http://prometheus.test/graph"} + (if $e == "" then {} else {endsAt: $e} end)]' |
        curl -fsS --max-time 5 -H 'Content-Type: application/json' --data-binary @- "$AM/api/v2/alerts" >/dev/null
}
# One JSON object per received email: file, subject (decoded), headers, parts.
mails() {
    "$PY3" - "$work/mail" <<'PY'
import email, email.header, email.policy, glob, json, os, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    parts = {p.get_content_type(): p.get_content() for p in m.walk() if not p.is_multipart()}
    print(json.dumps({"file": os.path.basename(f), "subject": str(m["subject"]), "from": str(m["from"]),
                      "to": str(m["to"]), "importance": str(m.get("importance", "")),
                      "envelope_from": str(m.get("X-Sink-Mail-From", "")), "content_type": m.get_content_type(),
                      "text": parts.get("text/plain", ""), "html": parts.get("text/html", "")}))
PY
}
mail_count_with() { mails | jq -s --arg s "$1" '[.[] | select(.subject | contains($s))] | length'; }
has_mail() { [ "$(mail_count_with "$1")" -gt 0 ]; }
first_mail() { mails | jq -s -c --arg s "$1" '[.[] | select(.subject | contains($s))][0] // empty'; }
alert_state() { # alertname server [mountpoint] -> "active|suppressed inhibitedBy-count silencedBy-count"
    curl -fsS --max-time 5 "$AM/api/v2/alerts" | jq -r --arg a "$1" --arg s "$2" --arg m "${3:-}" '
        [.[] | select(.labels.alertname == $a and .labels.server == $s and (($m == "") or (.labels.mountpoint == $m)))
             | "\(.status.state) \(.status.inhibitedBy | length) \(.status.silencedBy | length)"] | join(",")'
}
probe_state() { # alertname probe -> the same, for the probe alerts (some have no server label)
    curl -fsS --max-time 5 "$AM/api/v2/alerts" | jq -r --arg a "$1" --arg p "$2" '
        [.[] | select(.labels.alertname == $a and .labels.probe == $p)
             | "\(.status.state) \(.status.inhibitedBy | length) \(.status.silencedBy | length)"] | sort | join(",")'
}

# ---- the alerts -------------------------------------------------------------------------
post_alert '{"alertname":"InstanceDown","severity":"critical","scope":"host","server":"B","job":"node","instance":"203.0.113.11:9100"}' &&
    post_alert '{"alertname":"HostDiskSpaceLow","severity":"warning","scope":"host","server":"B","mountpoint":"/","device":"/dev/sda1","job":"node"}' &&
    post_alert '{"alertname":"HostDiskSpaceLow","severity":"warning","scope":"host","server":"C","mountpoint":"/","device":"/dev/vda1","job":"node"}' &&
    post_alert '{"alertname":"HostMemoryHigh","severity":"critical","scope":"host","server":"D","job":"node"}' &&
    post_alert '{"alertname":"HostMemoryHigh","severity":"warning","scope":"host","server":"D","job":"node"}' &&
    post_alert '{"alertname":"HostDiskSpaceLow","severity":"critical","scope":"host","server":"E","mountpoint":"/var","device":"/dev/sdb1","job":"node"}' &&
    post_alert '{"alertname":"HostDiskSpaceLow","severity":"warning","scope":"host","server":"E","mountpoint":"/var","device":"/dev/sdb1","job":"node"}' &&
    post_alert '{"alertname":"HostDiskSpaceLow","severity":"warning","scope":"host","server":"E","mountpoint":"/data","device":"/dev/sdc1","job":"node"}' &&
    post_alert '{"alertname":"Watchdog","severity":"none"}' &&
    # F's node_exporter down: F's host alerts are muted, the stack's own and
    # Supabase's (server="supabase", exported from F) are not.
    post_alert '{"alertname":"InstanceDown","severity":"critical","scope":"host","server":"F","job":"node","instance":"172.31.240.1:9100"}' &&
    post_alert '{"alertname":"HostClockSkew","severity":"warning","scope":"host","server":"F","job":"node","instance":"172.31.240.1:9100"}' &&
    post_alert '{"alertname":"TargetDown","severity":"warning","scope":"stack","server":"F","job":"grafana","instance":"grafana:3000"}' &&
    post_alert '{"alertname":"QueueJobsStuck","severity":"warning","scope":"supabase","server":"supabase","queue":"pending_transcriptions","job":"queue-exporter","instance":"queue-exporter:9200"}' &&
    post_alert '{"alertname":"QueueDatabaseUnreachable","severity":"critical","scope":"supabase","server":"supabase","job":"queue-exporter","instance":"queue-exporter:9200"}' &&
    # External probes: an endpoint of B (down with B), one without a server,
    # F's own (F's InstanceDown is only its node_exporter), one of A (up).
    post_alert '{"alertname":"EndpointDown","severity":"critical","scope":"endpoint","server":"B","probe":"n8n-webhooks","job":"blackbox","module":"http_3","instance":"https://n8n.example.com/healthz"}' &&
    post_alert '{"alertname":"EndpointDown","severity":"critical","scope":"endpoint","probe":"partner-api","job":"blackbox","module":"http_4","instance":"https://api.example.net/"}' &&
    post_alert '{"alertname":"EndpointDown","severity":"critical","scope":"endpoint","server":"F","probe":"monitoring","job":"blackbox","module":"http_1","instance":"https://monitoring.ecotrans.eu/login"}' &&
    post_alert '{"alertname":"EndpointSlow","severity":"warning","scope":"endpoint","server":"A","probe":"shop","job":"blackbox","module":"http_5","instance":"https://shop.example.com/"}' &&
    # Two certificates of A: the critical one mutes its own warning only.
    post_alert '{"alertname":"CertificateExpiringSoon","severity":"critical","scope":"endpoint","server":"A","probe":"shop","job":"blackbox","module":"tls","instance":"shop.example.com:443"}' &&
    post_alert '{"alertname":"CertificateExpiringSoon","severity":"warning","scope":"endpoint","server":"A","probe":"shop","job":"blackbox","module":"tls","instance":"shop.example.com:443"}' &&
    post_alert '{"alertname":"CertificateExpiringSoon","severity":"warning","scope":"endpoint","server":"A","probe":"shop-api","job":"blackbox","module":"tls","instance":"api.shop.example.com:443"}'
assert_eq "alerts posted to Alertmanager's API" 0 $?

# Deliveries: group_wait 1s, so everything expected arrives within seconds.
check "InstanceDown on B is emailed" eventually 30 has_mail "InstanceDown on server B"
check "HostDiskSpaceLow on C (another server) is emailed" eventually 30 has_mail "WARNING HostDiskSpaceLow on server C"
check "HostMemoryHigh critical on D is emailed" eventually 30 has_mail "CRITICAL HostMemoryHigh on server D"
check "HostDiskSpaceLow critical on E:/var is emailed" eventually 30 has_mail "CRITICAL HostDiskSpaceLow on server E"
check "HostDiskSpaceLow warning on E (/data only) is emailed" eventually 30 has_mail "WARNING HostDiskSpaceLow on server E"
check "the Watchdog reaches the dead-man's switch webhook" \
    eventually 30 bash -c "grep -qs '\"alertname\":\"Watchdog\"' '$work/hook/'*.json"

# Inhibition, as Alertmanager reports it, and as the mailbox shows it.
assert_eq "InstanceDown on B mutes B's disk alert" "suppressed 1 0" "$(alert_state HostDiskSpaceLow B)"
assert_eq "C's disk alert is not muted by B's InstanceDown" "active 0 0" "$(alert_state HostDiskSpaceLow C)"
assert_eq "critical HostMemoryHigh on D mutes its warning" "active 0 0,suppressed 1 0" \
    "$(curl -fsS "$AM/api/v2/alerts?filter=alertname%3D%22HostMemoryHigh%22" | jq -r '[.[] | "\(.status.state) \(.status.inhibitedBy | length) \(.status.silencedBy | length)"] | sort | join(",")')"
assert_eq "E:/var critical mutes the E:/var warning" "active 0 0,suppressed 1 0" \
    "$(curl -fsS "$AM/api/v2/alerts?filter=alertname%3D%22HostDiskSpaceLow%22&filter=server%3D%22E%22&filter=mountpoint%3D%22%2Fvar%22" |
        jq -r '[.[] | "\(.status.state) \(.status.inhibitedBy | length) \(.status.silencedBy | length)"] | sort | join(",")')"
assert_eq "E:/data's warning is not muted by E:/var's critical" "active 0 0" "$(alert_state HostDiskSpaceLow E /data)"
assert_eq "InstanceDown on F mutes F's host alert (clock)" "suppressed 1 0" "$(alert_state HostClockSkew F)"
assert_eq "InstanceDown on F does not mute the stack's own alert on F" "active 0 0" "$(alert_state TargetDown F)"
assert_eq "InstanceDown on F does not mute a Supabase queue alert" "active 0 0" "$(alert_state QueueJobsStuck supabase)"
assert_eq "InstanceDown on F does not mute Supabase's database alert" "active 0 0" "$(alert_state QueueDatabaseUnreachable supabase)"
check "the Supabase queue alert is emailed on its own, under server supabase" eventually 30 has_mail "WARNING QueueJobsStuck on server supabase"
assert_eq "InstanceDown on B mutes the probe of B's endpoint" "suppressed 1 0" "$(probe_state EndpointDown n8n-webhooks)"
assert_eq "a probe without a server label is never muted" "active 0 0" "$(probe_state EndpointDown partner-api)"
assert_eq "InstanceDown on F (its node_exporter) does not mute F's endpoint" "active 0 0" "$(probe_state EndpointDown monitoring)"
assert_eq "the probe of A (up) is not muted by B's InstanceDown" "active 0 0" "$(probe_state EndpointSlow shop)"
assert_eq "a critical certificate alert mutes its own endpoint's warning" "active 0 0,suppressed 1 0" \
    "$(probe_state CertificateExpiringSoon shop)"
assert_eq "another endpoint's certificate warning on the same server is not muted" "active 0 0" \
    "$(probe_state CertificateExpiringSoon shop-api)"
check "the endpoint without a server is emailed (no server in the subject)" \
    eventually 30 has_mail "[FIRING:1] CRITICAL EndpointDown - "
check "F's endpoint is emailed while F's node_exporter is down" eventually 30 has_mail "CRITICAL EndpointDown on server F"
sleep 5 # two more group intervals: anything muted would have been sent by now
assert_eq "no email for B's muted disk alert" 0 "$(mail_count_with "HostDiskSpaceLow on server B")"
assert_eq "no email for B's muted endpoint" 0 "$(mail_count_with "EndpointDown on server B")"
assert_eq "no warning email for D's memory (muted by the critical)" 0 "$(mail_count_with "WARNING HostMemoryHigh on server D")"
e_warn=$(first_mail "WARNING HostDiskSpaceLow on server E")
assert_contains "E's warning email names /data" "$(jq -r .text <<<"$e_warn")" "filesystem /data"
assert_not_contains "E's warning email does not list the muted /var warning" "$(jq -r .text <<<"$e_warn")" "filesystem /var"
assert_eq "the Watchdog is never emailed" 0 "$(mail_count_with Watchdog)"
hook_body=$(cat "$work/hook/"*.json 2>/dev/null | head -c 20000)
assert_contains "the webhook is called on the configured ping URL" "$hook_body" "/ping/0b6e5c1e"

# ---- the InstanceDown email itself ------------------------------------------------------
m=$(first_mail "InstanceDown on server B")
assert_eq "subject" "[FIRING:1] CRITICAL InstanceDown on server B - Server B: InstanceDown" "$(jq -r .subject <<<"$m")"
assert_eq "critical emails are flagged high importance" "high" "$(jq -r .importance <<<"$m")"
assert_eq "HTML and text alternatives" "multipart/alternative" "$(jq -r .content_type <<<"$m")"
assert_eq "sent from SMTP_FROM" "alertmanager@mg.test" "$(jq -r .envelope_from <<<"$m")"
assert_eq "sent to ALERT_EMAIL_TO" "ops@ecotrans.test" "$(jq -r .to <<<"$m")"
text=$(jq -r .text <<<"$m")
html=$(jq -r .html <<<"$m")
since=$(date -u -d "$STARTS" '+%Y-%m-%d %H:%M:%S UTC')
assert_contains "text: server" "$text" "Server:    B"
assert_contains "text: severity" "$text" "Severity:  critical"
assert_contains "text: since when" "$text" "Since:     $since"
assert_contains "text: value" "$text" "Value:     42% free"
assert_contains "text: dashboard link" "$text" "Dashboard: https://grafana.test/d/infra-overview?var-server=B"
assert_contains "html: server" "$html" '>Server</td><td style="padding:2px 0;font-weight:bold;">B</td>'
assert_contains "html: since when" "$html" "$since"
assert_contains "html: dashboard link" "$html" 'href="https://grafana.test/d/infra-overview?var-server=B"'
assert_contains "html: silence link to this Alertmanager" "$html" "href=\"$AM/#/silences/new?filter="

# The silence link's filter selects exactly the alert it was sent for:
# silence what it says, and Alertmanager reports C's disk alert silenced.
c_mail=$(first_mail "HostDiskSpaceLow on server C")
filter=$(jq -r .text <<<"$c_mail" | sed -n 's/^  Silence:   .*filter=//p' | head -1 |
    "$PY3" -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.stdin.read().strip()))')
assert_eq "silence filter of C's email" '{alertname="HostDiskSpaceLow",server="C",mountpoint="/"}' "$filter"
# shellcheck disable=SC2046 # one matcher per word
if amtool --alertmanager.url="$AM" silence add --comment="test: silence link" --duration=10m \
    $(tr -d '{}' <<<"$filter" | tr ',' ' ') >/dev/null 2>&1; then
    check "the silence from the link silences C's disk alert" \
        eventually 10 bash -c "[ \"\$(curl -fsS '$AM/api/v2/alerts?silenced=true&filter=server%3D%22C%22' | jq length)\" = 1 ]"
else
    not_ok "amtool silence add with the link's matchers" "$filter"
fi

# ---- resolution ---------------------------------------------------------------------------
post_alert '{"alertname":"InstanceDown","severity":"critical","scope":"host","server":"B","job":"node","instance":"203.0.113.11:9100"}' "$(now_iso)"
assert_eq "InstanceDown on B resolved through the API" 0 $?
check "a resolved email follows" eventually 30 has_mail "[RESOLVED] CRITICAL InstanceDown on server B"
r=$(first_mail "[RESOLVED] CRITICAL InstanceDown on server B")
assert_contains "the resolved email says so" "$(jq -r .text <<<"$r")" "Resolved: Server B: InstanceDown"
# With B back, its muted disk alert (still firing) is now delivered.
check "B's disk alert, muted while B was down, arrives once B is up" \
    eventually 30 has_mail "WARNING HostDiskSpaceLow on server B"

finish
