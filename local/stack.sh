#!/usr/bin/env bash
# The native loopback stack: the repository's configuration running on
# 127.0.0.1 without Docker, for newcomers (`make demo`) and for the tests.
#
#   local/stack.sh start            start everything, print URLs and status
#   local/stack.sh stop             stop exactly the processes it started
#   local/stack.sh status           status table
#   local/stack.sh svc stop|start NAME   one service (tests use this)
#
# Environment: PORT_BASE (default 19000; every port is PORT_BASE + offset,
# see port_of in local/lib.sh) and STACK_DIR (default ./.local-stack).
#
# Runs for real: Prometheus, Alertmanager, two node_exporters (servers F and
# B), PostgreSQL standing in for Supabase, the queue exporter and the daily
# report and the watcher (once built; the watcher stands for the one on
# server B, with a 2-minute grace), an SMTP sink keeping every message, Caddy with the
# production Caddyfile (internal certificate), and a fixture server standing
# in for cAdvisor. Not here: Grafana and Thanos (not in Debian's archive).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$REPO/local/lib.sh"

STACK_DIR=${STACK_DIR:-$REPO/.local-stack}
PIDS=$STACK_DIR/pids
LOGS=$STACK_DIR/logs
ENVF=$STACK_DIR/stack.env
PG_DIR=$(pg_dir_for "$STACK_DIR/postgres")

# Start order; stop runs it backwards.
SERVICES=(postgres demo-feed smtp node-f node-b cadvisor-fixture queue-exporter watcher alertmanager daily-report prometheus caddy blackbox)

# Debian packages the stack runs (binary -> package).
declare -A NEED=(
    [prometheus]=prometheus [promtool]=prometheus
    [prometheus-alertmanager]=prometheus-alertmanager [amtool]=prometheus-alertmanager
    [prometheus-node-exporter]=prometheus-node-exporter
    [caddy]=caddy [psql]=postgresql-client [curl]=curl [openssl]=openssl [jq]=jq
    [prometheus-blackbox-exporter]=prometheus-blackbox-exporter
)

