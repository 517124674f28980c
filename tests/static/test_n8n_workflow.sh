#!/usr/bin/env bash
# n8n/monitoring-daily-report.json, the importable n8n variant of the daily
# report (n8n itself cannot be installed here). Checked:
#   - valid JSON with the fields an n8n export has; node types and versions
#     n8n ships; unique ids and names; positions;
#   - connections name existing nodes and chain the plan's steps from the
#     08:00 trigger to the e-mail, each node reached once, no cycle;
#   - Prometheus and Alertmanager reached through the Settings URLs (Caddy
#     with basic auth), never a public :9090/:9093; credentials referenced by
#     name only; no secret-looking value anywhere;
#   - the Code node's JavaScript parses and, run with n8n's $()/$now
#     stand-ins, builds the expected e-mail: figures, escaping, Watchdog left
#     out, unavailable sections when a source failed.
# The queries themselves run for real on the loopback stack in
# tests/integration/test_daily_report_n8n.sh.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
WF=$REPO/n8n/monitoring-daily-report.json
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

[ -f "$WF" ] || { not_ok "n8n/monitoring-daily-report.json exists"; finish; }
check "the workflow is valid JSON" jq -e . "$WF"

"$PY3" - "$WF" >"$T/structure.out" 2>&1 <<'PY'
import json, re, sys

wf = json.load(open(sys.argv[1]))


def check(desc, cond, evidence=""):
    print(("ok - " if cond else "not ok - ") + desc)
    if not cond and evidence:
        for line in str(evidence)[:2000].splitlines():
            print("    # " + line)


# n8n's base nodes this workflow may use, with the versions it is written for
TYPES = {"n8n-nodes-base.scheduleTrigger": 1.2, "n8n-nodes-base.set": 3.4,
         "n8n-nodes-base.httpRequest": 4.2, "n8n-nodes-base.postgres": 2.5,
         "n8n-nodes-base.code": 2, "n8n-nodes-base.emailSend": 2.1}
check("top level: name, nodes, connections, settings",
      wf.get("name") == "monitoring-daily-report" and isinstance(wf.get("nodes"), list)
      and isinstance(wf.get("connections"), dict) and isinstance(wf.get("settings"), dict),
      list(wf))
check("imported inactive (activate after setting up the credentials)", wf.get("active") is False)
check("the schedule runs in Europe/Paris (workflow time zone)",
      wf["settings"].get("timezone") == "Europe/Paris", wf["settings"])
check("execution order v1 (current n8n)", wf["settings"].get("executionOrder") == "v1")
nodes = wf["nodes"]
by_name = {n.get("name"): n for n in nodes}
uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
check("node names are unique", len(by_name) == len(nodes))
check("node ids are unique UUIDs", len({n.get("id") for n in nodes}) == len(nodes)
      and all(uuid.match(str(n.get("id"))) for n in nodes), [n.get("id") for n in nodes])
for n in nodes:
    t = n.get("type")
    check(f"node '{n.get('name')}': a known n8n type at its version ({t} v{n.get('typeVersion')})",
          t in TYPES and n.get("typeVersion") == TYPES[t], n)
    check(f"node '{n.get('name')}': parameters object and [x, y] position",
          isinstance(n.get("parameters"), dict) and isinstance(n.get("position"), list)
          and len(n["position"]) == 2 and all(isinstance(v, (int, float)) for v in n["position"]))

triggers = [n for n in nodes if n["type"] == "n8n-nodes-base.scheduleTrigger"]
check("exactly one trigger, a schedule", len(triggers) == 1)
rule = triggers[0]["parameters"].get("rule", {}).get("interval", [{}]) if triggers else [{}]
check("it fires at 08:00 every day (cron 0 8 * * *)",
      rule == [{"field": "cronExpression", "expression": "0 8 * * *"}], rule)

# connections: existing nodes, one chain from the trigger
conns = wf["connections"]
edges = []
for src, outs in conns.items():
    check(f"connection source '{src}' is a node", src in by_name)
    for kind, lists in outs.items():
        for lst in lists:
            for c in lst:
                check(f"connection {src} -> {c.get('node')} targets an existing node as main input 0",
                      kind == "main" and c.get("node") in by_name and c.get("type") == "main"
                      and c.get("index") == 0, c)
                edges.append((src, c.get("node")))
