#!/usr/bin/env bash
# The n8n workflow's inputs, for real (n8n itself cannot run here): each
# HTTP Request node's URL and query parameters against the loopback
# Prometheus and Alertmanager (standing in for the Caddy routes), the
# Postgres node's SQL as grafana_readonly, then the Code node fed with those
# answers exactly as n8n would pass them. The e-mail it builds must show the
# same figures as the sources.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
WF=$REPO/n8n/monitoring-daily-report.json
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ -z "${PROM_URL:-}" ] || [ -z "${AM_URL:-}" ] || [ -z "${GRAFANA_DB_DSN:-}" ]; then
    not_ok "the loopback stack's addresses are loaded" "STACK_ENV=${STACK_ENV:-unset}"
    finish
fi
[ -f "$WF" ] || { not_ok "n8n/monitoring-daily-report.json exists"; finish; }

node_json() { jq -c --arg n "$1" '.nodes[] | select(.name == $n)' "$WF"; }
# http_node NAME BASE: GET as the node would, its Settings URL replaced by BASE
http_node() {
    local n url args=()
    n=$(node_json "$1")
    url=$(jq -r '.parameters.url' <<<"$n" | sed -E "s|^=\{\{ \\\$\('Settings'\)\.first\(\)\.json\.[a-zA-Z]+ \}\}|$2|")
    while IFS=$'\t' read -r k v; do
        args+=(--data-urlencode "$k=$v")
    done < <(jq -r '.parameters.queryParameters.parameters[] | [.name, .value] | @tsv' <<<"$n")
    curl -fsS --max-time 20 -G "${args[@]}" "$url"
}

fetch() { # DESC NODE BASE OUT
    if http_node "$2" "$3" >"$4" 2>"$4.err"; then ok "$1"; else not_ok "$1" "$(cat "$4.err")"; fi
}
fetch "Prometheus answers the 'servers up' node" "Prometheus: servers up" "$PROM_URL" "$T/up.json"
fetch "Prometheus answers the 'queue depth' node" "Prometheus: queue depth" "$PROM_URL" "$T/depth.json"
fetch "Alertmanager answers the 'active alerts' node" "Alertmanager: active alerts" "$AM_URL" "$T/alerts.json"
assert_eq "the up query has a result per server" 2 "$(jq '.data.result | length' "$T/up.json" 2>/dev/null)"
check "the queue query has results" jq -e '.data.result | length > 0' "$T/depth.json"

# The Postgres node's SQL as the read-only role; n8n returns bigint as text.
sql=$(node_json "Supabase: incidents" | jq -r '.parameters.query')
if psql "$GRAFANA_DB_DSN" -X -v ON_ERROR_STOP=1 -At -F $'\t' -c "$sql" >"$T/incidents.tsv" 2>"$T/psql.err"; then
    ok "the Postgres node's SQL runs as grafana_readonly"
else
    not_ok "the Postgres node's SQL runs as grafana_readonly" "$(cat "$T/psql.err")"
fi
IFS=$'\t' read -r last prev <"$T/incidents.tsv"
direct=$(psql "$GRAFANA_DB_DSN" -X -At -c "SELECT count(*) FROM incidents WHERE created_at > now() - interval '24 hours' AND created_at <= now()")
assert_eq "its 'last 24 h' count is the incidents table's" "$direct" "$last"

# Feed the Code node as n8n would: one item per node, the alert array split
# into items (an empty array gives one empty item: alwaysOutputData).
jq -r '.nodes[] | select(.type == "n8n-nodes-base.code") | .parameters.jsCode' "$WF" >"$T/code.js"
jq -n --slurpfile up "$T/up.json" --slurpfile d "$T/depth.json" --slurpfile a "$T/alerts.json" \
    --arg last "$last" --arg prev "$prev" --arg now "$(date -u +%FT%TZ)" \
    --argjson s "$(node_json Settings | jq '[.parameters.assignments.assignments[] | {(.name): .value}] | add')" \
    '{__now: $now, "Settings": [$s], "Prometheus: servers up": $up, "Prometheus: queue depth": $d,
      "Supabase: incidents": [{last_24h: $last, previous_24h: $prev}],
      "Alertmanager: active alerts": (if ($a[0] | length) == 0 then [{}] else $a[0] end)}' >"$T/input.json"
cat >"$T/run.js" <<'JS'
const fs = require("fs");
const src = fs.readFileSync(process.argv[2], "utf8");
const data = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const $ = (name) => {
  if (!(name in data)) throw new Error(`Referenced node is unexecuted: ${name}`);
  return { first: () => ({ json: data[name][0] }), all: () => data[name].map((json) => ({ json })) };
};
const when = new Date(data.__now);
const $now = { setZone: (tz) => ({ toFormat: () =>
  new Intl.DateTimeFormat("sv-SE", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(when) }) };
new Function("$", "$now", "return (async () => {" + src + "\n})();")($, $now).then(
  (out) => process.stdout.write(JSON.stringify(out[0].json)),
  (e) => { console.error(e.stack); process.exit(1); });
JS
if node "$T/run.js" "$T/code.js" "$T/input.json" >"$T/out.json" 2>"$T/err"; then
    text=$(jq -r .text "$T/out.json")
    html=$(jq -r .html "$T/out.json")
    assert_not_contains "every section is available" "$html" "data-unavailable"
    while IFS=$'\t' read -r server value; do
        state=DOWN
        [ "$value" = 1 ] && state=UP
        assert_contains "server $server: $state, as Prometheus says" "$text" "  $server: $state"
    done < <(jq -r '.data.result[] | [.metric.server, .value[1]] | @tsv' "$T/up.json")
    pending=$(jq -r '.data.result[] | select(.metric.queue == "pending_transcriptions" and .metric.status == "pending") | .value[1]' "$T/depth.json")
    assert_contains "transcriptions pending $pending, as Prometheus says" "$text" \
        "  pending_transcriptions: pending $pending,"
    assert_contains "incidents $last vs $prev, as the database says" "$text" \
        "  Incidents, last 24 h: $last (previous 24 h: $prev)"
    want=$(jq '[.[] | select(.labels.severity != "none" and .status.state == "active")] | length' "$T/alerts.json")
    assert_eq "as many alerts as Alertmanager has (Watchdog aside)" "$want" \
        "$(grep -o 'data-alert=""' <<<"$html" | wc -l)"
else
    not_ok "the Code node runs on the stack's answers" "$(cat "$T/err")"
fi
finish
