#!/usr/bin/env bash
# The production stack on a real container engine (issue 12).
#   - starts a private dockerd (tests/engine/engine.sh: its own network
#     namespace, directories under .test-engine-<PORT_BASE>/, stopped by PID);
#   - debian:12-slim here = Debian 12 minbase from debootstrap (a stand-in for
#     the official slim image), cached in .engine-cache/;
#   - builds src/*/Dockerfile for real, and stand-in images from Debian
#     packages for prometheus, alertmanager, node-exporter, caddy and alpine
#     (config-init), plus the SMTP sink (Mailgun) and PostgreSQL (Supabase);
#   - runs compose.yaml with docker-compose 1.29 through a derived file that
#     changes only images and published host ports (checked), without the
#     services that have no stand-in here (Grafana, Thanos, cAdvisor);
#   - checks the running stack: config-init, file and secret ownership,
#     healthchecks, scrape targets and rules, an alert email through the
#     containers (fired and resolved), published ports, secrets in
#     `docker inspect`, data surviving down/up, Thanos volume ownership.
# SKIP_ENGINE=1 skips the whole part visibly. Every wait is a bounded loop
# on a condition. Needs root.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=engine.sh
. "$REPO/tests/engine/engine.sh"

if [ "${SKIP_ENGINE:-0}" = 1 ]; then
    echo "ok - engine part SKIPPED because SKIP_ENGINE=1: compose.yaml, the Dockerfiles and deploy.sh were NOT run # SKIP"
    exit 0
fi
if ! why=$(engine_preflight); then
    not_ok "this machine can run the engine part" "$why"
    finish
fi

W=$ENGINE_DIR/work
# The deploy target's directory: its basename is the compose project.
SRV=$ENGINE_DIR/srv/monitoring
PROJECT=monitoring
SECRETS=() # name=value of every secret in the test .env

# dc ARGS...: compose on the deployed release, as deploy-remote.sh calls it,
# through the harness's docker compose adapter.
dc() {
    "$ENGINE_DIR/bin/docker" compose -p "$PROJECT" --project-directory "$SRV/current" \
        -f "$SRV/current/compose.yaml" --env-file "$SRV/current/.env" "$@"
}
cname() { printf '%s_%s_1' "$PROJECT" "$1"; }
prom_api() { in_ns curl -fsS --max-time 10 "http://127.0.0.1:$ENGINE_PORT_PROMETHEUS$1" "${@:2}"; }

cleanup() {
    # ENGINE_KEEP=1 (debugging): leave the engine and the stack running.
    [ "${ENGINE_KEEP:-0}" = 1 ] && { elog "ENGINE_KEEP=1: engine and stack left running ($DOCKER_HOST)"; return; }
    if [ -f "$SRV/current/compose.yaml" ] && "${DOCKER[@]}" version >/dev/null 2>&1; then
        dc down -v --remove-orphans >/dev/null 2>&1
    fi
    engine_stop
}
# A previous run that was killed: its engine, namespace and directories go first.
engine_stop
trap cleanup EXIT

# ---- engine, base image, images ---------------------------------------------------
t=$(date +%s)
if out=$(engine_start 2>&1); then
    ok "dockerd started in its own network namespace $ENGINE_NS ($("${DOCKER[@]}" version -f '{{.Server.Version}}'), storage $("${DOCKER[@]}" info -f '{{.Driver}}'))"
else
    not_ok "dockerd starts (its own data-root, exec-root, socket and pidfile under the test directory)" "$out"
    finish
fi
engine_clean_state
if out=$(engine_base_image 2>&1); then
    ok "base image debian:12-slim is Debian 12 minbase from debootstrap ($(($(date +%s) - t)) s so far)"
else
    not_ok "base image from debootstrap" "$out"
    finish
fi
if out=$(engine_build_images 2>&1); then
    ok "built every project Dockerfile ($(cd "$REPO" && echo src/*/Dockerfile)) and the stand-ins ($(($(date +%s) - t)) s so far)"
else
    not_ok "docker build of every image" "$out"
    finish
fi
# From here on nothing leaves the machine: the namespace has no route out.
engine_route_out off

# ---- the test .env and the derived compose file -----------------------------------
mkdir -p "$W/sink" "$W/pg/secrets" "$W/pg/init" "$W/pg/sql"
rnd() { openssl rand -hex 16; }
SMTP_PASSWORD=$(rnd)
PG_SUPER=$(rnd)
GRAFANA_DB_PASSWORD=$(rnd)
EXPORTER_DB_PASSWORD=$(rnd)
# Formats the doctor accepts (a Supabase secret key, a 20-character access key id).
SERVICE_KEY=sb_secret_$(rnd)
ADMIN_PASSWORD=$(rnd)
WASABI_SECRET=$(rnd)
SECRETS=("SMTP_PASSWORD=$SMTP_PASSWORD" "SUPABASE_GRAFANA_PASSWORD=$GRAFANA_DB_PASSWORD"
    "queue_exporter's password=$EXPORTER_DB_PASSWORD" "SUPABASE_SERVICE_KEY=$SERVICE_KEY"
    "GRAFANA_ADMIN_PASSWORD=$ADMIN_PASSWORD" "WASABI_SECRET_KEY=$WASABI_SECRET")
