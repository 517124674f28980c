#!/usr/bin/env bash
# The loopback stack as a user meets it: every Prometheus target healthy
# through the HTTP API, every series labelled with its server, everything on
# 127.0.0.1 only, Caddy's HTTPS with the security headers and the route to
# Grafana's upstream, the Supabase stand-in with its read-only role, the mail
# sink, and a second start refused with a clear message.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
[ -n "${PROM_URL:-}" ] || { not_ok "the loopback stack is running (STACK_ENV)" "STACK_ENV not set"; finish; }

# --- Prometheus sees every target healthy.
all_up() {
    prom_query 'up' | jq -e '.data.result | length > 0 and all(.value[1] == "1")' >/dev/null
}
if eventually 30 all_up; then ok "Prometheus reports every target up"; else
    not_ok "Prometheus reports every target up" "$(curl -s "$PROM_URL/api/v1/targets" | jq -r '.data.activeTargets[] | "\(.labels.job) \(.labels.server) \(.health) \(.lastError)"')"
fi
targets=$(curl -fsS "$PROM_URL/api/v1/targets?state=active" | jq -r '.data.activeTargets[] | "\(.labels.job)/\(.labels.server)/\(.health)"' | sort | tr '\n' ' ')
expect="alertmanager/F/up caddy/F/up node/B/up node/F/up prometheus/F/up"
[ -x "$REPO/build/queue-exporter" ] && expect="$expect queue-exporter/F/up"
[ -x "$REPO/build/daily-report" ] && expect="$expect daily-report/F/up"
[ -f "$REPO/local/cadvisor-fixture.py" ] && expect="$expect cadvisor/B/up"
[ -x "$REPO/build/watcher" ] && expect="$expect watcher/B/up"
# Two probes of local/probes.txt, each an HTTP and a certificate probe.
expect="$expect blackbox/F/up blackbox/F/up blackbox/F/up blackbox/F/up"
expect=$(echo "$expect" | tr ' ' '\n' | sort | tr '\n' ' ')
assert_eq "the expected targets (job/server) are scraped and healthy" "$expect" "$targets"
if [ -x "$REPO/build/watcher" ]; then
    # The stack's Watchdog reaches its watcher (WATCHDOG_RECEIVER=watchdog-watcher, bearer token).
    check "the loopback watcher receives the Watchdog from the stack's Alertmanager" eventually 60 bash -c \
        "curl -fsS '$WATCHER_URL/metrics' | awk '\$1 == \"watcher_heartbeats_total\" && \$2 > 0 { f = 1 } END { exit !f }'"