incoming = {}
for a, b in edges:
    incoming[b] = incoming.get(b, 0) + 1
check("every node but the trigger has exactly one input",
      all(incoming.get(n["name"], 0) == (0 if n in triggers else 1) for n in nodes), incoming)
order, seen = [], set()
cur = triggers[0]["name"] if triggers else None
while cur and cur not in seen:
    seen.add(cur)
    order.append(by_name[cur]["type"].split(".")[1])
    nxt = [b for a, b in edges if a == cur]
    cur = nxt[0] if len(nxt) == 1 else None
check("one chain reaches every node, without cycle", len(seen) == len(nodes), order)
check("the plan's steps in order: 08:00 -> settings -> Prometheus (up, queues) -> Supabase -> "
      "Alertmanager -> HTML -> mail",
      order == ["scheduleTrigger", "set", "httpRequest", "httpRequest", "postgres", "httpRequest",
                "code", "emailSend"], order)

# how Prometheus and Alertmanager are reached
settings = {a["name"]: a["value"] for a in
            by_name["Settings"]["parameters"]["assignments"]["assignments"]}
for key in ("prometheusUrl", "alertmanagerUrl"):
    v = settings.get(key, "")
    check(f"Settings.{key} goes through Caddy over HTTPS, not a public 9090/9093",
          v.startswith("https://") and not re.search(r":(9090|9093)\b", v), v)
raw = json.dumps(wf)
check("no :9090 or :9093 anywhere in the workflow", not re.search(r":(9090|9093)\b", raw))
http = [n for n in nodes if n["type"] == "n8n-nodes-base.httpRequest"]
for n in http:
    p = n["parameters"]
    check(f"'{n['name']}': URL from the Settings node, with HTTP basic auth",
          p.get("url", "").startswith("={{ $('Settings').first().json.")
          and p.get("authentication") == "genericCredentialType"
          and p.get("genericAuthType") == "httpBasicAuth"
          and set(n.get("credentials", {})) == {"httpBasicAuth"}, p)
    check(f"'{n['name']}': a failure continues to the report (shown as unavailable)",
          n.get("onError") == "continueRegularOutput")
queries = {n["name"]: {q["name"]: q["value"] for q in n["parameters"]["queryParameters"]["parameters"]}
           for n in http}
check("Prometheus is asked for up and for supabase_queue_depth",
      "up{job=\"node\"}" in queries["Prometheus: servers up"]["query"]
      and "supabase_queue_depth" in queries["Prometheus: queue depth"]["query"], queries)
check("Alertmanager: API v2, active alerts only",
      by_name["Alertmanager: active alerts"]["parameters"]["url"].endswith("/api/v2/alerts")
      and queries["Alertmanager: active alerts"] == {"active": "true", "silenced": "false",
                                                     "inhibited": "false"}
      and by_name["Alertmanager: active alerts"].get("alwaysOutputData") is True,
      queries["Alertmanager: active alerts"])
pg = by_name["Supabase: incidents"]
check("Supabase: a read-only SELECT on incidents, with the read-only role's credential",
      pg["parameters"].get("operation") == "executeQuery"
      and re.match(r"\s*SELECT\b", pg["parameters"]["query"], re.I)
      and "incidents" in pg["parameters"]["query"]
      and not re.search(r"\b(INSERT|UPDATE|DELETE|DROP|ALTER|GRANT|CREATE)\b", pg["parameters"]["query"], re.I)
      and list(pg.get("credentials", {})) == ["postgres"], pg["parameters"])
mail = by_name["Send via Mailgun"]["parameters"]
check("the e-mail: HTML and text from the Code node, n8n attribution off",
      mail.get("emailFormat") == "both" and mail.get("html") == "={{ $json.html }}"
      and mail.get("text") == "={{ $json.text }}" and mail.get("subject") == "={{ $json.subject }}"
      and mail.get("options", {}).get("appendAttribution") is False, mail)
check("the e-mail node uses an SMTP credential",
      list(by_name["Send via Mailgun"].get("credentials", {})) == ["smtp"])