(
    umask 077
    cat >"$W/test.env" <<EOF
MONITORING_CLUSTER=engine-test
PROMETHEUS_REPLICA=0
GRAFANA_ADMIN_PASSWORD=$ADMIN_PASSWORD
GRAFANA_DOMAIN=grafana.engine.test
GRAFANA_SITE=https://grafana.engine.test
CADDY_TLS=internal
SMTP_HOST=smtp-sink
SMTP_PORT=587
SMTP_USER=alerts@engine.test
SMTP_PASSWORD=$SMTP_PASSWORD
SMTP_FROM=monitoring@engine.test
ALERT_EMAIL_TO=ops@engine.test
REPORT_EMAIL_TO=ops@engine.test
GROUP_WAIT=5s
GROUP_INTERVAL=10s
WASABI_ACCESS_KEY=ENGINETESTKEY0000000
WASABI_SECRET_KEY=$WASABI_SECRET
WASABI_BUCKET=engine-test
WASABI_REGION=eu-central-1
WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com
SUPABASE_URL=https://enginetest.supabase.co
SUPABASE_SERVICE_KEY=$SERVICE_KEY
SUPABASE_DB_HOST=supabase-db
SUPABASE_DB_PORT=5432
SUPABASE_GRAFANA_USER=grafana_readonly
SUPABASE_GRAFANA_PASSWORD=$GRAFANA_DB_PASSWORD
SUPABASE_SSLMODE=require
QUEUE_EXPORTER_DSN=host=supabase-db port=5432 dbname=postgres user=queue_exporter password=$EXPORTER_DB_PASSWORD sslmode=require
WATCHDOG_RECEIVER=watchdog-off
REPORT_TIME=08:00
REPORT_TZ=Europe/Paris
SERVER_F_PUBLIC_IP=127.0.0.1
EOF
)
# The sink's copy of the SMTP password and PostgreSQL's init: read by their
# own users (nobody, postgres 999) through bind mounts.
printf '%s' "$SMTP_PASSWORD" >"$W/sink/smtp_password"
printf '%s' "$PG_SUPER" >"$W/pg/secrets/postgres_password"
printf '%s' "$GRAFANA_DB_PASSWORD" >"$W/pg/secrets/grafana_password"
printf '%s' "$EXPORTER_DB_PASSWORD" >"$W/pg/secrets/exporter_password"
cp "$REPO/sql/schema.sql" "$REPO/sql/roles.sql" "$REPO/sql/demo-data.sql" "$W/pg/sql/"
cat >"$W/pg/init/10-supabase.sql" <<'EOF'
\i /sql/schema.sql
\i /sql/demo-data.sql
EOF
# The roles as an operator creates them on Supabase: sql/roles.sh renders
# sql/roles.sql with SCRAM verifiers (the passwords never reach the server).
if ! out=$(DOCTOR=$REPO/build/doctor "$REPO/sql/roles.sh" render --grafana-password-file "$W/pg/secrets/grafana_password" \
    --exporter-password-file "$W/pg/secrets/exporter_password" 2>&1 >"$W/pg/init/20-roles.sql"); then
    not_ok "sql/roles.sh renders the roles for the Supabase stand-in (needs build/doctor: make)" "$out"
    finish
fi
chown -R 65534:65534 "$W/sink" && chmod 0400 "$W/sink/smtp_password"
chown -R 999:999 "$W/pg" && chmod -R go-rwx "$W/pg"

# compose.yaml itself parses under docker-compose 1.29 (the `$|` defect).
if out=$("${COMPOSE[@]}" -p "$PROJECT" --project-directory "$REPO" --env-file "$W/test.env" \
    -f "$REPO/compose.yaml" config 2>&1 >"$W/base-config.yml"); then
    ok "compose.yaml parses and interpolates under docker-compose $("${COMPOSE[@]}" version --short)"
else
    not_ok "compose.yaml parses under docker-compose 1.29" "$out"
    finish
fi
/usr/bin/python3 "$REPO/tests/engine/derive-compose.py" derive "$REPO/compose.yaml" "$PORT_BASE" "$W" \
    >"$W/test-compose.yml" 2>"$W/derive.log" || { not_ok "derive the test compose file" "$(cat "$W/derive.log")"; finish; }
elog "$(cat "$W/derive.log")"
if ! out=$("${COMPOSE[@]}" -p "$PROJECT" --project-directory "$REPO" --env-file "$W/test.env" \
    -f "$W/test-compose.yml" config 2>&1 >"$W/test-config.yml"); then
    not_ok "the derived test compose file parses" "$out"
    finish
fi
check "the test file changes only images and published host ports (plus the left-out and the two outside services)" \
    /usr/bin/python3 "$REPO/tests/engine/derive-compose.py" compare "$W/base-config.yml" "$W/test-config.yml"

# ---- Thanos data volumes: owned by 65534 after volume-init ------------------------
# The stand-in has Thanos' uid (65534) and, like the Thanos image, no /data:
# a fresh volume mounted there is root-owned, and only volume-init fixes it.
"${DOCKER[@]}" volume create "${PROJECT}_probe-fresh" >/dev/null
check_fails "without volume-init, uid 65534 cannot write a fresh volume on /data (the defect it fixes)" \
    "${DOCKER[@]}" run --rm -v "${PROJECT}_probe-fresh:/data" engine-standin/nodata 'touch /data/probe'
"${DOCKER[@]}" volume rm "${PROJECT}_probe-fresh" >/dev/null

# ---- Server F on loopback; the first deploy ---------------------------------------------
engine_adapter "$W"
if out=$(engine_sshd 2>&1); then
    ok "a loopback sshd (key-only, user $ENGINE_SSH_USER in the docker group) plays Server F on 127.0.0.1:$ENGINE_PORT_SSH"
else
    not_ok "a loopback sshd plays Server F" "$out"
    finish
