#!/usr/bin/env bash
# The plan's acceptance step, automated on the loopback stack: real
# Prometheus (the production rule files), Alertmanager (the production
# alertmanager.yml, rendered for loopback), node_exporter, the queue
# exporter, PostgreSQL and the SMTP sink.
#
# The scenarios run concurrently, so the whole test takes about a minute:
#   1. the SMTP sink, node_exporter of server B and the queue exporter's
#      database are stopped together;
#   2. InstanceDown{server="B"} and QueueDatabaseUnreachable fire, and
#      Alertmanager's delivery attempts fail (the sink is down);
#   3. the sink comes back: both emails are delivered (nothing lost), the
#      InstanceDown one with "B" in its subject;
#   4. node_exporter of B and the database come back: resolved emails.
# Only the `for:` of the two alerts awaited here are shortened on loopback,
# by local/rule-overrides.txt; the test checks Prometheus loaded exactly
# those and the production `for:` of every other rule.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

for v in PROM_URL AM_URL SMTP_MAILDIR STACK_DIR PORT_BASE QUEUE_EXPORTER_URL; do
    [ -n "${!v:-}" ] || { not_ok "the loopback stack's $v is set (STACK_ENV=${STACK_ENV:-unset})"; finish; }
done
export STACK_DIR PORT_BASE
STACK=$REPO/local/stack.sh

# ---- helpers ---------------------------------------------------------------------------
T0=$(date +%s)
elapsed() { echo "$(($(date +%s) - T0))s"; }
mkdir -p "$SMTP_MAILDIR"
before=$(mktemp)
trap 'rm -f "$before"' EXIT
find "$SMTP_MAILDIR" -maxdepth 1 -name '*.eml' -printf '%f\n' | sort >"$before"
# One JSON object per email received since this test started.
mails() {
    "$PY3" - "$SMTP_MAILDIR" "$before" <<'PY'
import email, email.policy, glob, json, os, sys
old = set(open(sys.argv[2]).read().split())
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    if os.path.basename(f) in old:
        continue
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    parts = {p.get_content_type(): p.get_content() for p in m.walk() if not p.is_multipart()}
    print(json.dumps({"file": os.path.basename(f), "subject": str(m["subject"]),
                      "text": parts.get("text/plain", ""), "html": parts.get("text/html", "")}))
PY
}
has_mail() { mails | jq -e -s --arg a "$1" --arg b "$2" 'any(.[]; (.subject | contains($a)) and (.subject | contains($b)))' >/dev/null; }
first_mail() { mails | jq -s -c --arg a "$1" --arg b "$2" '[.[] | select((.subject | contains($a)) and (.subject | contains($b)))][0] // empty'; }
firing_in_prometheus() { # ALERTNAME [SERVER]
    prom_query "ALERTS{alertname=\"$1\",alertstate=\"firing\"${2:+,server=\"$2\"}}" | jq -e '.data.result | length > 0' >/dev/null
}
active_in_alertmanager() { # ALERTNAME
    curl -fsS --max-time 5 "$AM_URL/api/v2/alerts?filter=alertname%3D%22$1%22&active=true" | jq -e 'length > 0' >/dev/null
}
am_failed_email_requests() {
    curl -fsS --max-time 5 "$AM_URL/metrics" |
        awk '/^alertmanager_notification_requests_failed_total\{integration="email"\}/ { print $2 }'
}
more_failures_than() { [ "$(am_failed_email_requests)" -gt "$1" ] 2>/dev/null; }
svc() { "$STACK" svc "$@" >/dev/null 2>&1; }

# Whatever happens, leave the stack as we found it for the other tests.
restore() {
    svc start smtp
    svc start node-b
    pid_alive "$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)" || svc start postgres
}
trap 'restore; rm -f "$before"' EXIT

# ---- preconditions -------------------------------------------------------------------------
rules_json=$(curl -fsS --max-time 10 "$PROM_URL/api/v1/rules?type=alert")
# Loopback overrides: exactly the ones listed, everything else production.
while read -r name dur _; do
    case $name in '' | \#*) continue ;; esac
    secs=$(awk -v d="$dur" 'BEGIN { n = d + 0; u = substr(d, length(d)); print n * (u == "m" ? 60 : (u == "h" ? 3600 : 1)) }')
    assert_eq "loopback for: of $name is the override in local/rule-overrides.txt ($dur)" "$secs" \
        "$(jq -r --arg a "$name" '[.data.groups[].rules[] | select(.name == $a) | .duration] | unique | join(",")' <<<"$rules_json")"
done <"$REPO/local/rule-overrides.txt"
assert_eq "every other rule keeps its production for: on loopback" "" "$(
    "$PY3" - "$REPO" <(printf '%s' "$rules_json") <<'PY'
import glob, json, re, sys, yaml
repo, loaded = sys.argv[1], json.load(open(sys.argv[2]))
ov = {l.split()[0] for l in open(repo + "/local/rule-overrides.txt") if l.strip() and not l.startswith("#")}
def secs(d):
    return sum(int(v) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[u] for v, u in re.findall(r"(\d+)([smhd])", d or "0s"))
want = {}
for f in glob.glob(repo + "/prometheus/rules/*.yml"):
    for g in yaml.safe_load(open(f))["groups"]:
        for r in g["rules"]:
            if "alert" in r:
                want[(r["alert"], r["labels"]["severity"])] = secs(r.get("for"))