fi
# Recording rules (names with a colon) may aggregate the label away on purpose.
unlabelled=$(prom_query 'count by (job) ({job=~".+", server="", __name__!~".*:.*"})' | jq -r '.data.result[].metric.job')
assert_eq "every scraped series carries a server label" "" "$unlabelled"
# The clock alerts' input: the timex collector works on every loopback node_exporter.
for m in node_timex_offset_seconds node_timex_sync_status node_timex_maxerror_seconds; do
    assert_eq "$m scraped from every node_exporter (F and B)" "B F" \
        "$(prom_query "count by (server) ($m{job=\"node\"})" | jq -r '[.data.result[].metric.server] | sort | join(" ")')"
done
ext=$(curl -fsS "$PROM_URL/api/v1/status/config" | jq -r .data.yaml)
assert_contains "external labels are expanded from the environment (cluster)" "$ext" "cluster: loopback"
assert_contains "Prometheus evaluates the loopback intervals" "$ext" "evaluation_interval: 2s"
flags=$(curl -fsS "$PROM_URL/api/v1/status/flags")
assert_eq "Prometheus runs with 2h min/max block durations (Thanos upload)" "2h 2h 15d" \
    "$(echo "$flags" | jq -r '.data["storage.tsdb.min-block-duration"] + " " + .data["storage.tsdb.max-block-duration"] + " " + .data["storage.tsdb.retention.time"]')"
am_ok=$(curl -fsS "$PROM_URL/api/v1/alertmanagers" | jq -r '.data.activeAlertmanagers[].url')
assert_contains "Prometheus sends alerts to the stack's Alertmanager" "$am_ok" "127.0.0.1:$(port_of alertmanager)"

# --- Nothing listens beyond 127.0.0.1.
wide=$(ss -ltnuH | awk '{print $5}' | grep -E ":$((PORT_BASE / 1000))[0-9]{3}$" | grep -v '^127\.0\.0\.1:' || true)
assert_eq "every stack port binds 127.0.0.1 only" "" "$wide"

# --- Caddy: HTTPS with the internal CA, headers, route to Grafana's upstream.
hdrs=$(curl -sS -o /dev/null -D - --max-time 5 --cacert "$CADDY_CA_CERT" "$CADDY_HTTPS_URL/login" 2>&1)
assert_contains "Caddy serves HTTPS with a certificate from its internal CA" "$hdrs" "HTTP/2 502"
for h in "strict-transport-security: max-age=31536000" "x-content-type-options: nosniff" \
    "x-frame-options: SAMEORIGIN" "referrer-policy: strict-origin-when-cross-origin" "content-security-policy:"; do
    assert_contains "Caddy sets ${h%%:*} (even on the 502 while Grafana is absent)" "$hdrs" "$h"
done
assert_not_contains "Caddy does not advertise itself (Server header removed)" "$hdrs" "server: Caddy"
# Put something on Grafana's port: the route must reach it.
gdir=$(mktemp -d)
T_BODY=$gdir.body
echo "grafana stand-in" >"$gdir/login"
# The stand-in answers /metrics with 200, as Grafana does.
echo "grafana_build_info 1" >"$gdir/metrics"
"$PY3" -m http.server --bind 127.0.0.1 --directory "$gdir" "$(port_of grafana)" >/dev/null 2>&1 &
gpid=$!
wait_port "$(port_of grafana)" 10
body=$(curl -sS --max-time 5 --cacert "$CADDY_CA_CERT" "$CADDY_HTTPS_URL/login")
direct=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(port_of grafana)/metrics")
assert_eq "the Grafana stand-in itself serves /metrics (200)" "200" "$direct"
# Grafana's /metrics must not be public: Caddy answers it itself, not 200.
for path in /metrics /metrics/ /METRICS /Metrics //metrics '/metrics?x=1' /./metrics /%6detrics /login/../metrics; do
    code=$(curl -sS --path-as-is -o "$T_BODY" -w '%{http_code}' --max-time 5 --cacert "$CADDY_CA_CERT" "$CADDY_HTTPS_URL$path")
    if [ "$code" != 200 ] && ! grep -q grafana_build_info "$T_BODY"; then
        ok "Grafana's $path is not served through Caddy ($code)"
    else
        not_ok "Grafana's $path is not served through Caddy" "HTTP $code: $(head -c 200 "$T_BODY")"
    fi
done
kill "$gpid" 2>/dev/null
wait "$gpid" 2>/dev/null
rm -rf "$gdir" "$T_BODY"
assert_eq "Caddy proxies the site to Grafana's upstream" "grafana stand-in" "$body"
redirect=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(port_of caddy-http)/")
assert_eq "plain HTTP is redirected to HTTPS" "308" "$redirect"

# --- The Supabase stand-in.
counts=$(PGCONNECT_TIMEOUT=5 psql "$GRAFANA_DB_DSN" -XAtc "select (select count(*) from pending_transcriptions where status='processing' and updated_at < now() - interval '35 minutes'), (select count(*) > 0 from incidents where created_at > now() - interval '1 day'), (select count(*) filter (where updated_at < now() - interval '10 minutes') from fleet_positions where vehicle_id > 'TRK-034'), (select count(distinct status) from pending_pdf_processing)" 2>&1)
assert_eq "grafana_readonly reads demo data: stuck jobs, today's incidents, silent vehicles, every status" "2|t|6|4" "$counts"
denied=$(psql "$GRAFANA_DB_DSN" -XAtc "delete from incidents" 2>&1)
assert_contains "grafana_readonly's sessions are read-only" "$denied" "read-only transaction"
denied=$(psql "$GRAFANA_DB_DSN" -XAt -c "begin read write" -c "delete from incidents" 2>&1)
assert_contains "grafana_readonly cannot write even in a read-write transaction" "$denied" "permission denied for table incidents"

fresh() { [ "$(psql "$GRAFANA_DB_DSN" -XAtc "select count(*) from fleet_positions where updated_at > now() - interval '40 seconds'")" = 34 ]; }
if eventually 40 fresh; then ok "the demo feed keeps the 34 active vehicles reporting"; else
    not_ok "the demo feed keeps the 34 active vehicles reporting" "$(tail -5 "$STACK_DIR/logs/demo-feed.log" 2>&1)"
fi

# --- The mail sink keeps what it accepts.
before=$(find "$SMTP_MAILDIR" -name '*.eml' | wc -l)
check "the SMTP sink accepts a message" curl -sS --max-time 10 --url "smtp://127.0.0.1:$SMTP_PORT" \
    --mail-from t@loopback.test --mail-rcpt ops@loopback.test -T <(printf 'Subject: stack test\r\n\r\nhello\r\n')
after=$(find "$SMTP_MAILDIR" -name '*.eml' | wc -l)
assert_eq "the SMTP sink keeps one file per message" "$((before + 1))" "$after"

# --- The status table a newcomer reads.
status=$("$REPO/local/stack.sh" status 2>&1)
assert_eq "status prints no error" "" "$(grep -iE 'error|unknown|usage' <<<"$status")"
for svc in postgres demo-feed smtp node-f node-b alertmanager prometheus caddy; do
    assert_contains "status shows $svc running" "$(grep -E "^$svc " <<<"$status")" "running"
done
assert_contains "status says Grafana is absent and why" "$status" "grafana            absent   -        not in Debian's archive"

# --- A second start says so instead of failing obscurely.
out=$("$REPO/local/stack.sh" start 2>&1)
rc=$?
assert_eq "a second start while the stack runs exits 1" 1 "$rc"
assert_contains "a second start says the stack is already running" "$out" "is already running"
check "the stack is still healthy after the refused start" all_up
finish
