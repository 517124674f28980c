#!/usr/bin/env bash
# build/doctor, group stack:
#  - against the loopback stack: Prometheus ready, every target up (and a
#    stopped exporter reported), Alertmanager ready and used by Prometheus,
#    Caddy's certificate (its internal CA issues 12-hour certificates, so the
#    14-day rule must fail);
#  - Thanos sidecar and store gateway: Thanos does not run here, so a
#    Prometheus of the test's own scrapes two fixture endpoints serving the
#    metrics those components expose, under the production job names;
#  - Grafana's /api/health from a fixture, and a certificate that passes
#    (openssl s_server with a 90-day test certificate).
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
. "$REPO/tests/fixtures/doctor/lib.sh"

if [ -z "${PROM_URL:-}" ] || [ -z "${AM_URL:-}" ] || [ -z "${CADDY_HTTPS_URL:-}" ]; then
    not_ok "the loopback stack is running (stack.env)" "PROM_URL/AM_URL/CADDY_HTTPS_URL unset"
    finish
fi
export STACK_DIR PORT_BASE
write_env "$DT/empty.env" "# nothing: the stack checks need no .env when URLs are given"

# --- the loopback stack ---------------------------------------------------------
loopback() {
    run_doctor --env-file "$DT/empty.env" --only stack --prometheus-url "$PROM_URL" \
        --alertmanager-url "$AM_URL" --grafana-url '' --caddy-url "$CADDY_HTTPS_URL" \
        --cacert "$CADDY_CA_CERT" --skip stack.thanos-sidecar,stack.thanos-store
}
all_up() {
    loopback
    printf '%s\n' "$OUT" | grep "^✓ stack.targets-up " >/dev/null
}
eventually 30 all_up
loopback
assert_check "Prometheus is ready" "✓" stack.prometheus-ready "Prometheus is ready ($PROM_URL)"
assert_status "every target is up" "✓" stack.targets-up
assert_contains "targets are counted per job" "$OUT" "node 2"
assert_check "Alertmanager is ready and used" "✓" stack.alertmanager \
    "Alertmanager is ready ($AM_URL); Prometheus sends alerts to 1 Alertmanager(s)"
assert_check "no Grafana URL: skipped with why" "—" stack.grafana \
    "no Grafana URL (--grafana-url / DOCTOR_GRAFANA_URL is empty)"
assert_check "--skip names the Thanos checks" "—" stack.thanos-sidecar "skipped by --skip"
assert_contains "Caddy's 12-hour internal certificate fails the 14-day rule" "$OUT" \
    "$(check_line "✗" stack.caddy-cert "the certificate of $CADDY_HTTPS_URL expires in 1")"
assert_contains "the rule is explained" "$OUT" "less than 14 days: Caddy renews long before that, so renewal is failing"
assert_rc "a failing check makes the exit status 1" 1

run_doctor --env-file "$DT/empty.env" --only stack --prometheus-url "$PROM_URL" \
    --alertmanager-url "$AM_URL" --grafana-url '' --caddy-url "$CADDY_HTTPS_URL" \
    --skip stack.thanos-sidecar,stack.thanos-store
assert_contains "without its CA, Caddy's internal certificate is not trusted" "$OUT" \
    "$(check_line "✗" stack.caddy-cert "the certificate of $CADDY_HTTPS_URL is not trusted (SSL certificate problem: unable to get local issuer certificate); issuer ")"

# A stopped exporter shows up with Prometheus' own error.
if "$REPO/local/stack.sh" svc stop node-b >"$DT/svc.log" 2>&1; then
    b_down() {
        loopback
        printf '%s\n' "$OUT" | grep "^✗ stack.targets-up .*node/B " >/dev/null
    }
    if eventually 30 b_down; then ok "a stopped node exporter is reported down"; else not_ok "a stopped node exporter is reported down" "$OUT"; fi
    assert_contains "the down target is named with its error" "$OUT" "node/B 127.0.0.1:${NODE_B_URL##*:}: "
    assert_line "with the fix" "$OUT" \
        "$(fix_line "fix each target's error above; \`doctor --only targets\` tests the exporters from this host")"
    "$REPO/local/stack.sh" svc start node-b >>"$DT/svc.log" 2>&1
    if eventually 30 all_up; then ok "once restarted, every target is up again"; else not_ok "once restarted, every target is up again" "$OUT"; fi