got = {(r["name"], r["labels"].get("severity")): r["duration"] for g in loaded["data"]["groups"] for r in g["rules"]}
for k, v in sorted(want.items()):
    if k[0] not in ov and got.get(k) != v:
        print("%s: loaded %s, production %s" % (k, got.get(k), v))
PY
)"
check "node_exporter of B is up before the test" eventually 20 \
    bash -c "[ \"\$(curl -fsS '$PROM_URL/api/v1/query' --data-urlencode 'query=up{job=\"node\",server=\"B\"}' | jq -r '.data.result[0].value[1]')\" = 1 ]"
if ! wait_http "$QUEUE_EXPORTER_URL/healthz" 5; then
    not_ok "the queue exporter runs in the loopback stack (build/queue-exporter)" "$QUEUE_EXPORTER_URL/healthz does not answer"
    finish
fi
check "the queue exporter reaches its database before the test" eventually 30 \
    bash -c "[ \"\$(curl -fsS '$PROM_URL/api/v1/query' --data-urlencode 'query=queue_exporter_up' | jq -r '.data.result[0].value[1]')\" = 1 ]"
failed0=$(am_failed_email_requests)
[ -n "$failed0" ] || failed0=0

# ---- 1. SMTP sink, node_exporter of B and the database go down together ---------------
svc stop smtp
svc stop node-b
svc stop postgres
if (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null; then
    not_ok "the SMTP sink is down" "port $SMTP_PORT still answers"
else
    ok "the SMTP sink is down ($(elapsed))"
fi

# ---- 2. the alerts fire while mail cannot be delivered ---------------------------------
check "InstanceDown{server=B} fires in Prometheus" eventually 60 firing_in_prometheus InstanceDown B
check "QueueDatabaseUnreachable fires in Prometheus" eventually 60 firing_in_prometheus QueueDatabaseUnreachable
check "Alertmanager holds InstanceDown" eventually 20 active_in_alertmanager InstanceDown
check "Alertmanager holds QueueDatabaseUnreachable" eventually 20 active_in_alertmanager QueueDatabaseUnreachable
check "Alertmanager tried to email them and failed (sink down) ($(elapsed))" eventually 30 more_failures_than "$failed0"
assert_eq "no InstanceDown email could be delivered meanwhile" "" "$(first_mail InstanceDown "server B")"

# ---- 3. the sink is back: nothing was lost ---------------------------------------------
svc start smtp
check "the SMTP sink is back" wait_port "$SMTP_PORT" 15
check "InstanceDown email with B in its subject delivered after the outage" \
    eventually 90 has_mail "[FIRING" "InstanceDown on server B"
check "QueueDatabaseUnreachable email delivered after the outage ($(elapsed))" \
    eventually 90 has_mail "[FIRING" "QueueDatabaseUnreachable on server supabase"
m=$(first_mail "[FIRING" "InstanceDown on server B")
assert_contains "InstanceDown subject names server B and its severity" "$(jq -r .subject <<<"$m")" \
    "CRITICAL InstanceDown on server B - Server B is down"
text=$(jq -r .text <<<"$m")
assert_contains "InstanceDown email: server" "$text" "Server:    B"
assert_contains "InstanceDown email: value" "$text" "Value:     unreachable"
assert_contains "InstanceDown email: the infrastructure dashboard of B" "$text" "/d/infra-overview?var-server=B"
assert_contains "InstanceDown email: a silence link" "$text" "$AM_URL/#/silences/new?filter="
assert_contains "InstanceDown email: the target that is down" "$text" "127.0.0.1:$(port_of node-b)"
q=$(first_mail "[FIRING" "QueueDatabaseUnreachable")
assert_contains "QueueDatabaseUnreachable email: the processing-queues dashboard" "$(jq -r .text <<<"$q")" \
    "/d/processing-queues?var-server=supabase"
assert_contains "QueueDatabaseUnreachable email: says where the exporter runs (F)" "$(jq -r .text <<<"$q")" \
    "Queue exporter on server F cannot reach the Supabase database"

# ---- 4. recovery: resolved emails ------------------------------------------------------------
svc start node-b
svc start postgres
check "node_exporter of B is back" wait_http "$NODE_B_URL/metrics" 15
check "resolved email for InstanceDown on B" eventually 60 has_mail "[RESOLVED]" "InstanceDown on server B"
r=$(first_mail "[RESOLVED]" "InstanceDown on server B")
assert_contains "the resolved email says when it ended" "$(jq -r .text <<<"$r")" "Resolved:  "
check "resolved email for QueueDatabaseUnreachable ($(elapsed))" \
    eventually 90 has_mail "[RESOLVED]" "QueueDatabaseUnreachable on server supabase"
assert_eq "exactly one firing InstanceDown email for B (delivered once, not duplicated)" 1 \
    "$(mails | jq -s '[.[] | select((.subject | contains("[FIRING")) and (.subject | contains("InstanceDown on server B")))] | length')"
check "the stack is whole again: queue_exporter_up is 1" eventually 30 \
    bash -c "[ \"\$(curl -fsS '$PROM_URL/api/v1/query' --data-urlencode 'query=queue_exporter_up' | jq -r '.data.result[0].value[1]')\" = 1 ]"
echo "# end-to-end scenarios took $(elapsed)"

finish