fi
# deploy.sh's ssh, with a known_hosts of its own (root's is never touched).
mkdir -p "$ENGINE_DIR/clientbin"
printf '[127.0.0.1]:%s %s\n' "$ENGINE_PORT_SSH" "$(cut -d' ' -f1,2 "$ENGINE_SSH_DIR/host_key.pub")" >"$ENGINE_SSH_DIR/known_hosts"
printf '#!/bin/sh\nexec /usr/bin/ssh -o UserKnownHostsFile=%s "$@"\n' "$ENGINE_SSH_DIR/known_hosts" >"$ENGINE_DIR/clientbin/ssh"
chmod 755 "$ENGINE_DIR/clientbin/ssh"
# The release: this working tree's tracked files, in a checkout made with
# umask 077 (every file 600, every directory 700).
SRC=$ENGINE_DIR/src
(
    umask 077
    mkdir -p "$SRC"
    git -C "$REPO" ls-files -z | while IFS= read -r -d '' f; do
        [ -e "$REPO/$f" ] && printf '%s\0' "$f"
    done | tar -C "$REPO" --null -T - -cf - | tar -C "$SRC" -xf - --no-same-permissions
    git -C "$SRC" init -q && git -C "$SRC" add -A &&
        git -C "$SRC" -c user.name=engine -c user.email=engine@test.invalid commit -qm release
    cp "$W/test.env" "$SRC/.env"
)
gsrc() { git -C "$SRC" -c user.name=engine -c user.email=engine@test.invalid "$@" >/dev/null; }
deploy() { # deploy HEALTH_TIMEOUT
    PATH=$ENGINE_DIR/clientbin:$PATH bash "$REPO/scripts/deploy.sh" --source "$SRC" --host 127.0.0.1 \
        --port "$ENGINE_PORT_SSH" --user "$ENGINE_SSH_USER" --key "$ENGINE_SSH_DIR/id" \
        --remote-dir "$SRV" --health-timeout "$1" 2>&1
}
assert_eq "the source checkout was made with umask 077" "600" "$(stat -c %a "$SRC/prometheus/prometheus.yml")"
t=$(date +%s)
if out=$(deploy 300); then
    ok "scripts/deploy.sh deploys to the loopback Server F and the stack comes up healthy ($(($(date +%s) - t)) s)"
else
    not_ok "scripts/deploy.sh deploys to the loopback Server F" "$(printf '%s\n' "$out" | tail -40)"
    finish
fi
release1=$(readlink "$SRV/current")
for tool in "compose file valid (docker compose config -q)" \
    "configuration rendered (config-init's image): inventory and templates valid" \
    "Prometheus configuration and rules valid (promtool check config)" \
    "Alertmanager configuration valid (amtool check-config)" "Caddyfile valid (caddy validate)" \
    "dashboards rendered for sql/contract.yaml (doctor --render-dashboards)"; do
    assert_contains "the release was validated with each component's tool: ${tool%% (*}" "$out" "$tool"
done
assert_eq "current is a symlink to the validated release (the switch is one rename)" "symlink releases/" \
    "$([ -L "$SRV/current" ] && echo symlink) $(dirname "$release1")/"
assert_eq "files are readable by the containers although the checkout was umask 077" "644 755" \
    "$(stat -c %a "$SRV/current/prometheus/prometheus.yml") $(stat -c %a "$SRV/current/prometheus/rules")"
assert_eq "the deployed .env stays private" "600" "$(stat -c %a "$SRV/current/.env")"

# ---- Thanos data volumes, as the deploy created them ---------------------------------------
assert_eq "volume-init exited 0" "exited 0" "$("${DOCKER[@]}" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(cname volume-init)" 2>&1)"
for v in thanos-store thanos-compact; do
    check "$v's data volume is writable by uid 65534 on /data (Thanos' user, image without /data)" \
        "${DOCKER[@]}" run --rm --network none -v "${PROJECT}_$v-data:/data" engine-standin/nodata \
        'mkdir -p /data/meta-syncer && touch /data/meta-syncer/probe && rm -r /data/meta-syncer'
done

state() { "${DOCKER[@]}" inspect -f "$1" "$(cname "$2")" 2>/dev/null; }
assert_eq "config-init exited 0" "exited 0" "$(state '{{.State.Status}} {{.State.ExitCode}}' config-init)"

# Every container whose image or compose entry defines a healthcheck turns healthy.
mapfile -t running < <(dc ps --services --filter status=running 2>/dev/null | sort)
with_hc=()
for s in "${running[@]}"; do
    [ -n "$(state '{{if .State.Health}}yes{{end}}' "$s")" ] && with_hc+=("$s")
done
all_healthy() {
    local s
    for s in "${with_hc[@]}"; do [ "$(state '{{.State.Health.Status}}' "$s")" = healthy ] || return 1; done
}
if eventually 240 all_healthy; then
    ok "every healthcheck turns healthy: ${with_hc[*]}"
else
    bad=''
    for s in "${with_hc[@]}"; do
        h=$(state '{{.State.Health.Status}}' "$s")
        [ "$h" = healthy ] || bad+="$s: $h: $(state '{{range .State.Health.Log}}{{.Output}}{{end}}' "$s" | tail -c 300)"$'\n'
    done
    not_ok "every healthcheck turns healthy" "$bad"
fi
for s in queue-exporter daily-report; do
    assert_eq "$s uses its image's own HEALTHCHECK" \
        "$("${DOCKER[@]}" image inspect -f '{{json .Config.Healthcheck.Test}}' "$(state '{{.Config.Image}}' "$s")")" \
        "$(state '{{json .Config.Healthcheck.Test}}' "$s")"
done

# ---- rendered files and secrets ----------------------------------------------------
# Each consumer reads its rendered files as the user it runs as.
check "prometheus (uid $(state '{{.Config.User}}' prometheus)) reads its rendered targets and secret" \
    "${DOCKER[@]}" exec "$(cname prometheus)" sh -c 'cat /etc/prometheus/rendered/targets/node.json /etc/prometheus/rendered/secrets/supabase_service_key >/dev/null'