else
    not_ok "local/stack.sh svc stop node-b" "$(cat "$DT/svc.log")"
fi

closed=$(dport 696)
run_doctor --env-file "$DT/empty.env" --only stack --prometheus-url "$PROM_URL" \
    --alertmanager-url "http://127.0.0.1:$closed" --grafana-url "http://127.0.0.1:$closed" \
    --caddy-url '' --skip stack.thanos-sidecar,stack.thanos-store
assert_check "an Alertmanager that does not answer" "✗" stack.alertmanager \
    "Alertmanager: nothing answers at http://127.0.0.1:$closed: connection refused or no route" \
    "docker compose up -d alertmanager; docker compose logs --tail 50 alertmanager"
assert_check "a Grafana that does not answer" "✗" stack.grafana \
    "Grafana: nothing answers at http://127.0.0.1:$closed: connection refused or no route" \
    "docker compose up -d grafana; docker compose logs --tail 50 grafana"
assert_check "no Caddy URL: skipped" "—" stack.caddy-cert "no Caddy URL (--caddy-url / DOCTOR_CADDY_URL is empty)"

run_doctor --env-file "$DT/empty.env" --only stack --prometheus-url "http://127.0.0.1:$closed" \
    --alertmanager-url '' --grafana-url '' --caddy-url ''
assert_check "a Prometheus that does not answer (selected with --only)" "✗" stack.prometheus-ready \
    "Prometheus: nothing answers at http://127.0.0.1:$closed: connection refused or no route" \
    "docker compose up -d prometheus; docker compose logs --tail 50 prometheus"
assert_check "the checks that need it are skipped" "—" stack.targets-up \
    "needs Prometheus (see stack.prometheus-ready)"

# Caddy's certificate from GRAFANA_SITE; CADDY_TLS=internal is skipped.
write_env "$DT/internal.env" "GRAFANA_SITE=https://127.0.0.1" "CADDY_TLS=internal"
run_doctor --env-file "$DT/internal.env" --only stack --prometheus-url "$PROM_URL" \
    --alertmanager-url '' --grafana-url '' --skip stack.thanos-sidecar,stack.thanos-store
assert_check "CADDY_TLS=internal: no certificate rule" "—" stack.caddy-cert \
    "CADDY_TLS=internal: Caddy's own CA issues short-lived certificates and renews them itself"

# --- a certificate that passes, and one that is too short ------------------------
make_certs "$DT/tls" 90 || not_ok "test certificates" "openssl failed"
TP=$(dport 643)
start_daemon "$DT/pids" tls "$DT/tls.log" openssl s_server -accept "127.0.0.1:$TP" \
    -cert "$DT/tls/server.crt" -key "$DT/tls/server.key" -www -quiet
check "a TLS server with a 90-day certificate starts" started tls "$TP" 20
write_env "$DT/site.env" "GRAFANA_SITE=localhost:$TP" "CADDY_TLS=ops@ecotrans.eu"
run_doctor --env-file "$DT/site.env" --only stack --prometheus-url "$PROM_URL" \
    --alertmanager-url '' --grafana-url '' --cacert "$DT/tls/ca.crt" \
    --skip stack.thanos-sidecar,stack.thanos-store
assert_contains "a 90-day certificate passes (URL from GRAFANA_SITE)" "$OUT" \
    "$(check_line "✓" stack.caddy-cert "the certificate of https://localhost:$TP/ is trusted and valid for ")"
check "its validity is reported in days" grep -qE "valid for (89d 23h|90d 0h) \(until " <<<"$OUT"
stop_daemon "$DT/pids" tls
mkdir -p "$DT/short"
cp "$DT/tls/ca.crt" "$DT/tls/ca.key" "$DT/short/"
make_certs "$DT/short" 5
start_daemon "$DT/pids" tls5 "$DT/tls5.log" openssl s_server -accept "127.0.0.1:$TP" \
    -cert "$DT/short/server.crt" -key "$DT/short/server.key" -www -quiet