# credentials by name only, and nothing secret
creds = [(n["name"], k, v) for n in nodes for k, v in n.get("credentials", {}).items()]
check("credentials are referenced by name only (no id, no data)",
      creds and all(set(v) == {"name"} and v["name"].strip() for _, _, v in creds), creds)
bad = []


def walk(o, path):
    if isinstance(o, dict):
        for k, v in o.items():
            if re.search(r"pass(word)?|secret|token|api.?key|authorization", k, re.I) and v not in ("", None, {}):
                bad.append(f"{path}.{k}")
            walk(v, f"{path}.{k}")
    elif isinstance(o, list):
        for i, v in enumerate(o):
            walk(v, f"{path}[{i}]")
    elif isinstance(o, str):
        for s in re.findall(r"[A-Za-z0-9+/_=-]{32,}", o):
            # long opaque strings are what keys look like; uuids and words are fine
            if not uuid.match(s) and re.search(r"\d", s) and re.search(r"[A-Za-z]", s):
                bad.append(f"{path}: {s[:8]}...")
        if re.search(r"key-[0-9a-f]{20,}|-----BEGIN|[a-z]+://[^/\s:@]+:[^/\s@]+@", o):
            bad.append(f"{path}: credential-like text")


walk(wf, "$")
check("no secret-looking key or value anywhere", not bad, bad)
PY
cat "$T/structure.out"
grep -q '^not ok' "$T/structure.out" && TEST_FAILED=1
grep -q '^ok' "$T/structure.out" || not_ok "the structure checker ran" "$(tail -20 "$T/structure.out")"

# ---- the Code node, run with stand-ins for n8n's $() and $now ----------------------------
jq -r '.nodes[] | select(.type == "n8n-nodes-base.code") | .parameters.jsCode' "$WF" >"$T/code.js"
# shellcheck disable=SC2016 # JavaScript, not shell
check "the Code node's JavaScript parses" node -e '
    const src = require("fs").readFileSync(process.argv[1], "utf8");
    new Function("$", "$now", "return (async () => {" + src + "\n})();");' "$T/code.js"
cat >"$T/run.js" <<'JS'
// Runs the Code node like n8n does ("Run Once for All Items"): $(name)
// gives the named node's items, $now is a Luxon-like DateTime.
const fs = require("fs");
const src = fs.readFileSync(process.argv[2], "utf8");
const data = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const $ = (name) => {
  if (!(name in data)) throw new Error(`Referenced node is unexecuted: ${name}`);
  return { first: () => ({ json: data[name][0] }), all: () => data[name].map((json) => ({ json })) };
};
const when = new Date(data.__now);
const $now = {
  setZone: (tz) => ({
    toFormat: (fmt) => {
      if (fmt !== "yyyy-MM-dd") throw new Error("unexpected format " + fmt);
      return new Intl.DateTimeFormat("sv-SE", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(when);
    },
  }),
};
new Function("$", "$now", "return (async () => {" + src + "\n})();")($, $now).then(
  (out) => process.stdout.write(JSON.stringify(out)),
  (e) => { console.error("the Code node threw: " + e.stack); process.exit(1); });
JS
settings='{"prometheusUrl": "https://m.example/monitoring-api/prometheus", "grafanaUrl": "https://m.example", "timezone": "Europe/Paris"}'
vec() { jq -c '{status: "success", data: {resultType: "vector", result: [.[] | {metric: .[0], value: [1795762800, .[1]]}]}}'; }
up=$(printf '%s' '[[{"server":"F"},"1"],[{"server":"B<i>"},"0"]]' | vec)
depth=$(printf '%s' '[[{"queue":"pending_transcriptions","status":"pending"},"42"],[{"queue":"pending_transcriptions","status":"failed"},"15"],[{"queue":"pending_pdf_processing","status":"processing"},"2"]]' | vec)
alerts='[{"labels":{"alertname":"HostDown","severity":"critical","server":"B<i>"},"annotations":{"summary":"<script>alert(1)</script> & co"},"startsAt":"2026-11-27T06:12:00Z","status":{"state":"active"}},
         {"labels":{"alertname":"DiskLow","severity":"warning","server":"A"},"annotations":{},"startsAt":"2026-11-27T05:00:00Z","status":{"state":"active"}},
         {"labels":{"alertname":"Watchdog","severity":"none"},"annotations":{},"startsAt":"2026-11-26T00:00:00Z","status":{"state":"active"}}]'