install_missing() {
    local missing=() bin
    for bin in "${!NEED[@]}"; do
        command -v "$bin" >/dev/null 2>&1 || missing+=("${NEED[$bin]}")
    done
    pg_bindir >/dev/null 2>&1 || missing+=(postgresql)
    "$PY3" -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
    [ ${#missing[@]} -eq 0 ] && return 0
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    log "installing from Debian's archive: ${missing[*]}"
    local sudo=
    [ "$(id -u)" = 0 ] || sudo=sudo
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null; } ||
        die "could not install ${missing[*]} (run as root or with sudo)"
}

running_pids() {
    local f pid
    for f in "$PIDS"/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        pid_alive "$pid" && echo "$(basename "$f" .pid)=$pid"
    done
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        pid=$(head -1 "$PG_DIR/data/postmaster.pid")
        pid_alive "$pid" && echo "postgres=$pid"
    fi
}

rand_secret() { openssl rand -hex 16; }

# ---- configuration rendered for loopback ---------------------------------------
write_env() {
    local pg_port gpw epw
    pg_port=$(port_of postgres)
    gpw=$(rand_secret)
    epw=$(rand_secret)
    umask 077
    cat >"$ENVF" <<EOF
# Written by local/stack.sh start; passwords are random per start.
STACK_DIR=$STACK_DIR
PORT_BASE=$PORT_BASE
PROM_URL=http://127.0.0.1:$(port_of prometheus)
AM_URL=http://127.0.0.1:$(port_of alertmanager)
NODE_F_URL=http://127.0.0.1:$(port_of node-f)
NODE_B_URL=http://127.0.0.1:$(port_of node-b)
CADVISOR_URL=http://127.0.0.1:$(port_of cadvisor-fixture)
QUEUE_EXPORTER_URL=http://127.0.0.1:$(port_of queue-exporter)
DAILY_REPORT_URL=http://127.0.0.1:$(port_of daily-report)
WATCHER_URL=http://127.0.0.1:$(port_of watcher)
WATCHER_TOKEN_FILE=$STACK_DIR/watcher/token
CADDY_HTTPS_URL=https://127.0.0.1:$(port_of caddy-https)
CADDY_METRICS_URL=http://127.0.0.1:$(port_of caddy-metrics)
CADDY_CA_CERT=$STACK_DIR/caddy/data/caddy/pki/authorities/local/root.crt
BLACKBOX_URL=http://127.0.0.1:$(port_of blackbox)
SMTP_HOST=127.0.0.1
SMTP_PORT=$(port_of smtp)
SMTP_MAILDIR=$STACK_DIR/mail
PG_DIR=$PG_DIR
PGPORT=$pg_port
GRAFANA_DB_PASSWORD=$gpw
QUEUE_EXPORTER_DB_PASSWORD=$epw
GRAFANA_DB_DSN='host=127.0.0.1 port=$pg_port dbname=postgres user=grafana_readonly password=$gpw sslmode=disable connect_timeout=5'
QUEUE_EXPORTER_DSN='host=127.0.0.1 port=$pg_port dbname=postgres user=queue_exporter password=$epw sslmode=disable connect_timeout=5'
EOF
    umask 022
}

render_prometheus() {
    local d=$STACK_DIR/prometheus svc f
    mkdir -p "$d/targets/services" "$d/rendered/targets" "$d/rendered/secrets" "$d/rendered/rules" "$d/rules" "$d/data"
    # The production file with only the global intervals shortened, so the
    # tests see changes in seconds. Rules, jobs and labels are untouched.
    sed -e '0,/^  scrape_interval: .*/s//  scrape_interval: 2s/' \
        -e '0,/^  scrape_timeout: .*/s//  scrape_timeout: 2s/' \
        -e '0,/^  evaluation_interval: .*/s//  evaluation_interval: 2s/' \
        "$REPO/prometheus/prometheus.yml" >"$d/prometheus.yml"
    rm -f "$d/rules/"*.yml
    for f in "$REPO"/prometheus/rules/*.yml; do
        [ -f "$f" ] && cp "$f" "$d/rules/"
    done
    apply_rule_overrides "$d/rules"
    # The dashboards' recording rules run every minute in production (fewer
    # samples for long views); on loopback they follow the 2 s global
    # interval like the other groups, so a panel has data seconds after start.
    sed -i '/^  - name: dashboards$/,/^  - name:/{/^    interval: 1m$/d}' "$d/rules/dashboards.yml"
    # Services of Server F, at their loopback ports; absent ones get no target.
    for svc in prometheus alertmanager queue-exporter daily-report caddy; do
        local port
        case $svc in caddy) port=$(port_of caddy-metrics) ;; *) port=$(port_of "$svc") ;; esac
        if service_enabled "$svc"; then
            printf '[\n  {"targets": ["127.0.0.1:%s"], "labels": {"server": "F"}}\n]\n' "$port" >"$d/targets/services/$svc.json"
        else
            echo '[]' >"$d/targets/services/$svc.json"
        fi
    done
    for svc in thanos-sidecar thanos-store thanos-query thanos-compact grafana; do
        echo '[]' >"$d/targets/services/$svc.json"
    done
    sed -e "s/@PORT_NODE_F@/$(port_of node-f)/" -e "s/@PORT_NODE_B@/$(port_of node-b)/" \
        -e "s/@PORT_CADVISOR@/$(port_of cadvisor-fixture)/" -e "s/@PORT_WATCHER@/$(port_of watcher)/" \
        "$REPO/local/inventory.txt" >"$STACK_DIR/inventory.txt"
    if ! service_enabled watcher; then
        sed -i 's/,watcher:[0-9]*//' "$STACK_DIR/inventory.txt"
    fi
    if ! service_enabled cadvisor-fixture; then
        sed -i 's/,cadvisor:[0-9]*//' "$STACK_DIR/inventory.txt"
    fi
    "$REPO/scripts/render-config.sh" targets "$STACK_DIR/inventory.txt" "$d/rendered/targets" || return 1
    # The containers B must run (the fixture's); none without the fixture.
    local containers=$REPO/local/containers.txt
    service_enabled cadvisor-fixture || containers=/dev/null
    "$REPO/scripts/render-config.sh" containers "$STACK_DIR/inventory.txt" "$containers" "$d/rendered/rules/inventory.yml" || return 1
    echo '[]' >"$d/rendered/targets/supabase.json"
    # External probes: Caddy's HTTPS, trusting Caddy's internal CA, and one
    # that fails on purpose (local/probes.txt).
    sed -e "s/@PORT_CADDY_HTTPS@/$(port_of caddy-https)/g" "$REPO/local/probes.txt" >"$STACK_DIR/probes.txt"
    "$REPO/scripts/render-probes.sh" "$STACK_DIR/probes.txt" "$d/rendered/targets" \
        "$STACK_DIR/blackbox/blackbox.yml" "127.0.0.1:$(port_of blackbox)" \
        "$STACK_DIR/caddy/data/caddy/pki/authorities/local/root.crt" >/dev/null || return 1
    : >"$d/rendered/secrets/supabase_service_key"
    promtool check config "$d/prometheus.yml" >"$LOGS/promtool.log" 2>&1 ||
        { cat "$LOGS/promtool.log" >&2; die "prometheus/prometheus.yml rendered for loopback is rejected by promtool (above)"; }
}

# local/rule-overrides.txt (optional): "AlertName DURATION" lines. Shortens
# the `for:` of the named alerts on loopback only, so end-to-end tests do not
# wait production durations. Every override is listed in that file.
apply_rule_overrides() {
    local dir=$1 ov=$REPO/local/rule-overrides.txt name dur f
    [ -f "$ov" ] || return 0
    while read -r name dur _; do
        case $name in '' | \#*) continue ;; esac
        for f in "$dir"/*.yml; do
            awk -v a="$name" -v d="$dur" '
                /^[ \t]*- alert:/ { cur = $3 }
                cur == a && /^[ \t]+for:/ { sub(/for:.*/, "for: " d) }
                { print }' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
        done
    done <"$ov"
}