check "a TLS server with a 5-day certificate starts" started tls5 "$TP" 20
run_doctor --env-file "$DT/site.env" --only stack --prometheus-url "$PROM_URL" \
    --alertmanager-url '' --grafana-url '' --cacert "$DT/short/ca.crt" \
    --skip stack.thanos-sidecar,stack.thanos-store
assert_contains "a 5-day certificate fails" "$OUT" \
    "$(check_line "✗" stack.caddy-cert "the certificate of https://localhost:$TP/ expires in ")"
check "its remaining validity is reported" grep -qE "expires in (4d 23h|5d 0h) \(" <<<"$OUT"
run_doctor --env-file "$DT/site.env" --only stack --prometheus-url "$PROM_URL" \
    --alertmanager-url '' --grafana-url '' --cacert "$DT/short/ca.crt" --cert-min-days 3 \
    --skip stack.thanos-sidecar,stack.thanos-store
assert_status "--cert-min-days 3 accepts it" "✓" stack.caddy-cert

# --- Grafana /api/health (fixture of Grafana's answer) ------------------------------
GP=$(dport 644)
mkdir -p "$DT/grafana/api"
printf '{\n  "commit": "fixture",\n  "database": "ok",\n  "version": "11.3.1"\n}\n' >"$DT/grafana/api/health"
start_daemon "$DT/pids" grafana "$DT/grafana.log" "$PY3" -m http.server --bind 127.0.0.1 \
    --directory "$DT/grafana" "$GP"
check "the Grafana fixture starts" started grafana "$GP" 20
run_doctor --env-file "$DT/empty.env" --only stack --prometheus-url '' --alertmanager-url '' \
    --grafana-url "http://127.0.0.1:$GP/" --caddy-url ''
assert_check "Grafana healthy" "✓" stack.grafana \
    "Grafana 11.3.1 is healthy, database ok (http://127.0.0.1:$GP/api/health)"
assert_check "no Prometheus URL: skipped with why" "—" stack.prometheus-ready \
    "no Prometheus URL (--prometheus-url / DOCTOR_PROMETHEUS_URL is empty)"
printf '{"commit": "fixture", "database": "failing", "version": "11.3.1"}\n' >"$DT/grafana/api/health"
run_doctor --env-file "$DT/empty.env" --only stack --prometheus-url '' --alertmanager-url '' \
    --grafana-url "http://127.0.0.1:$GP" --caddy-url ''
assert_check "Grafana with a failing database" "✗" stack.grafana \
    "Grafana is unhealthy: http://127.0.0.1:$GP/api/health answered HTTP 200 without database ok" \
    "docker compose up -d grafana; docker compose logs --tail 50 grafana"

# --- Thanos, through a Prometheus of our own ---------------------------------------
if ! command -v prometheus >/dev/null; then
    not_ok "prometheus is installed" "apt-get install prometheus"
    finish
fi
SCP=$(dport 645)
STP=$(dport 646)
TPP=$(dport 690)
mkdir -p "$DT/sidecar" "$DT/store" "$DT/prom"
# sidecar_metrics UPLOAD_AGE_SECONDS|none START_AGE_SECONDS
sidecar_metrics() {
    local now
    now=$(date +%s)
    {
        echo '# TYPE process_start_time_seconds gauge'
        echo "process_start_time_seconds $((now - $2))"
        if [ "$1" != none ]; then
            echo '# TYPE thanos_objstore_bucket_last_successful_upload_time gauge'
            echo "thanos_objstore_bucket_last_successful_upload_time{bucket=\"ecotrans-monitoring\"} $((now - $1))"
        fi
    } >"$DT/sidecar/metrics.tmp"
    mv "$DT/sidecar/metrics.tmp" "$DT/sidecar/metrics"
}
store_metrics() {
    printf '# TYPE thanos_bucket_store_blocks_loaded gauge\nthanos_bucket_store_blocks_loaded %s\n' "$1" >"$DT/store/metrics.tmp"
    mv "$DT/store/metrics.tmp" "$DT/store/metrics"
}
sidecar_metrics 1800 86400
store_metrics 12
cat >"$DT/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: thanos-sidecar
    static_configs: [{targets: ["127.0.0.1:$SCP"], labels: {server: F}}]
  - job_name: thanos-store
    static_configs: [{targets: ["127.0.0.1:$STP"], labels: {server: F}}]
