#!/usr/bin/env bash
# The watcher (build/watcher) watching a Prometheus + Alertmanager pair of
# its own, so stopping them disturbs no other test: Prometheus evaluates the
# repository's Watchdog rule (prometheus/rules/meta.yml), Alertmanager runs
# the repository's alertmanager.yml rendered with WATCHDOG_RECEIVER=
# watchdog-watcher, and the watcher mails into an SMTP sink. Loopback only
# shortens times: grace 15 s, steady 5 s, the Watchdog every 2 s, and
# Prometheus' alert resend delay 1 s (production: 1 min, so Alertmanager
# keeps a dead Prometheus' Watchdog alive for 4 more minutes).
#   - bad input (wrong or missing token, junk, another cluster, a resolved
#     Watchdog, 10 MB) refused with 401/400/413 and nothing recorded;
#   - doctor --only watcher from "F": answers, accepts the token;
#   - restarted while healthy: no mail;
#   - Alertmanager stopped: one alert mail within grace + 1 min; the watcher
#     restarted mid-outage: still one alert in total, no "restored";
#     Alertmanager back while the SMTP sink is down: the restored mail is
#     retried and delivered once the sink is back, exactly once;
#   - second run, Prometheus stopped with the sink refusing (451) when the
#     alert falls due: retried, delivered within grace + 1 min; back: one
#     restored mail;
#   - the release build under valgrind: no error, no leak.
# Ports: PORT_BASE + 700 (Prometheus), 701 (Alertmanager), 702 (watcher),
# 703 (SMTP sink), 704 (watcher under valgrind).
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

base=${PORT_BASE:-29000}
PROM_PORT=$((base + 700))
AM_PORT=$((base + 701))
W_PORT=$((base + 702))
SMTP_P=$((base + 703))
VG_PORT=$((base + 704))
W=http://127.0.0.1:$W_PORT
GRACE=15
BIN=$REPO/build/asan/watcher
[ -x "$BIN" ] || BIN=$REPO/build/watcher

for bin in prometheus prometheus-alertmanager curl jq "$BIN" "$REPO/build/doctor"; do
    command -v "$bin" >/dev/null || { not_ok "$bin is installed / built"; finish; }
done

