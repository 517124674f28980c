#!/usr/bin/env bash
# External probes on the loopback stack: Debian's blackbox_exporter with the
# modules scripts/render-probes.sh rendered from local/probes.txt, scraped by
# the real Prometheus through the production "blackbox" job. Caddy's HTTPS
# is probed over a real TLS connection verified against Caddy's internal CA
# (it answers 502: Grafana is absent here, and the list expects exactly
# that); the second probe expects 200 from the same route and fails on
# purpose, so EndpointDown must fire for it alone and reach Alertmanager.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"

if [ -z "${PROM_URL:-}" ] || [ -z "${BLACKBOX_URL:-}" ] || [ -z "${CADDY_HTTPS_URL:-}" ]; then
    not_ok "the loopback stack's addresses are loaded" "STACK_ENV=${STACK_ENV:-unset}: PROM_URL, BLACKBOX_URL or CADDY_HTTPS_URL missing"
    finish
fi
# value EXPR: the first sample's value of an instant query, empty when none.
value() { prom_query "$1" | jq -r '.data.result[0].value[1] // empty'; }
is() { [ "$(value "$1")" = "$2" ]; }

check "blackbox_exporter answers on loopback" curl -fsS -o /dev/null --max-time 5 "$BLACKBOX_URL/metrics"
targets=$(curl -fsS --max-time 5 "$PROM_URL/api/v1/targets?state=active" |
    jq -r '[.data.activeTargets[] | select(.labels.job == "blackbox") | "\(.labels.probe)/\(.labels.module)@\(.scrapeUrl | test("/probe\\?"))"] | sort | join(" ")')
assert_eq "Prometheus' blackbox job probes both endpoints through blackbox_exporter (HTTP and certificate probes)" \
    "caddy-broken/http_2@true caddy-broken/tls@true caddy/http_1@true caddy/tls@true" "$targets"

# The verified HTTPS probe of Caddy succeeds: TLS against the internal CA,
# the expected 502 and body.
if eventually 30 is 'probe_success{job="blackbox", probe="caddy", module="http_1"}' 1; then
    ok "Caddy's HTTPS probe succeeds, verified against Caddy's internal CA"
else
    not_ok "Caddy's HTTPS probe succeeds, verified against Caddy's internal CA" \
        "$(curl -s --max-time 15 "$BLACKBOX_URL/probe?module=http_1&target=$CADDY_HTTPS_URL/&debug=true" | tail -30)"
fi
assert_eq "the probe saw Caddy's real answer (502: Grafana is absent)" 502 \
    "$(value 'probe_http_status_code{job="blackbox", probe="caddy", module="http_1"}')"
assert_eq "the probe went over TLS" 1 "$(value 'probe_http_ssl{job="blackbox", probe="caddy", module="http_1"}')"
days=$(value '(probe_ssl_earliest_cert_expiry{job="blackbox", probe="caddy", module="tls"} - time()) / 86400')
check "the certificate probe reads Caddy's certificate expiry ($days days; internal leaf certificates live hours)" \
    awk -v d="$days" 'BEGIN { exit !(d != "" && d > 0 && d < 8) }'
# Without the CA, the same request must fail verification: the probe's
# success above is the CA's doing, not a skipped check.
nocert=$(curl -s --max-time 15 -o /dev/null -w '%{http_code}' "$CADDY_HTTPS_URL/" 2>/dev/null)
assert_eq "Caddy's certificate does not verify without its internal CA (curl gets no HTTP answer)" 000 "$nocert"

# The probe that fails on purpose.
assert_eq "the failing probe fails (it expects 200, Caddy answers 502)" 0 \
    "$(value 'probe_success{job="blackbox", probe="caddy-broken", module="http_2"}')"
firing() { is 'count(ALERTS{alertname="EndpointDown", alertstate="firing", probe="caddy-broken"})' 1; }
if eventually 60 firing; then ok "EndpointDown fires for the failing probe"; else
    not_ok "EndpointDown fires for the failing probe" "$(prom_query 'ALERTS{alertname="EndpointDown"}' | jq -c .data.result)"
fi
assert_eq "EndpointDown does not fire for the healthy probe" "" \
    "$(value 'ALERTS{alertname="EndpointDown", probe="caddy"}')"
assert_eq "the alert names the endpoint, its URL and server" "critical https://127.0.0.1:${CADDY_HTTPS_URL##*:}/ F" \
    "$(prom_query 'ALERTS{alertname="EndpointDown", alertstate="firing", probe="caddy-broken"}' |
        jq -r '.data.result[0].metric | "\(.severity) \(.instance) \(.server)"')"
in_am() {
    curl -fsS --max-time 5 "$AM_URL/api/v2/alerts?filter=alertname=%22EndpointDown%22" |
        jq -e '[.[] | select(.labels.probe == "caddy-broken")] | length == 1' >/dev/null
}
if eventually 30 in_am; then ok "Alertmanager received EndpointDown for caddy-broken"; else
    not_ok "Alertmanager received EndpointDown for caddy-broken" "$(curl -s "$AM_URL/api/v2/alerts" | jq -c '[.[].labels]')"
fi
certsoon() { is 'count(ALERTS{alertname="CertificateExpiringSoon", alertstate="firing", probe="caddy", severity="critical"})' 1; }
if eventually 60 certsoon; then ok "CertificateExpiringSoon (critical) fires for Caddy's 12-hour internal certificate"; else
    not_ok "CertificateExpiringSoon (critical) fires for Caddy's 12-hour internal certificate" \
        "$(prom_query 'ALERTS{alertname="CertificateExpiringSoon"}' | jq -c .data.result)"
fi
assert_eq "CertificateInvalid stays silent: the certificates verify" "" \
    "$(value 'ALERTS{alertname="CertificateInvalid"}')"
check "shellcheck: probe test and renderer" shellcheck -x "$REPO/tests/integration/test_probes.sh" "$REPO/scripts/render-probes.sh"
finish