check "alertmanager (uid $(state '{{.Config.User}}' alertmanager)) reads its rendered config and SMTP password" \
    "${DOCKER[@]}" exec "$(cname alertmanager)" sh -c 'cat /etc/alertmanager/rendered/alertmanager.yml /etc/alertmanager/rendered/smtp_password >/dev/null'
# readable_by VOLUME FILE UID: can UID read FILE in VOLUME?
readable_by() {
    "${DOCKER[@]}" run --rm --network none --user "$3" -v "${PROJECT}_$1:/r:ro" engine-standin/config-init \
        cat "/r/$2" >/dev/null 2>&1
}
check "daily-report (uid $(state '{{.Config.User}}' daily-report)) reads its SMTP password and libpq service file" \
    "${DOCKER[@]}" exec "$(cname daily-report)" sh -c 'cat /run/monitoring/smtp_password /run/monitoring/pg_service.conf >/dev/null'
check "queue-exporter (uid $(state '{{.Config.User}}' queue-exporter)) reads its libpq service file" \
    "${DOCKER[@]}" exec "$(cname queue-exporter)" sh -c 'cat /run/monitoring/pg_service.conf >/dev/null'
for sec in "rendered-alertmanager smtp_password 65534" "rendered-prometheus secrets/supabase_service_key 65534" \
    "rendered-daily-report smtp_password 10002" "rendered-daily-report pg_service.conf 10002" \
    "rendered-queue-exporter pg_service.conf 10001"; do
    read -r vol file uid <<<"$sec"
    check "$vol/$file is readable by its consumer's uid $uid" readable_by "$vol" "$file" "$uid:$uid"
    others=''
    for other in 999 1000 10001 10002 65533 65534; do
        [ "$other" = "$uid" ] && continue
        readable_by "$vol" "$file" "$other:$other" && others+=" $other"
    done
    assert_eq "$vol/$file is readable by no other uid (999 1000 10001 10002 65533 65534 tried)" "" "$others"
done
# The secrets of the services left out here (Grafana, Thanos) are rendered
# all the same: each readable by its consumer's uid only. One container per
# file, every uid tried in it with setpriv.
readers() { # VOLUME FILE: the uids (of those tried) that can read FILE
    # shellcheck disable=SC2016 # expanded by the container's shell
    "${DOCKER[@]}" run --rm --network none -v "${PROJECT}_$1:/r:ro" engine-standin/config-init sh -c \
        'for u in 472 999 1000 10001 10002 65533 65534; do
            setpriv --reuid="$u" --regid="$u" --clear-groups cat "/r/$0" >/dev/null 2>&1 && printf "%s " "$u"
        done' "$2"
}
for sec in "rendered-grafana admin_password 472" "rendered-grafana supabase_password 472" \
    "rendered-thanos objstore.yml 65534"; do
    read -r vol file uid <<<"$sec"
    assert_eq "$vol/$file (consumer left out here) is readable by uid $uid only (472 999 1000 10001 10002 65533 65534 tried)" \
        "$uid " "$(readers "$vol" "$file")"
done
# Each rendered volume is mounted by config-init and its own consumer only.
for vol in rendered-prometheus rendered-alertmanager rendered-thanos rendered-grafana rendered-daily-report rendered-queue-exporter; do
    users=$("${DOCKER[@]}" ps -a --filter "volume=${PROJECT}_$vol" --format '{{.Names}}' | sed "s/^${PROJECT}_//; s/_1$//" | sort | tr '\n' ' ')
    case $vol in
    rendered-prometheus) want="config-init prometheus " ;;
    rendered-alertmanager) want="alertmanager config-init " ;;
    rendered-thanos | rendered-grafana) want="config-init " ;; # their consumers are left out here
    rendered-daily-report) want="config-init daily-report " ;;
    rendered-queue-exporter) want="config-init queue-exporter " ;;
    esac
    assert_eq "$vol is mounted only by config-init and its consumer" "$want" "$users"
done

# ---- scraping and rules over the compose network ------------------------------------
# Present targets: compose services that run here, and node-exporter (host
# network, on the compose gateway). Servers A-E, Supabase and the left-out
# services are outside this machine or not running: listed, not asserted.
present_re='^(prometheus|alertmanager|caddy|queue-exporter|daily-report) |^node 172\.31\.240\.1:9100 '
targets() { prom_api /api/v1/targets | jq -r '.data.activeTargets[] | "\(.labels.job) \(.labels.instance) \(.health)"'; }
present_up() {
    local t
    t=$(targets) || return 1
    [ "$(printf '%s\n' "$t" | grep -cE "$present_re")" -eq 6 ] &&
        ! printf '%s\n' "$t" | grep -E "$present_re" | grep -qv ' up$'
}
if eventually 120 present_up; then
    ok "Prometheus: up == 1 for every present target over the compose network (6)"
else
    not_ok "Prometheus: up == 1 for every present target" "$(targets)"
fi
elog "not asserted (outside this machine or left out): $(targets | grep -vE "$present_re" | awk '{print $1"/"$2}' | tr '\n' ' ')"
qe_db() {
    prom_api /api/v1/query --data-urlencode 'query=queue_exporter_up' | jq -e '.data.result[0].value[1] == "1"' >/dev/null
}
if eventually 60 qe_db; then
    ok "queue-exporter reaches the Supabase stand-in over TLS with its password file (queue_exporter_up == 1)"
else
    not_ok "queue-exporter reaches the Supabase stand-in with its password file" "$(dc logs --tail 10 queue-exporter 2>&1)"
