#!/usr/bin/env bash
# The n8n report's route in caddy/Caddyfile (/monitoring-api/), on a real
# Caddy started by this test with the repository's Caddyfile (127.0.0.1,
# PORT_BASE+650..653, tls internal), proxying to the loopback stack's real
# Prometheus (standing in for Thanos Query, the same HTTP API) and
# Alertmanager:
#   - off by default: /monitoring-api/* answers 404 and never reaches Grafana;
#   - the account reaches Caddy as the file config-init renders from .env
#     (scripts/render-config.sh caddy-auth, the same code), never by
#     environment; MONITORING_API=on without credentials: Caddy refuses;
#   - on: 401 without or with wrong credentials, the Prometheus query API and
#     Alertmanager's alert list with them, 405 for anything but GET/HEAD
#     (no silence can be created, no admin API reached).
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
START=$SECONDS
if [ -z "${PROM_URL:-}" ] || [ -z "${AM_URL:-}" ]; then not_ok "the loopback stack is running (STACK_ENV)"; finish; fi
command -v caddy >/dev/null || { not_ok "caddy is installed"; finish; }

HTTPS=$((PORT_BASE + 650)) HTTP=$((PORT_BASE + 651)) ADMIN=$((PORT_BASE + 652)) METRICS=$((PORT_BASE + 653))
T=$(mktemp -d "${TMPDIR:-/tmp}/caddy-api.XXXXXX")
PID=
stop_caddy() {
    [ -n "$PID" ] || return 0
    kill "$PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
    PID=
}
trap 'stop_caddy; rm -rf "$T"' EXIT
USER_=n8n-report
PASS=test-only-$RANDOM-password
HASH=$(caddy hash-password --plaintext "$PASS")

# caddy_env VAR=VALUE... CMD...: CMD with the environment compose would give
# Caddy, here (exec: in the background, $! is Caddy's own PID).
caddy_env() {
    exec env XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" \
        GRAFANA_SITE="https://127.0.0.1:$HTTPS" CADDY_TLS=internal CADDY_BIND="bind 127.0.0.1" \
        CADDY_GLOBAL_OPTIONS=skip_install_trust CADDY_ADMIN="127.0.0.1:$ADMIN" \
        CADDY_HTTP_PORT="$HTTP" CADDY_HTTPS_PORT="$HTTPS" CADDY_METRICS_ADDR="127.0.0.1:$METRICS" \
        GRAFANA_UPSTREAM="127.0.0.1:$((PORT_BASE + 699))" MONITORING_API_AUTH_FILE="$T/auth.caddy" \
        MONITORING_API_PROMETHEUS="${PROM_URL#http://}" MONITORING_API_ALERTMANAGER="${AM_URL#http://}" "$@"
}
start_caddy() { # VAR=VALUE...
    (caddy_env "$@" caddy run --adapter caddyfile --config "$REPO/caddy/Caddyfile") >"$T/caddy.log" 2>&1 &
    PID=$!
    eventually 20 curl -fsS -o /dev/null "http://127.0.0.1:$METRICS/metrics" &&
        eventually 20 curl -s -o /dev/null --cacert "$T/data/caddy/pki/authorities/local/root.crt" "https://127.0.0.1:$HTTPS/"
}
# req [curl args] PATH: the HTTP status.
req() {
    local path=${*: -1}
    curl -s -o "$T/body" -w '%{http_code}' --max-time 10 --cacert "$T/data/caddy/pki/authorities/local/root.crt" \
        "${@:1:$#-1}" "https://127.0.0.1:$HTTPS$path"
}
Q='/monitoring-api/prometheus/api/v1/query?query=up'

# --- off (the default) --------------------------------------------------------------------
if start_caddy MONITORING_API=off; then
    ok "Caddy starts with the route off (the default)"
    assert_eq "off: the Prometheus path answers 404" 404 "$(req "$Q")"
    assert_eq "off: even with credentials" 404 "$(req -u "$USER_:$PASS" "$Q")"
    assert_eq "off: the Alertmanager path answers 404" 404 "$(req /monitoring-api/alertmanager/api/v2/alerts)"
    # Grafana (absent on loopback) answers 502 for everything else: the
    # 404 above is the route's own, not a proxied Grafana page.
    assert_eq "off: other paths still go to Grafana's upstream (502: no Grafana here)" 502 "$(req /login)"