render_alertmanager() {
    local d=$STACK_DIR/alertmanager
    mkdir -p "$d/data"
    [ -f "$REPO/alertmanager/alertmanager.yml" ] || die "alertmanager/alertmanager.yml is missing"
    : >"$d/smtp_password"
    chmod 600 "$d/smtp_password"
    local defaults=("$REPO/local/alertmanager-loopback.env")
    [ -f "$REPO/alertmanager/defaults.env" ] && defaults+=("$REPO/alertmanager/defaults.env")
    # The Watchdog goes to the loopback watcher, with a random token per
    # start; without a built watcher, nowhere.
    local receiver=watchdog-off
    mkdir -p "$STACK_DIR/watcher"
    (umask 077 && openssl rand -hex 24 >"$STACK_DIR/watcher/token")
    service_enabled watcher && receiver=watchdog-watcher
    WATCHDOG_RECEIVER=$receiver WATCHER_URL=http://127.0.0.1:$(port_of watcher)/webhook \
        WATCHER_CREDENTIALS_FILE=$STACK_DIR/watcher/token \
        SMTP_SMARTHOST=127.0.0.1:$(port_of smtp) SMTP_FROM=alertmanager@loopback.test SMTP_USER='' \
        SMTP_PASSWORD_FILE=$d/smtp_password SMTP_REQUIRE_TLS=false ALERT_EMAIL_TO=ops@loopback.test \
        GRAFANA_URL=https://127.0.0.1:$(port_of caddy-https) \
        ALERTMANAGER_URL=http://127.0.0.1:$(port_of alertmanager) \
        ALERTMANAGER_TEMPLATES_DIR=$REPO/alertmanager/templates \
        "$REPO/scripts/render-config.sh" template "$REPO/alertmanager/alertmanager.yml" \
        "$d/alertmanager.yml" "${defaults[@]}" || die "cannot render alertmanager/alertmanager.yml"
    amtool check-config "$d/alertmanager.yml" >"$LOGS/amtool.log" 2>&1 ||
        { cat "$LOGS/amtool.log" >&2; die "alertmanager/alertmanager.yml rendered for loopback is rejected by amtool (above)"; }
}