fi
# The rules Prometheus must load: what promtool, in its own container, finds
# through prometheus.yml's rule_files.
nrules=$("${DOCKER[@]}" exec "$(cname prometheus)" promtool check config /etc/prometheus/prometheus.yml 2>&1 |
    awk '/SUCCESS: [0-9]+ rules found/ { n += $2 } END { print n + 0 }')
rules_ok() {
    prom_api /api/v1/rules | jq -e --argjson n "$nrules" \
        '[.data.groups[].rules[]] | length == $n and all(.health == "ok" and .lastEvaluation > "2000")' >/dev/null
}
if eventually 90 rules_ok; then
    ok "Prometheus evaluates every rule of prometheus/rules ($nrules), all healthy"
else
    not_ok "Prometheus evaluates the real rules" "$(prom_api /api/v1/rules | jq -c '[.data.groups[].rules[] | {name, health, lastError}]' | head -c 2000)"
fi

# ---- published ports, from docker inspect --------------------------------------------
wide=''
for c in $("${DOCKER[@]}" ps -q); do
    n=$("${DOCKER[@]}" inspect -f '{{.Name}}' "$c")
    # shellcheck disable=SC2016 # a Go template, not shell
    b=$("${DOCKER[@]}" inspect -f '{{range $p, $l := .HostConfig.PortBindings}}{{range $l}}{{$p}}@{{.HostIp}} {{end}}{{end}}' "$c")
    for x in $b; do
        case ${x#*@} in 127.0.0.1) ;; *) wide+="${n#/}:$x " ;; esac
    done
done
assert_eq "only caddy publishes ports beyond loopback (docker inspect)" \
    "$(cname caddy):443/tcp@ $(cname caddy):443/udp@ $(cname caddy):80/tcp@ " "$(printf '%s' "$wide" | tr ' ' '\n' | sort | sed '/^$/d' | tr '\n' ' ')"

# ---- secrets in docker inspect -----------------------------------------------------------
# no_leaks DESC: no secret value of the test .env (nor a changed one) in the
# docker inspect of any container, running or exited.
no_leaks() {
    local leaks='' c n insp s
    for c in $("${DOCKER[@]}" ps -aq); do
        n=$("${DOCKER[@]}" inspect -f '{{.Name}}' "$c")
        insp=$("${DOCKER[@]}" inspect "$c")
        for s in "${SECRETS[@]}"; do
            [[ $insp == *"${s#*=}"* ]] && leaks+="${n#/} shows ${s%%=*}"$'\n'
        done
    done
    if [ -z "$leaks" ]; then ok "$1"; else not_ok "$1" "$leaks"; fi
}
no_leaks "no secret value of the test .env appears in any container's docker inspect"

# ---- the doctor as a compose service, from inside the compose network -----------------------
# `docker compose run --rm doctor` on the deployed release (profile "tools",
# the image built from src/doctor/Dockerfile above). Inside the container
# 127.0.0.1 has nothing: its checks pass only by reaching the services by
# their compose names (DOCTOR_*_URL in compose.yaml, SMTP_HOST=smtp-sink,
# SUPABASE_DB_HOST=supabase-db, node-exporter on the compose gateway).
# Skipped: servers A-E (documentation addresses in the inventory, outside
# this machine), and what needs the left-out services (Thanos, Grafana) or
# them (stack.targets-up). The only addition is the test CA, which signed
# the SMTP sink's certificate.
cp "$ENGINE_CACHE_DIR/tls/test-ca.crt" "$W/test-ca.crt" && chmod 644 "$W/test-ca.crt"
DOCTOR_OFF_HOST='targets.A.*,targets.B.*,targets.C.*,targets.D.*,targets.E.*'
DOCTOR_SKIP="$DOCTOR_OFF_HOST,stack.targets-up,stack.thanos-sidecar,stack.thanos-store,stack.grafana"
doctor_run() { # RUN_OPTIONS... -- DOCTOR_ARGS...
    local o=()
    while [ "$1" != -- ]; do o+=("$1"); shift; done
    shift
    # As README step 8 says: in the project directory, in the deploy's project.
    (cd "$SRV/current" && "$ENGINE_DIR/bin/docker" compose -p "$PROJECT" run "${o[@]}" \
        -e DOCTOR_CA_FILE=/run/test-ca.crt -v "$W/test-ca.crt:/run/test-ca.crt:ro" doctor "$@" 2>&1)
}
no_secret_in() { # DESC TEXT
    local s found=''
    for s in "${SECRETS[@]}"; do [[ $2 == *"${s#*=}"* ]] && found+="${s%%=*} "; done
    assert_eq "$1" "" "$found"
}
t=$(date +%s)
out=$(doctor_run --rm -- --only env,smtp,supabase,targets,stack --skip "$DOCTOR_SKIP")
rc=$?
if [ "$rc" = 0 ]; then
    ok "docker compose run --rm doctor (env, smtp, supabase, targets, stack) exits 0 on the healthy test stack ($(($(date +%s) - t)) s)"
else
    not_ok "docker compose run --rm doctor exits 0 on the healthy test stack (exit $rc)" "$(grep -v '^✓' <<<"$out")"
fi
passed=''
for id in env.required env.format smtp.starttls smtp.auth supabase.tls supabase.grafana-role supabase.exporter-role \
    targets.F.node stack.prometheus-ready stack.alertmanager; do
    grep -q "^✓ $id " <<<"$out" || passed+="$id "
done
assert_eq "the doctor's checks pass from inside the compose network, by compose names (smtp-sink, supabase-db, prometheus, alertmanager, node-exporter on the gateway)" "" "$passed"
no_secret_in "the doctor's output holds no secret of the .env" "$out"
assert_eq "--rm leaves no doctor container behind" "" \
    "$("${DOCKER[@]}" ps -aq --filter "label=com.docker.compose.project=$PROJECT" --filter label=com.docker.compose.service=doctor)"

# ---- a second deploy: one changed .env value ----------------------------------------------
# containers: "service id started-at" of every container of the project.
containers() {
    "${DOCKER[@]}" ps -a --filter "label=com.docker.compose.project=$PROJECT" \
        --filter label=com.docker.compose.oneoff=False --format '{{.Label "com.docker.compose.service"}} {{.ID}}' |
        sort | while read -r svc id; do
        echo "$svc $id $("${DOCKER[@]}" inspect -f '{{.State.StartedAt}}' "$id")"
    done
}
recreated() { # BEFORE AFTER: services whose container was replaced
    join <(printf '%s\n' "$1") <(printf '%s\n' "$2") | awk '$2 != $4 { print $1 }' | tr '\n' ' '
}
restarted() { # BEFORE AFTER: long-running services whose container (re)started
    join <(printf '%s\n' "$1") <(printf '%s\n' "$2") |
        awk '$3 != $5 && $1 != "config-init" && $1 != "volume-init" { print $1 }' | tr '\n' ' '
}
before=$(containers)
sed -i 's/^REPORT_TIME=.*//; $a REPORT_TIME=07:45' "$SRC/.env"
if out=$(deploy 300); then
    ok "a second deploy with one changed .env value (REPORT_TIME) succeeds"
else
    not_ok "a second deploy with one changed .env value succeeds" "$(printf '%s\n' "$out" | tail -30)"
fi
after=$(containers)
assert_eq "it re-creates exactly the service that reads REPORT_TIME" "daily-report " "$(recreated "$before" "$after")"
assert_eq "no other long-running container was restarted" "daily-report " "$(restarted "$before" "$after")"
release2=$(readlink "$SRV/current")
assert_eq "the switch made a new release current" "yes" "$([ "$release2" != "$release1" ] && echo yes)"

# ---- a third deploy: one changed secret (SMTP_PASSWORD) ------------------------------------
# Read by config-init (from the mounted .env), which renders it into
# Alertmanager's and the daily report's volumes. The sink (Mailgun) accepts
# only the new password from now on: the alert email below authenticates
# with what Alertmanager read after this deploy, the daily report likewise.
SMTP_PASSWORD2=$(rnd)
SECRETS+=("SMTP_PASSWORD (changed)=$SMTP_PASSWORD2")
printf '%s' "$SMTP_PASSWORD2" >"$W/sink/smtp_password"
"${DOCKER[@]}" restart "$(cname smtp-sink)" >/dev/null
before=$(containers)
sed -i "s/^SMTP_PASSWORD=.*/SMTP_PASSWORD=$SMTP_PASSWORD2/" "$SRC/.env"
if out=$(deploy 300); then
    ok "a third deploy with one changed secret (SMTP_PASSWORD) succeeds"
else
    not_ok "a third deploy with one changed secret (SMTP_PASSWORD) succeeds" "$(printf '%s\n' "$out" | tail -30)"
fi
after=$(containers)
assert_eq "it re-creates exactly config-init and the services that read SMTP_PASSWORD" "alertmanager config-init daily-report " \
    "$(recreated "$before" "$after")"
assert_eq "no other long-running container was restarted (prometheus, caddy, node-exporter, queue-exporter ran on)" \
    "alertmanager daily-report " "$(restarted "$before" "$after")"
assert_eq "config-init ran again and exited 0" "exited 0" "$(state '{{.State.Status}} {{.State.ExitCode}}' config-init)"
want=$(printf '%s' "$SMTP_PASSWORD2" | sha256sum | cut -d' ' -f1)
assert_eq "alertmanager reads the new SMTP password from its rendered file" "$want" \
    "$("${DOCKER[@]}" exec "$(cname alertmanager)" sh -c 'sha256sum </etc/alertmanager/rendered/smtp_password' | cut -d' ' -f1)"
assert_eq "daily-report reads the new SMTP password from its rendered file" "$want" \
    "$("${DOCKER[@]}" exec "$(cname daily-report)" sh -c 'sha256sum </run/monitoring/smtp_password' | cut -d' ' -f1)"
check "the re-rendered SMTP password is readable by alertmanager's uid 65534" readable_by rendered-alertmanager smtp_password 65534:65534
check_fails "the re-rendered SMTP password is not readable by the daily report's uid 10002 in Alertmanager's volume" \
    readable_by rendered-alertmanager smtp_password 10002:10002
no_leaks "the changed secret appears in no container's docker inspect"
release2=$(readlink "$SRV/current") # what the refused deploys and the rollback below must keep
assert_eq "the secret change made a new release current" "yes" "$([ "$release2" != "$release1" ] && echo yes)"

# ---- the alert pipeline starts: node-exporter stopped --------------------------------------
# InstanceDown needs 3 min (for: 3m); the refused deploys below happen while
# it is pending, so the alert that then arrives is a fresh one from a stack
# that four deploys were refused against.
t_stop=$(date +%s)
"${DOCKER[@]}" stop "$(cname node-exporter)" >/dev/null
elog "node-exporter stopped; InstanceDown needs 3 min (for: 3m) before it fires"
# The doctor names the broken target and fails. Without --rm, to read the
# container's docker inspect; removed right after.
out=$(doctor_run --name "${PROJECT}_doctor_probe" -- --only targets --skip "$DOCTOR_OFF_HOST")
rc=$?
insp=$("${DOCKER[@]}" inspect "${PROJECT}_doctor_probe" 2>&1)
"${DOCKER[@]}" rm -f "${PROJECT}_doctor_probe" >/dev/null 2>&1
assert_eq "with node-exporter stopped, docker compose run doctor --only targets exits 1" "1" "$rc"
if grep -qE '^✗ targets\.F\.node .*172\.31\.240\.1:9100' <<<"$out"; then
    ok "the doctor names the broken target (targets.F.node, 172.31.240.1:9100) and what it got"
else
    not_ok "the doctor names the broken target (targets.F.node, 172.31.240.1:9100)" "$out"
fi
no_secret_in "no secret in the doctor container's docker inspect" "$insp"
assert_contains "(that docker inspect is the doctor's container)" "$insp" '"com.docker.compose.service": "doctor"'
no_secret_in "no secret in the failing doctor's output" "$out"

# ---- broken releases are refused before anything running is touched -------------------------
prom_start=$(prom_api /api/v1/query --data-urlencode 'query=process_start_time_seconds{job="prometheus"}' | jq -r '.data.result[0].value[1]')
# refused DESC EXPECTED_MESSAGE: deploy the committed change in $SRC; it must
# fail naming the tool, leave current, the containers and the releases alone.
# Its output stays in refused_out.
refused_out=''
refused() {
    local desc=$1 msg=$2 before_c after_c n_rel out rc
    before_c=$(containers)
    n_rel=$(find "$SRV/releases" -mindepth 1 -maxdepth 1 | wc -l)
    out=$(deploy 300) && rc=0 || rc=$?
    refused_out=$out
    if [ "$rc" = 0 ]; then
        not_ok "$desc: the deploy is refused" "$(printf '%s\n' "$out" | tail -20)"
    else
        assert_contains "$desc: refused by $msg" "$out" "$msg"
    fi
    assert_eq "$desc: the previous release is still current" "$release2" "$(readlink "$SRV/current")"
    after_c=$(containers)
    assert_eq "$desc: no container was stopped, restarted or re-created" "" "$(recreated "$before_c" "$after_c")$(restarted "$before_c" "$after_c")"
    assert_eq "$desc: the rejected release was removed, the previous ones kept" "$n_rel" \
        "$(find "$SRV/releases" -mindepth 1 -maxdepth 1 | wc -l)"
    gsrc reset -q --hard HEAD~1
}
printf 'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: up ==\n        labels: {severity: warning}\n' \
    >"$SRC/prometheus/rules/broken.yml"
gsrc add -A && gsrc commit -qm "broken rule"
refused "a broken rule file" "promtool (prometheus' image) rejected"
printf 'G 198.51.100.7 node,nosuchrole\n' >>"$SRC/inventory/servers.txt"
gsrc commit -qam "broken inventory"
refused "a broken inventory line" "the config renderer (config-init's image) rejected"
sed -i '0,/receiver: email-warning/s//receiver: no-such-receiver/' "$SRC/alertmanager/alertmanager.yml"
gsrc commit -qam "undefined receiver"
refused "an alertmanager.yml that amtool rejects" "amtool (alertmanager's image) rejected"
# README step 3: the operator edits the contract (a renamed status column)
# and forgets `build/doctor --render-dashboards`: Grafana would query the
# old column. The doctor's image, built from the release, renders the
# dashboards for the release's contract and names the one that differs.
sed -i '/^  pending_pdf_processing:$/,/^  [a-z_]*:$/ s/^      status: status$/      status: state/' "$SRC/sql/contract.yaml"
assert_contains "(the contract now names the column state)" "$(grep -A5 '^  pending_pdf_processing:' "$SRC/sql/contract.yaml")" "status: state"
gsrc commit -qam "contract edited, dashboards not re-rendered"
refused "an edited contract whose dashboards were not re-rendered" \
    "stale dashboards: the SQL of grafana/dashboards/processing-queues.json is not what sql/contract.yaml gives"
assert_contains "... and says how to fix it" "$refused_out" \
    "Fix: in your checkout run \`make build/doctor && build/doctor --render-dashboards\`, commit sql/contract.yaml and grafana/dashboards together, deploy again"
prom_fresh() {
    prom_api /api/v1/query --data-urlencode 'query=up{job="prometheus"} == 1 and time() - timestamp(up{job="prometheus"}) < 30' |
        jq -e '.data.result | length == 1' >/dev/null
}
if [ "$(prom_api /api/v1/query --data-urlencode 'query=process_start_time_seconds{job="prometheus"}' | jq -r '.data.result[0].value[1]')" = "$prom_start" ] &&
    eventually 60 prom_fresh; then
    ok "after the refused deploys Prometheus runs on (same start time) and keeps scraping"
else
    not_ok "after the refused deploys Prometheus runs on and keeps scraping" "start before $prom_start"
fi

# ---- the alert pipeline through the containers (node-exporter stopped above) ---------------
# mail_count PATTERN: messages in the sink's mail directory whose headers match.
mail_count() {
    "${DOCKER[@]}" exec "$(cname smtp-sink)" sh -c 'cat /var/mail/sink/*.eml 2>/dev/null' |
        grep -c -- "$1"
}
FIRING='^Subject: \[FIRING:1\] CRITICAL InstanceDown on server F'
RESOLVED='^Subject: \[RESOLVED\] CRITICAL InstanceDown on server F'

# Meanwhile: one daily report, through the sink, so that its state file exists.
# A one-off container of the same service and volume; the only additions are
# the test CA (the project's image trusts public CAs, as Mailgun needs) and
# a 1 s retry backoff.
out=$(timeout 180 "$ENGINE_DIR/bin/docker" compose -p "$PROJECT" --project-directory "$SRV/current" \
    -f "$SRV/current/compose.yaml" --env-file "$SRV/current/.env" run --rm -e SMTP_CA_FILE=/run/test-ca.crt -e REPORT_SMTP_BACKOFF_SECONDS=1 \
    -v "$W/test-ca.crt:/run/test-ca.crt:ro" daily-report --once 2>&1)
assert_contains "a daily report is delivered through the sink container (sections needing Thanos Query unavailable)" \
    "$out" "report delivered"
report_state=$("${DOCKER[@]}" run --rm --network none -v "${PROJECT}_daily-report-state:/s:ro" engine-standin/config-init \
    sh -c 'cat /s/state' 2>/dev/null | awk '$1 == "last_success_timestamp_seconds" { print $2 }')

firing() { [ "$(mail_count "$FIRING")" -ge 1 ]; }
if eventually 330 firing; then
    ok "node-exporter container stopped: an InstanceDown email for server F lands in the sink container, Alertmanager authenticating with the changed SMTP_PASSWORD ($(($(date +%s) - t_stop)) s)"
else
    not_ok "node-exporter container stopped: an InstanceDown email lands in the sink container" \
        "$("${DOCKER[@]}" exec "$(cname smtp-sink)" sh -c 'grep -h ^Subject /var/mail/sink/*.eml' 2>&1)"
fi
t=$(date +%s)
"${DOCKER[@]}" start "$(cname node-exporter)" >/dev/null
resolved() { [ "$(mail_count "$RESOLVED")" -ge 1 ]; }
if eventually 180 resolved; then
    ok "node-exporter started again: a resolved email follows ($(($(date +%s) - t)) s)"
else
    not_ok "node-exporter started again: a resolved email follows" \
        "$("${DOCKER[@]}" exec "$(cname smtp-sink)" sh -c 'grep -h ^Subject /var/mail/sink/*.eml' 2>&1)"
fi

# ---- a release that is not healthy in time is rolled back ------------------------------------
# Valid for every tool, broken at run time: Prometheus refuses an unknown flag.
sed -i 's|^      - --storage.tsdb.path=/prometheus$|&\n      - --no-such-flag|' "$SRC/compose.yaml"
if grep -q -- '--no-such-flag' "$SRC/compose.yaml"; then ok "the broken release adds --no-such-flag to Prometheus"; else not_ok "the broken release adds --no-such-flag to Prometheus"; fi
gsrc commit -qam "prometheus with an unknown flag"
t=$(date +%s)
if out=$(deploy 30); then
    not_ok "a release whose stack is not healthy in time fails the deploy" "$(printf '%s\n' "$out" | tail -20)"
else
    assert_contains "a release whose stack is not healthy in time is rolled back automatically ($(($(date +%s) - t)) s)" \
        "$out" "rolled back: $SRV/current points at release ${release2#releases/} again"
fi
gsrc reset -q --hard HEAD~1
assert_eq "after the rollback the previous release is current" "$release2" "$(readlink "$SRV/current")"
if eventually 240 all_healthy; then
    ok "after the rollback the stack is healthy again"
else
    not_ok "after the rollback the stack is healthy again" "$(dc ps 2>&1)"
fi

# ---- data survives down (without -v) and up ----------------------------------------------
amtool() { "${DOCKER[@]}" exec "$(cname alertmanager)" amtool --alertmanager.url=http://127.0.0.1:9093 "$@"; }
silence=$(amtool silence add -a engine-test -c "persistence probe" -d 2h alertname=EnginePersistenceProbe 2>&1)
before=$(date +%s)
nflog_has() { # the notification log on the volume names the group that was notified
    "${DOCKER[@]}" run --rm --network none -v "${PROJECT}_alertmanager-data:/a:ro" engine-standin/config-init \
        grep -qa 'InstanceDown' /a/nflog
}
if ! out=$(dc down 2>&1); then not_ok "docker-compose down (volumes kept)" "$out"; fi
check "Alertmanager wrote its notification log to its volume on the way down" nflog_has
if ! out=$(dc up -d --no-color 2>&1); then not_ok "docker-compose up -d after down" "$out"; fi
eventually 240 all_healthy || not_ok "the stack is healthy again after down/up" "$(dc ps 2>&1)"
silences() { amtool silence query -q 2>/dev/null | grep -qx "$silence"; }
if [ -n "$silence" ] && eventually 60 silences; then
    ok "Alertmanager's silence survives down/up"
else
    not_ok "Alertmanager's silence survives down/up" "silence: $silence; now: $(amtool silence query 2>&1)"
fi
check "Alertmanager's notification log survives down/up" nflog_has
old_samples() {
    prom_api /api/v1/query --data-urlencode "query=count_over_time(up{job=\"prometheus\"}[10m] @ $before)" |
        jq -e '.data.result[0].value[1] | tonumber > 0' >/dev/null
}
if eventually 60 old_samples; then
    ok "Prometheus' TSDB survives down/up (samples from before the down are queryable)"
else
    not_ok "Prometheus' TSDB survives down/up" "$(prom_api /api/v1/query --data-urlencode "query=count_over_time(up{job=\"prometheus\"}[10m] @ $before)" 2>&1)"
fi
report_metric() {
    prom_api /api/v1/query --data-urlencode 'query=daily_report_last_success_timestamp_seconds' |
        jq -e --arg v "$report_state" '.data.result[0].value[1] == $v' >/dev/null
}
if [ -n "$report_state" ] && eventually 90 report_metric; then
    ok "the daily report's state survives down/up (last success $report_state read back by the daemon)"
else
    not_ok "the daily report's state survives down/up" "state before: '$report_state'; metric now: $(prom_api /api/v1/query --data-urlencode 'query=daily_report_last_success_timestamp_seconds' 2>&1)"
fi