T=$(mktemp -d /tmp/watcher-test.XXXXXX)
P=$T/pids
cleanup() {
    for n in watcher watcher-vg prometheus alertmanager smtp; do stop_daemon "$P" "$n"; done
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$P" "$T/mail" "$T/w"
(umask 077 && openssl rand -hex 24 >"$T/token")
TOKEN=$(cat "$T/token")

start_smtp() {
    start_daemon "$P" smtp "$T/smtp.log" "$PY3" "$REPO/local/smtp-sink.py" \
        --listen "127.0.0.1:$SMTP_P" --maildir "$T/mail"
    wait_port "$SMTP_P" 15
}
# The watcher as installed on the watching server, with loopback periods.
start_watcher() {
    start_daemon "$P" watcher "$T/watcher.log" env -i PATH="$PATH" WATCHER_LISTEN="127.0.0.1:$W_PORT" \
        WATCHER_TOKEN_FILE="$T/token" WATCHER_CLUSTER=wtest WATCHER_STATE_FILE="$T/w/state" \
        WATCHER_GRACE="${GRACE}s" WATCHER_STEADY=5s WATCHER_REMIND=1h WATCHER_SMTP_BACKOFF_SECONDS=1 \
        SMTP_HOST=127.0.0.1 SMTP_PORT="$SMTP_P" SMTP_TLS=none SMTP_FROM="Watcher <watcher@loopback.test>" \
        ALERT_EMAIL_TO=ops@loopback.test "$BIN"
    wait_http "$W/healthz" 20
}
stop_watcher() { stop_daemon "$P" watcher; }
start_am() {
    start_daemon "$P" alertmanager "$T/am.log" prometheus-alertmanager --config.file="$T/am.yml" \
        --storage.path="$T/am-data" --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address=
    wait_http "http://127.0.0.1:$AM_PORT/-/ready" 20
}
start_prom() {
    start_daemon "$P" prometheus "$T/prom.log" prometheus --config.file="$T/prom/prometheus.yml" \
        --storage.tsdb.path="$T/prom/data" --web.listen-address="127.0.0.1:$PROM_PORT" \
        --rules.alert.resend-delay=1s
    wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 30
}

# metric NAME[{labels}]: its value on the watcher's /metrics (empty if absent).
metric() { curl -fsS --max-time 5 "$W/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
metric_above() { local v; v=$(metric "$1"); [ -n "$v" ] && awk -v v="$v" -v t="$2" 'BEGIN { exit !(v > t) }'; }
# count SUBJECT-PART: mails in the sink whose subject contains it.
count() { grep -l -- "^Subject: \[WATCHER\].*$1" "$T"/mail/*.eml 2>/dev/null | wc -l; }
count_is() { [ "$(count "$1")" = "$2" ]; }
ALERT="silent since"
RESTORED="restored"
post() { # post TOKEN BODY_FILE -> HTTP status
    curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $1" \
        -H 'Content-Type: application/json' --data-binary "@$2" "$W/webhook"
}
# waited_less_than SECONDS CMD...: CMD becomes true before SECONDS pass.
waited_less_than() { eventually "$@"; }

# ---- configuration -------------------------------------------------------------
mkdir -p "$T/prom"
cp "$REPO/prometheus/rules/meta.yml" "$T/prom/"
cat >"$T/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {cluster: wtest, replica: "0"}
rule_files: [meta.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["127.0.0.1:$AM_PORT"]}]
scrape_configs:
  - job_name: watcher
    static_configs: [{targets: ["127.0.0.1:$W_PORT"], labels: {server: B}}]
EOF
: >"$T/smtp_password"
if ! out=$(env -i PATH="$PATH" SMTP_SMARTHOST="127.0.0.1:$SMTP_P" SMTP_FROM=alertmanager@loopback.test \
    SMTP_USER='' SMTP_PASSWORD_FILE="$T/smtp_password" SMTP_REQUIRE_TLS=false ALERT_EMAIL_TO=ops@loopback.test \
    GRAFANA_URL=https://grafana.test ALERTMANAGER_URL="http://127.0.0.1:$AM_PORT" \
    ALERTMANAGER_TEMPLATES_DIR="$REPO/alertmanager/templates" \
    GROUP_WAIT=1s GROUP_INTERVAL=2s REPEAT_INTERVAL_CRITICAL=1h REPEAT_INTERVAL_WARNING=1h WATCHDOG_INTERVAL=2s \
    WATCHDOG_RECEIVER=watchdog-watcher WATCHER_URL="$W/webhook" WATCHER_CREDENTIALS_FILE="$T/token" \
    sh "$REPO/scripts/render-config.sh" template "$REPO/alertmanager/alertmanager.yml" "$T/am.yml" \
    "$REPO/alertmanager/defaults.env" 2>&1); then
    not_ok "render alertmanager.yml with the watcher receiver" "$out"
    finish
fi
assert_not_contains "the rendered alertmanager.yml holds no token" "$(cat "$T/am.yml")" "$TOKEN"

# ---- 1. first start alone: bad input refused, nothing recorded ------------------------
check "SMTP sink up" start_smtp
check "watcher up (first start, no state file)" start_watcher
assert_eq "--version" "watcher $(cat "$REPO/VERSION")" "$("$BIN" --version)"
assert_contains "--help names the settings" "$("$BIN" --help)" "WATCHER_TOKEN_FILE"
out=$(env -i PATH="$PATH" WATCHER_TOKEN_FILE="$T/token" WATCHER_CLUSTER=wtest SMTP_HOST=127.0.0.1 \
    SMTP_TLS=none SMTP_FROM=watcher@loopback.test ALERT_EMAIL_TO=ops@loopback.test "$BIN" --check-config 2>&1)
assert_eq "--check-config with good settings exits 0" 0 "$?"
assert_contains "--check-config says what it will use" "$out" "settings OK: listen 127.0.0.1:9202, cluster wtest"
out=$(env -i PATH="$PATH" WATCHER_TOKEN_FILE="$T/token" "$BIN" --check-config 2>&1)
assert_eq "--check-config with WATCHER_CLUSTER unset exits 1" 1 "$?"
assert_contains "--check-config names the missing variable" "$out" "WATCHER_CLUSTER is not set"
out=$("$BIN" --listen 127.0.0.1:1 2>&1)
assert_eq "an unknown argument exits 2" 2 "$?"
assert_contains "an unknown argument is named" "$out" "watcher: unknown argument '--listen'"

good() { # good CLUSTER STATUS -> a body shaped like Alertmanager's
    jq -cn --arg c "$1" --arg s "$2" '{receiver: "watchdog-watcher", status: $s, version: "4",
        alerts: [{status: $s, labels: {alertname: "Watchdog", severity: "none", cluster: $c, replica: "0"},
                  annotations: {summary: "Watchdog"}, startsAt: "2026-11-30T09:00:00Z", endsAt: "0001-01-01T00:00:00Z"}],
        groupLabels: {alertname: "Watchdog"}, commonLabels: {alertname: "Watchdog"}, externalURL: "http://am"}'
}
good wtest firing >"$T/good.json"
good other firing >"$T/other.json"
good wtest resolved >"$T/resolved.json"
printf '{"version":"4","alerts":[' >"$T/junk1.json"
printf 'not json at all' >"$T/junk2.json"
printf '[]' >"$T/junk3.json"
printf '{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"InstanceDown","cluster":"wtest"}}]}' >"$T/junk4.json"
head -c 10485760 /dev/zero | tr '\0' ' ' >"$T/big.json"
cp "$T/good.json" "$T/big-valid.json" && head -c 10485760 /dev/zero | tr '\0' ' ' >>"$T/big-valid.json"

assert_eq "wrong token: 401" 401 "$(post wrong-token-0123456789 "$T/good.json")"
assert_eq "no token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T/good.json" "$W/webhook")"
assert_eq "Basic instead of Bearer: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -u "x:$TOKEN" --data-binary "@$T/good.json" "$W/webhook")"
for j in junk1 junk2 junk3 junk4; do
    assert_eq "junk body ($j): 400" 400 "$(post "$TOKEN" "$T/$j.json")"
done
assert_eq "a Watchdog of another cluster: 400" 400 "$(post "$TOKEN" "$T/other.json")"
assert_contains "another cluster: the answer says why" \
    "$(curl -s -H "Authorization: Bearer $TOKEN" --data-binary "@$T/other.json" "$W/webhook")" "another cluster"
assert_eq "a resolved Watchdog: 400" 400 "$(post "$TOKEN" "$T/resolved.json")"
assert_eq "10 MB body: 413" 413 "$(post "$TOKEN" "$T/big.json")"
assert_eq "10 MB body starting with a valid Watchdog: 413" 413 "$(post "$TOKEN" "$T/big-valid.json")"
assert_eq "10 MB body, chunked: 413" 413 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $TOKEN" \
    -H 'Transfer-Encoding: chunked' --data-binary "@$T/big.json" "$W/webhook")"
assert_eq "GET /webhook: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$W/webhook")"
assert_eq "nothing recorded: heartbeats_total 0" 0 "$(metric watcher_heartbeats_total)"
assert_eq "nothing recorded: last heartbeat 0" 0 "$(metric watcher_last_heartbeat_timestamp_seconds)"
assert_eq "nothing recorded: state file" "last_beat=0" "$(grep '^last_beat=' "$T/w/state" 2>/dev/null)"
assert_eq "refusals counted: 3 unauthorized" 3 "$(metric 'watcher_webhook_rejected_total{reason="unauthorized"}')"
assert_eq "refusals counted: 7 bad requests" 7 "$(metric 'watcher_webhook_rejected_total{reason="bad_request"}')"
log=$(cat "$T/watcher.log")
assert_contains "each refusal is logged" "$log" "webhook refused (401): wrong bearer token"
assert_not_contains "the log never holds the token" "$log" "$TOKEN"
assert_eq "a valid heartbeat: 200" 200 "$(post "$TOKEN" "$T/good.json")"
assert_eq "a valid heartbeat is recorded" 1 "$(metric watcher_heartbeats_total)"

# ---- 2. the doctor, from "F" ------------------------------------------------------------
printf 'WATCHDOG_RECEIVER=watchdog-watcher\nWATCHER_URL=%s/webhook\nWATCHER_TOKEN=%s\n' "$W" "$TOKEN" >"$T/f.env"
chmod 600 "$T/f.env"
out=$("$REPO/build/doctor" --env-file "$T/f.env" --only watcher 2>&1)
rc=$?
assert_eq "doctor --only watcher passes" 0 "$rc"
assert_contains "doctor: the watcher answers" "$out" "answers"
assert_contains "doctor: the token is accepted and a wrong one refused" "$out" "accepts WATCHER_TOKEN and refuses a wrong one"
assert_not_contains "doctor: never prints the token" "$out" "$TOKEN"
printf 'WATCHER_URL=%s/webhook\nWATCHER_TOKEN=another-token-0123456789\n' "$W" >"$T/f-bad.env"
chmod 600 "$T/f-bad.env"
out=$("$REPO/build/doctor" --env-file "$T/f-bad.env" --only watcher 2>&1)
assert_contains "doctor: a wrong WATCHER_TOKEN fails with the fix" "$out" "refuses WATCHER_TOKEN"
assert_eq "doctor probes were not heartbeats" 1 "$(metric watcher_heartbeats_total)"
# The env group: the watcher receiver needs its URL and token.
sed 's/^WATCHDOG_RECEIVER=.*/WATCHDOG_RECEIVER=watchdog-watcher/' "$REPO/tests/fixtures/doctor/good.env" >"$T/g.env"
chmod 600 "$T/g.env"
out=$("$REPO/build/doctor" --env-file "$T/g.env" --only env 2>&1)
assert_contains "doctor env: watchdog-watcher without WATCHER_URL is named" "$out" \
    "WATCHDOG_RECEIVER=watchdog-watcher needs WATCHER_URL"
printf 'WATCHER_URL=%s/webhook\nWATCHER_TOKEN=%s\n' "$W" "$TOKEN" >>"$T/g.env"
out=$("$REPO/build/doctor" --env-file "$T/g.env" --only env 2>&1)
assert_not_contains "doctor env: with both set, no watcher issue" "$out" "needs WATCHER_URL"
assert_not_contains "doctor env: the token is not printed" "$out" "$TOKEN"

# ---- 3. the pair: heartbeats flow --------------------------------------------------------
check "Alertmanager up" start_am
check "Prometheus up" start_prom
check "heartbeats arrive from Alertmanager" eventually 60 metric_above watcher_heartbeats_total 3
check "Prometheus scrapes the watcher" eventually 30 bash -c \
    "curl -fsS 'http://127.0.0.1:$PROM_PORT/api/v1/query?query=watcher_state%7Bstate%3D%22ok%22%7D' | jq -e '.data.result[0].value[1] == \"1\"'"

# ---- 4. restarted while healthy: no mail ---------------------------------------------------
stop_watcher
assert_contains "SIGTERM: clean stop, logged" "$(tail -3 "$T/watcher.log")" "stopped"
check "watcher restarted while healthy" start_watcher
t_restart=$(date +%s)
# Heartbeats must cover more than a grace period after the restart.
beyond_grace() { local lb; lb=$(metric watcher_last_heartbeat_timestamp_seconds); [ -n "$lb" ] && [ "${lb%.*}" -gt $((t_restart + GRACE + 2)) ]; }
check "heartbeats continue for more than a grace period after the restart" eventually 90 beyond_grace
assert_eq "restarted while healthy: no mail" 0 "$(count '')"
assert_eq "restarted while healthy: state ok" 1 "$(metric 'watcher_state{state="ok"}')"

# ---- 5. Alertmanager stopped: one alert within grace + 1 min --------------------------------
stop_daemon "$P" alertmanager
check "Alertmanager stopped: the alert mail arrives within grace + 1 min" waited_less_than $((GRACE + 60)) count_is "$ALERT" 1
mail=$(cat "$(grep -l -F "$ALERT" "$T"/mail/*.eml | head -1)" 2>/dev/null)
assert_contains "alert mail: subject" "$mail" "Subject: [WATCHER] monitoring on Server F silent since"
assert_contains "alert mail: sender from SMTP_FROM" "$mail" "From: Watcher <watcher@loopback.test>"
assert_contains "alert mail: names the cluster" "$mail" "(cluster wtest)"
assert_contains "alert mail: what to check first" "$mail" "What to check first"
assert_eq "state silent" 1 "$(metric 'watcher_state{state="silent"}')"

# Restarted mid-outage: neither a second alert nor a "restored".
stop_watcher
check "watcher restarted mid-outage" start_watcher
t_restart=$(date +%s)
past_grace() { [ "$(date +%s)" -gt $((t_restart + GRACE + 5)) ]; }
check "more than a grace period passes after the restart" eventually 60 past_grace
assert_eq "restarted mid-outage: still exactly one alert mail" 1 "$(count "$ALERT")"
assert_eq "restarted mid-outage: no restored mail" 0 "$(count "$RESTORED")"
assert_eq "restarted mid-outage: still silent" 1 "$(metric 'watcher_state{state="silent"}')"

# Alertmanager back while the SMTP sink is down: the restored mail waits.
stop_daemon "$P" smtp
check "Alertmanager started again" start_am
check "SMTP down: the restored mail is due and fails" eventually 60 metric_above 'watcher_mails_failed_total{kind="restored"}' 0
assert_eq "SMTP down: the mail is pending" 1 "$(metric watcher_mail_pending)"
check "SMTP sink back" start_smtp
check "SMTP back: exactly one restored mail" eventually 60 count_is "$RESTORED" 1
check "mail no longer pending" eventually 10 metric_is watcher_mail_pending 0
assert_eq "run 1: one alert mail in total" 1 "$(count "$ALERT")"
assert_contains "restored mail: the outage's span" "$(cat "$(grep -l -F "$RESTORED" "$T"/mail/*.eml | head -1)")" "Silent from "

# ---- 6. second run: Prometheus stopped, the sink refusing when the alert falls due -----------
touch "$T/smtp-refuse"
failed0=$(metric 'watcher_mails_failed_total{kind="alert"}')
stop_daemon "$P" prometheus
t_stop=$(date +%s)
check "Prometheus stopped: the alert mail falls due and is refused (451)" \
    eventually $((GRACE + 60)) metric_above 'watcher_mails_failed_total{kind="alert"}' "$failed0"
rm -f "$T/smtp-refuse"
check "sink accepting again: the alert is retried and delivered" eventually 60 count_is "$ALERT" 2
delivered_in=$(($(date +%s) - t_stop))
if [ "$delivered_in" -le $((GRACE + 60)) ]; then
    ok "Prometheus stopped: alert delivered within grace + 1 min (${delivered_in}s)"
else
    not_ok "Prometheus stopped: alert delivered within grace + 1 min" "took ${delivered_in}s"
fi
check "Prometheus started again" start_prom
check "Prometheus back: one restored mail" eventually 60 count_is "$RESTORED" 2
assert_eq "in all: two alerts, two restored mails, nothing else" 4 "$(count '')"
assert_not_contains "the watcher's log never holds the token" "$(cat "$T/watcher.log")" "$TOKEN"
stop_watcher
if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T/watcher.log"; then
    not_ok "no sanitizer report in the watcher's log" "$(grep -E -A5 'Sanitizer|runtime error' "$T/watcher.log" | head -20)"
else
    ok "no sanitizer report in the watcher's log"
fi

# ---- 7. the release build under valgrind ----------------------------------------------------
if command -v valgrind >/dev/null; then
    env -i PATH="$PATH" WATCHER_LISTEN="127.0.0.1:$VG_PORT" WATCHER_TOKEN_FILE="$T/token" WATCHER_CLUSTER=wtest \
        WATCHER_STATE_FILE="$T/w/vg-state" WATCHER_GRACE=2s WATCHER_STEADY=1s WATCHER_REMIND=1h \
        WATCHER_SMTP_BACKOFF_SECONDS=1 SMTP_HOST=127.0.0.1 SMTP_PORT="$SMTP_P" SMTP_TLS=none \
        SMTP_FROM=watcher@loopback.test ALERT_EMAIL_TO=ops@loopback.test \
        valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
        --log-file="$T/valgrind.log" "$REPO/build/watcher" >"$T/vg.log" 2>&1 </dev/null &
    VGPID=$!
    echo "$VGPID" >"$P/watcher-vg.pid"
    V=http://127.0.0.1:$VG_PORT
    check "under valgrind: answers" wait_http "$V/healthz" 60
    for f in good junk1 junk2 other big; do
        curl -s -o /dev/null --max-time 30 -H "Authorization: Bearer $TOKEN" --data-binary "@$T/$f.json" "$V/webhook"
    done
    curl -s -o /dev/null --max-time 10 -H "Authorization: Bearer nope-nope-nope-nope" --data-binary "@$T/good.json" "$V/webhook"
    curl -s -o /dev/null --max-time 10 "$V/metrics"
    vg_alert() { [ "$(count "$ALERT")" -ge 3 ]; }
    check "under valgrind: silent after its grace, the alert mail sent" eventually 60 vg_alert
    curl -s -o /dev/null --max-time 10 -H "Authorization: Bearer $TOKEN" --data-binary "@$T/good.json" "$V/webhook"
    kill -TERM "$VGPID"
    wait "$VGPID"
    rc=$?
    rm -f "$P/watcher-vg.pid"
    assert_eq "under valgrind: clean exit after SIGTERM (99 would be a valgrind error)" 0 "$rc"
    assert_valgrind_clean "$T/valgrind.log"
else
    not_ok "valgrind is installed (tests/install-deps.sh)"
fi
finish