# A service is part of this stack when what it runs exists in the checkout.
service_enabled() {
    case $1 in
    queue-exporter) [ -x "$REPO/build/queue-exporter" ] ;;
    daily-report) [ -x "$REPO/build/daily-report" ] ;;
    watcher) [ -x "$REPO/build/watcher" ] ;;
    cadvisor-fixture) [ -f "$REPO/local/cadvisor-fixture.py" ] ;;
    *) return 0 ;;
    esac
}

# ---- one function per service ------------------------------------------------------
start_postgres() {
    local d=$PG_DIR port
    port=$(port_of postgres)
    if [ ! -d "$d/data" ]; then
        pg_cluster_init "$d" "$port" || die "initdb failed (see $d/initdb.log)"
        pg_cluster_start "$d" || die "PostgreSQL did not start (see $d/postgres.log)"
        # shellcheck disable=SC1090
        . "$ENVF"
        {
            pg_psql "$d" "$port" -f "$REPO/sql/schema.sql" &&
                pg_psql "$d" "$port" -f "$REPO/sql/demo-data.sql" &&
                { [ ! -f "$REPO/sql/indexes.sql" ] || pg_psql "$d" "$port" -f "$REPO/sql/indexes.sql"; } &&
                pg_psql "$d" "$port" -v grafana_verifier="$(roles_verifier grafana_readonly "$GRAFANA_DB_PASSWORD")" \
                    -v exporter_verifier="$(roles_verifier queue_exporter "$QUEUE_EXPORTER_DB_PASSWORD")" \
                    -v contract="$("$REPO/build/doctor" --print-contract --contract "$REPO/sql/contract.yaml")" -f "$REPO/sql/roles.sql"
        } >"$LOGS/sql.log" 2>&1 || { cat "$LOGS/sql.log" >&2; die "loading sql/ into PostgreSQL failed"; }
    else
        pg_cluster_start "$d" || die "PostgreSQL did not start (see $d/postgres.log)"
    fi
}
stop_postgres() { pg_cluster_stop "$PG_DIR"; }

# The GPS feed of the demo (local/demo-feed.sh): keeps the active vehicles
# reporting so the demo's GPS coverage does not decay while it runs.
start_demo-feed() {
    start_daemon "$PIDS" demo-feed "$LOGS/demo-feed.log" "$REPO/local/demo-feed.sh" "$PG_DIR" "$(port_of postgres)"
}

start_smtp() {
    start_daemon "$PIDS" smtp "$LOGS/smtp.log" "$PY3" "$REPO/local/smtp-sink.py" \
        --listen "127.0.0.1:$(port_of smtp)" --maildir "$STACK_DIR/mail"
    wait_port "$(port_of smtp)" 15 || die "SMTP sink did not start (see $LOGS/smtp.log)"
}

start_node() { # node-f | node-b
    start_daemon "$PIDS" "$1" "$LOGS/$1.log" prometheus-node-exporter \
        --web.listen-address="127.0.0.1:$(port_of "$1")" --no-collector.systemd
    wait_http "http://127.0.0.1:$(port_of "$1")/metrics" 15 || die "node_exporter $1 did not start (see $LOGS/$1.log)"
}
start_node-f() { start_node node-f; }
start_node-b() { start_node node-b; }

start_cadvisor-fixture() {
    start_daemon "$PIDS" cadvisor-fixture "$LOGS/cadvisor-fixture.log" "$PY3" "$REPO/local/cadvisor-fixture.py" \
        --listen "127.0.0.1:$(port_of cadvisor-fixture)" --fixture "$REPO/local/fixtures/cadvisor-metrics.txt"
    wait_http "http://127.0.0.1:$(port_of cadvisor-fixture)/metrics" 15 ||
        die "cAdvisor fixture server did not start (see $LOGS/cadvisor-fixture.log)"
}

start_queue-exporter() {
    # shellcheck disable=SC1090
    . "$ENVF"
    QUEUE_EXPORTER_DSN=$QUEUE_EXPORTER_DSN start_daemon "$PIDS" queue-exporter "$LOGS/queue-exporter.log" \
        "$REPO/build/queue-exporter" --listen "127.0.0.1:$(port_of queue-exporter)"
    wait_http "http://127.0.0.1:$(port_of queue-exporter)/healthz" 15 ||
        die "queue exporter did not start (see $LOGS/queue-exporter.log)"
}