jq -n --argjson s "$settings" --argjson up "$up" --argjson d "$depth" --argjson a "$alerts" \
    '{__now: "2026-11-27T07:00:00Z", "Settings": [$s], "Prometheus: servers up": [$up],
      "Prometheus: queue depth": [$d], "Supabase: incidents": [{"last_24h": "9", "previous_24h": "7"}],
      "Alertmanager: active alerts": $a}' >"$T/ok.json"
if node "$T/run.js" "$T/code.js" "$T/ok.json" >"$T/ok.out" 2>"$T/ok.err"; then
    out=$(cat "$T/ok.out")
    assert_eq "it returns one item" 1 "$(jq length <<<"$out")"
    subject=$(jq -r '.[0].json.subject' <<<"$out")
    html=$(jq -r '.[0].json.html' <<<"$out")
    text=$(jq -r '.[0].json.text' <<<"$out")
    assert_eq "the subject names the day in Paris and the problems" \
        "Daily health report 2026-11-27: 1 of 2 servers DOWN, 2 active alerts" "$subject"
    assert_contains "servers: B is DOWN (label escaped)" "$html" '<tr data-server="B&lt;i&gt;">'
    assert_contains "text: F is UP" "$text" "  F: UP"
    assert_contains "queues: pending 42 and failed 15 for transcriptions" "$text" \
        "  pending_transcriptions: pending 42, processing n/a, failed 15"
    assert_contains "incidents: 9 vs 7" "$text" "  Incidents, last 24 h: 9 (previous 24 h: 7)"
    assert_contains "the alert summary is escaped" "$html" "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
    assert_not_contains "no markup from an alert reaches the HTML" "$html" "<script>"
    assert_not_contains "the Watchdog (severity none) is left out" "$html" "Watchdog"
    first_alert=$(grep -o 'data-alert=""><td[^>]*><span[^>]*>[a-z]*' <<<"$html" | head -1 | sed 's/.*>//')
    assert_eq "critical alerts come first" critical "$first_alert"
    assert_not_contains "no section is unavailable" "$html" "data-unavailable"
else
    not_ok "the Code node runs on good input" "$(cat "$T/ok.err")"
fi

# Prometheus failed (the HTTP nodes continue with an error item), no
# alerts (one empty item), the database node never ran.
jq -n --argjson s "$settings" \
    '{__now: "2026-11-26T23:30:00Z", "Settings": [$s],
      "Prometheus: servers up": [{"error": {"message": "connect ECONNREFUSED 10.0.0.5:443"}}],
      "Prometheus: queue depth": [{"error": "Request failed with status code 502"}],
      "Alertmanager: active alerts": [{}]}' >"$T/bad.json"
if node "$T/run.js" "$T/code.js" "$T/bad.json" >"$T/bad.out" 2>"$T/bad.err"; then
    out=$(cat "$T/bad.out")
    subject=$(jq -r '.[0].json.subject' <<<"$out")
    html=$(jq -r '.[0].json.html' <<<"$out")
    assert_eq "sources down: still an e-mail, the subject counts what is missing (day in Paris)" \
        "Daily health report 2026-11-27: 3 sections unavailable" "$subject"
    assert_contains "infrastructure unavailable, with the reason" "$html" \
        'data-unavailable="Infrastructure" style="padding:10px 12px;background:#fef3c7;border:1px solid #f59e0b;color:#78350f;"><strong>Unavailable.</strong> connect ECONNREFUSED 10.0.0.5:443'
    assert_contains "queues unavailable" "$html" 'data-unavailable="Processing queues"'
    assert_contains "incidents unavailable (the node did not run)" "$html" 'data-unavailable="Incidents"'
    assert_contains "no alerts is said so" "$html" "No active alerts."
else
    not_ok "the Code node runs when sources failed" "$(cat "$T/bad.err")"
fi
finish