else
    not_ok "Caddy starts with the route off (the default)" "$(tail -5 "$T/caddy.log")"
fi
stop_caddy

# --- on, without credentials: refused at start ----------------------------------------------------
# render_auth DOTENV-LINES...: the account file, as config-init writes it from .env.
render_auth() {
    printf '%s\n' "$@" >"$T/dotenv"
    env -u MONITORING_API_USER -u MONITORING_API_PASSWORD_HASH SECRETS_ENV_FILE="$T/dotenv" \
        sh "$REPO/scripts/render-config.sh" caddy-auth "$T/auth.caddy"
}
out=$(caddy_env MONITORING_API=on caddy validate --adapter caddyfile --config "$REPO/caddy/Caddyfile" 2>&1)
assert_contains "on, and config-init's account file missing: Caddy refuses" "$out" "File to import not found"
check "config-init renders an account file even without credentials" render_auth '# nothing set'
out=$(caddy_env MONITORING_API=on caddy validate --adapter caddyfile --config "$REPO/caddy/Caddyfile" 2>&1)
rc=$?
assert_eq "on without MONITORING_API_USER/PASSWORD_HASH: Caddy rejects the configuration" 1 "$rc"
assert_contains "on without credentials: the error is basic auth's" "$out" "http_basic"
check_fails "a MONITORING_API_PASSWORD_HASH that is no bcrypt hash stops config-init" \
    render_auth "MONITORING_API_USER=$USER_" "MONITORING_API_PASSWORD_HASH=$PASS"
out=$(caddy_env MONITORING_API=yes caddy validate --adapter caddyfile --config "$REPO/caddy/Caddyfile" 2>&1)
assert_contains "MONITORING_API neither on nor off: rejected, naming the value" "$out" "monitoring_api_yes"

# --- on, with credentials ---------------------------------------------------------------------------
check "config-init renders the account from .env (hash in single quotes, as documented)" \
    render_auth "MONITORING_API_USER=$USER_" "MONITORING_API_PASSWORD_HASH='$HASH'"
if start_caddy MONITORING_API=on; then
    ok "Caddy starts with the route on and credentials"
    assert_eq "on: no credentials, 401" 401 "$(req "$Q")"
    assert_eq "on: a wrong password, 401" 401 "$(req -u "$USER_:wrong" "$Q")"
    assert_eq "on: the right credentials reach Prometheus' query API" 200 "$(req -u "$USER_:$PASS" "$Q")"
    assert_eq "on: Prometheus answers the n8n workflow's query" success "$(jq -r .status "$T/body" 2>/dev/null)"
    assert_eq "on: Alertmanager's alert list" 200 "$(req -u "$USER_:$PASS" '/monitoring-api/alertmanager/api/v2/alerts?active=true')"
    check "on: Alertmanager answers a JSON list" jq -se 'length == 1 and (.[0] | type == "array")' "$T/body"
    # Writes over HTTP/1.1: Caddy answers 405 before reading the body, and
    # over HTTP/2 Go then resets the stream, which curl may report as a
    # framing error instead of the status (it is still a refusal).
    assert_eq "on: POST to Prometheus is refused (405)" 405 "$(req --http1.1 -u "$USER_:$PASS" -X POST -d 'query=up' /monitoring-api/prometheus/api/v1/query)"
    assert_eq "on: creating a silence is refused (405)" 405 \
        "$(req --http1.1 -u "$USER_:$PASS" -X POST -H 'Content-Type: application/json' -d '{}' /monitoring-api/alertmanager/api/v2/silences)"
    assert_eq "on: Prometheus' admin API cannot be reached (405)" 405 \
        "$(req --http1.1 -u "$USER_:$PASS" -X POST /monitoring-api/prometheus/api/v1/admin/tsdb/snapshot)"
    assert_eq "on: other /monitoring-api/ paths answer 404" 404 "$(req -u "$USER_:$PASS" /monitoring-api/grafana/)"
    assert_not_contains "the password is in no log line" "$(cat "$T/caddy.log")" "$PASS"
    assert_not_contains "the account is in no Caddy environment variable" \
        "$(tr '\0' '\n' <"/proc/$PID/environ" 2>/dev/null)" "$HASH"
else
    not_ok "Caddy starts with the route on and credentials" "$(tail -5 "$T/caddy.log")"
fi
stop_caddy
echo "# duration: $((SECONDS - START)) s"
finish