# No catch-up on loopback: a stack started soon after 08:00 Paris would
# otherwise mail a report at once, and tests count the sink's messages.
start_daily-report() {
    # shellcheck disable=SC1090
    . "$ENVF"
    mkdir -p "$STACK_DIR/daily-report"
    PROMETHEUS_URL=$PROM_URL ALERTMANAGER_URL=$AM_URL REPORT_DB_DSN=$GRAFANA_DB_DSN \
        SMTP_HOST=127.0.0.1 SMTP_PORT=$SMTP_PORT SMTP_USER='' SMTP_PASSWORD='' SMTP_TLS=none \
        REPORT_FROM=report@loopback.test REPORT_TO=ops@loopback.test REPORT_TZ=Europe/Paris \
        REPORT_CATCHUP_MINUTES=0 \
        GRAFANA_URL=$CADDY_HTTPS_URL \
        start_daemon "$PIDS" daily-report "$LOGS/daily-report.log" "$REPO/build/daily-report" \
        --metrics-listen "127.0.0.1:$(port_of daily-report)" --state-file "$STACK_DIR/daily-report/state"
    wait_http "http://127.0.0.1:$(port_of daily-report)/metrics" 15 ||
        die "daily report did not start (see $LOGS/daily-report.log)"
}

# The dead-man's switch of server B watching this stack's F (docs/watcher.md):
# grace shortened to 2 minutes, mail to the sink. Its state survives a
# `svc stop/start watcher` (the tests restart it) but not a stack start.
start_watcher() {
    WATCHER_LISTEN=127.0.0.1:$(port_of watcher) WATCHER_TOKEN_FILE=$STACK_DIR/watcher/token \
        WATCHER_CLUSTER=loopback WATCHER_STATE_FILE=$STACK_DIR/watcher/state \
        WATCHER_GRACE=2m WATCHER_STEADY=20s WATCHER_REMIND=1h WATCHER_SMTP_BACKOFF_SECONDS=5 \
        SMTP_HOST=127.0.0.1 SMTP_PORT=$(port_of smtp) SMTP_TLS=none \
        SMTP_FROM=watcher@loopback.test ALERT_EMAIL_TO=ops@loopback.test \
        start_daemon "$PIDS" watcher "$LOGS/watcher.log" "$REPO/build/watcher"
    wait_http "http://127.0.0.1:$(port_of watcher)/healthz" 15 ||
        die "watcher did not start (see $LOGS/watcher.log)"
}

start_alertmanager() {
    start_daemon "$PIDS" alertmanager "$LOGS/alertmanager.log" prometheus-alertmanager \
        --config.file="$STACK_DIR/alertmanager/alertmanager.yml" \
        --storage.path="$STACK_DIR/alertmanager/data" \
        --web.listen-address="127.0.0.1:$(port_of alertmanager)" \
        --web.external-url="http://127.0.0.1:$(port_of alertmanager)" \
        --cluster.listen-address=
    wait_http "http://127.0.0.1:$(port_of alertmanager)/-/ready" 20 ||
        die "Alertmanager did not start (see $LOGS/alertmanager.log)"
}

start_prometheus() {
    # The same flags as compose.yaml (tests/static checks they agree).
    MONITORING_CLUSTER=loopback PROMETHEUS_REPLICA=0 \
        start_daemon "$PIDS" prometheus "$LOGS/prometheus.log" prometheus \
        --config.file="$STACK_DIR/prometheus/prometheus.yml" \
        --storage.tsdb.path="$STACK_DIR/prometheus/data" \
        --storage.tsdb.retention.time=15d \
        --storage.tsdb.min-block-duration=2h \
        --storage.tsdb.max-block-duration=2h \
        --storage.tsdb.retention.size=16GB \
        --web.listen-address="127.0.0.1:$(port_of prometheus)" \
        --enable-feature=expand-external-labels
    wait_http "http://127.0.0.1:$(port_of prometheus)/-/ready" 30 ||
        die "Prometheus did not start (see $LOGS/prometheus.log)"
}