EOF
start_daemon "$DT/pids" sidecar "$DT/sidecar.log" "$PY3" -m http.server --bind 127.0.0.1 --directory "$DT/sidecar" "$SCP"
start_daemon "$DT/pids" store "$DT/store.log" "$PY3" -m http.server --bind 127.0.0.1 --directory "$DT/store" "$STP"
start_daemon "$DT/pids" prometheus "$DT/prometheus.log" prometheus --config.file="$DT/prom/prometheus.yml" \
    --storage.tsdb.path="$DT/prom/data" --web.listen-address="127.0.0.1:$TPP" --log.level=warn
check "the Thanos fixtures and their Prometheus start" started prometheus "$TPP" 30
MYPROM=http://127.0.0.1:$TPP
thanos() {
    run_doctor --env-file "$DT/empty.env" --only stack --prometheus-url "$MYPROM" \
        --alertmanager-url '' --grafana-url '' --caddy-url ''
}
# until_line MARK ID DETAIL: re-run until the line appears (scrapes are 1 s apart).
until_line() {
    local want
    want=$(check_line "$1" "$2" "$3")
    # shellcheck disable=SC2317
    seen() {
        thanos
        printf '%s\n' "$OUT" | grep -xF -- "$want" >/dev/null
    }
    if eventually 20 seen; then ok "$4"; else not_ok "$4" "missing line: $want
in:
$OUT"; fi
}
until_line "✓" stack.thanos-sidecar "last block uploaded 30m ago (limit 3h 0m)" "a recent upload passes"
until_line "✓" stack.thanos-store "the store gateway has 12 block(s) loaded from the bucket" "loaded blocks pass"
assert_check "both Thanos targets count as Prometheus targets" "✓" stack.targets-up \
    "all 2 targets up (thanos-sidecar 1, thanos-store 1)"
assert_rc "a healthy Thanos passes (exit 0)" 0

sidecar_metrics 18000 86400
until_line "✗" stack.thanos-sidecar "last block uploaded 5h 0m ago (limit 3h 0m; Prometheus cuts a block every 2 h)" \
    "an upload 5 h old fails"
assert_line "with the fix" "$OUT" \
    "$(fix_line "docker compose logs thanos-sidecar | grep -iE 'upload|error'; \`doctor --only s3\` checks the bucket")"

sidecar_metrics none 1200
store_metrics 0
until_line "—" stack.thanos-sidecar "no block uploaded yet; the sidecar started 20m ago and Prometheus writes its first block about 2 h after it starts" \
    "a fresh sidecar without an upload is not yet a failure"
until_line "—" stack.thanos-store "the bucket holds no block yet (the sidecar has not uploaded one)" \
    "an empty bucket is not the store gateway's fault"

sidecar_metrics none 18000
until_line "✗" stack.thanos-sidecar "no block uploaded since the sidecar started 5h 0m ago (limit 3h 0m)" \
    "no upload in 5 h fails"

sidecar_metrics 7200 86400
until_line "✗" stack.thanos-store "the store gateway sees 0 blocks although the sidecar has uploaded" \
    "0 blocks after an upload fails"

stop_daemon "$DT/pids" sidecar
until_line "✗" stack.thanos-sidecar "thanos-sidecar is down (up=0 for thanos-sidecar/F 127.0.0.1:$SCP)" \
    "a sidecar that does not answer is down"

run_doctor --env-file "$DT/empty.env" --only stack --prometheus-url "$PROM_URL" \
    --alertmanager-url '' --grafana-url '' --caddy-url ''
assert_check "a Prometheus without a Thanos job fails the Thanos checks" "✗" stack.thanos-sidecar \
    "Prometheus scrapes no thanos-sidecar target" \
    "check prometheus/targets/services/ and that the container runs (docker compose ps)"

finish