start_caddy() {
    mkdir -p "$STACK_DIR/caddy/data" "$STACK_DIR/caddy/config"
    # The production Caddyfile; only its environment switches differ.
    XDG_DATA_HOME=$STACK_DIR/caddy/data XDG_CONFIG_HOME=$STACK_DIR/caddy/config \
        GRAFANA_SITE="https://127.0.0.1:$(port_of caddy-https)" CADDY_TLS=internal \
        CADDY_BIND="bind 127.0.0.1" CADDY_GLOBAL_OPTIONS=skip_install_trust \
        CADDY_ADMIN="127.0.0.1:$(port_of caddy-admin)" \
        CADDY_HTTP_PORT="$(port_of caddy-http)" CADDY_HTTPS_PORT="$(port_of caddy-https)" \
        CADDY_METRICS_ADDR="127.0.0.1:$(port_of caddy-metrics)" \
        GRAFANA_UPSTREAM="127.0.0.1:$(port_of grafana)" \
        start_daemon "$PIDS" caddy "$LOGS/caddy.log" caddy run --adapter caddyfile \
        --config "$REPO/caddy/Caddyfile"
    wait_http "http://127.0.0.1:$(port_of caddy-metrics)/metrics" 20 ||
        die "Caddy did not start (see $LOGS/caddy.log)"
    # The internal CA issues the site certificate shortly after start.
    local i
    for i in $(seq 1 50); do
        [ -f "$STACK_DIR/caddy/data/caddy/pki/authorities/local/root.crt" ] &&
            curl -s -o /dev/null --max-time 2 --cacert "$STACK_DIR/caddy/data/caddy/pki/authorities/local/root.crt" \
                "https://127.0.0.1:$(port_of caddy-https)/" && return 0
        sleep 0.2
    done
    die "Caddy did not serve HTTPS (see $LOGS/caddy.log)"
}

start_blackbox() {
    start_daemon "$PIDS" blackbox "$LOGS/blackbox.log" prometheus-blackbox-exporter \
        --config.file="$STACK_DIR/blackbox/blackbox.yml" --web.listen-address="127.0.0.1:$(port_of blackbox)"
    wait_http "http://127.0.0.1:$(port_of blackbox)/metrics" 15 ||
        die "blackbox_exporter did not start (see $LOGS/blackbox.log)"
}

start_service() {
    local s=$1
    service_enabled "$s" || { log "$s: not built/present, skipped"; return 0; }
    "start_$s"
}

stop_service() {
    case $1 in
    postgres) stop_postgres ;;
    *) stop_daemon "$PIDS" "$1" ;;
    esac
}

# ---- commands -----------------------------------------------------------------
cmd_start() {
    local running
    running=$(running_pids)
    if [ -n "$running" ]; then
        echo "The loopback stack in $STACK_DIR is already running ($(echo "$running" | tr '\n' ' '))." >&2
        echo "Use 'local/stack.sh status' to see it, or 'make demo-stop' (local/stack.sh stop) first." >&2
        exit 1
    fi
    install_missing
    # Ports inside the kernel's ephemeral range can be taken at any moment by
    # an outgoing connection's local port: a start then fails at random.
    local eph_low
    eph_low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    if [ $((PORT_BASE + 999)) -ge "$eph_low" ]; then
        log "warning: PORT_BASE=$PORT_BASE overlaps the ephemeral port range (from $eph_low); pick one below $((eph_low - 1000))"
    fi
    [ -f "$REPO/sql/schema.sql" ] || die "sql/schema.sql is missing"
    # A fresh state each start: stale TSDB or mail from a previous run would
    # make the status (and the tests) lie.
    rm -rf "$STACK_DIR" "$PG_DIR"
    mkdir -p "$PIDS" "$LOGS" "$STACK_DIR/mail"
    write_env
    render_prometheus || die "cannot render the Prometheus configuration"
    render_alertmanager
    local s
    for s in "${SERVICES[@]}"; do
        log "starting $s"
        start_service "$s"
    done
    wait_targets_up 60
    cmd_status
}

# Prometheus needs a scrape or two after start before every target is up.
wait_targets_up() {
    local secs=$1 i
    for i in $(seq 1 $((secs * 2))); do
        targets_json >"$STACK_DIR/targets.json" 2>/dev/null &&
            [ "$(jq '[.data.activeTargets[] | select(.health != "up")] | length' "$STACK_DIR/targets.json")" = 0 ] &&
            [ "$(jq '.data.activeTargets | length' "$STACK_DIR/targets.json")" -gt 0 ] && return 0
        sleep 0.5
    done
    log "warning: not every Prometheus target is up after ${secs}s (see status)"
}

targets_json() {
    curl -fsS --max-time 5 "http://127.0.0.1:$(port_of prometheus)/api/v1/targets?state=active"
}

cmd_status() {
    [ -f "$ENVF" ] || { echo "No loopback stack in $STACK_DIR (start it with make demo)."; return 1; }
    local s pid state url
    printf '\n%-18s %-8s %-8s %s\n' SERVICE STATE PID URL
    for s in "${SERVICES[@]}"; do
        if ! service_enabled "$s"; then
            printf '%-18s %-8s %-8s %s\n' "$s" absent - "(not built yet)"
            continue
        fi
        if [ "$s" = postgres ]; then
            pid=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || echo -)
            url="postgresql://127.0.0.1:$(port_of postgres)/postgres"
        else
            pid=$(cat "$PIDS/$s.pid" 2>/dev/null || echo -)
            case $s in
            smtp) url="smtp://127.0.0.1:$(port_of smtp)  (mail kept in $STACK_DIR/mail)" ;;
            demo-feed) url="(keeps 34 of 40 vehicles reporting GPS positions)" ;;
            caddy) url="https://127.0.0.1:$(port_of caddy-https)  (Grafana's route: 502 while Grafana is absent)" ;;
            *) url="http://127.0.0.1:$(port_of "$s")" ;;
            esac
        fi
        if pid_alive "$pid"; then state=running; else state=STOPPED; fi
        printf '%-18s %-8s %-8s %s\n' "$s" "$state" "$pid" "$url"
    done
    printf '%-18s %-8s %-8s %s\n' grafana absent - "not in Debian's archive: the demo runs without it"
    printf '%-18s %-8s %-8s %s\n' thanos absent - "not in Debian's archive: the demo runs without it"
    if targets_json >"$STACK_DIR/targets.json" 2>/dev/null; then
        echo
        echo "Prometheus targets:"
        jq -r '.data.activeTargets[] | "  \(.labels.job)\t\(.labels.server // "-")\t\(.scrapeUrl)\t\(.health)\(if .lastError != "" then "  " + .lastError else "" end)"' \
            "$STACK_DIR/targets.json" | sort | column -t -s $'\t'
    fi
    echo
    echo "Addresses, ports and the random database passwords: $ENVF"
}

cmd_stop() {
    local i s
    for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
        s=${SERVICES[$i]}
        stop_service "$s"
    done
    local left
    left=$(running_pids)
    [ -z "$left" ] || die "still running after stop: $left"
    echo "loopback stack in $STACK_DIR stopped"
}

cmd_svc() {
    local action=${1:-} name=${2:-}
    [ -f "$ENVF" ] || die "no loopback stack in $STACK_DIR"
    printf '%s\n' "${SERVICES[@]}" | grep -x -- "$name" >/dev/null || die "unknown service '$name' (known: ${SERVICES[*]})"
    case $action in
    stop) stop_service "$name" ;;
    start)
        if [ "$name" != postgres ] && pid_alive "$(cat "$PIDS/$name.pid" 2>/dev/null)"; then
            die "$name is already running"
        fi
        start_service "$name"
        ;;
    *) die "usage: local/stack.sh svc stop|start NAME" ;;
    esac
}

mkdir -p "$STACK_DIR" 2>/dev/null
case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
svc)
    shift
    cmd_svc "$@"
    ;;
*)
    echo "usage: local/stack.sh start|stop|status|svc stop|start NAME" >&2
    exit 2
    ;;
esac
