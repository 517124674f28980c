#!/usr/bin/env bash
# The schema contract (sql/contract.yaml) and everything that must agree
# with it, without a database: every dashboard SQL target reads only
# declared columns (tests/dashboards/contract_cols.py), and the checker is
# proven by broken copies: a panel reading an undeclared column, and a
# contract that stops declaring a column a panel reads, are each named with
# the dashboard, the panel and the column. The contract's own parser
# (errors with file, line and key) is unit-tested in
# tests/unit/common/test_contract.c; on PostgreSQL: test_doctor_contract.sh.
# The dashboards' SQL is generated from the contract (sql/dashboard-sql.json,
# build/doctor --render-dashboards): the committed dashboards are exactly the
# generator's output for the committed contract, and compose hands the
# contract to the queue exporter and the daily report.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DASH=$REPO/grafana/dashboards
cols() { python3 "$REPO/tests/dashboards/contract_cols.py" --contract-json "$1" --schema "$REPO/sql/schema.sql" "$2"; }

if ! "$REPO/build/doctor" --print-contract >"$TMP/contract.json" 2>"$TMP/err"; then
    not_ok "build/doctor --print-contract reads sql/contract.yaml" "$(cat "$TMP/err")"
    finish
fi
ok "build/doctor --print-contract reads sql/contract.yaml"
assert_eq "the contract declares the five tables" \
    "fleet_positions incidents pending_pdf_processing pending_transcriptions whatsapp_messages" \
    "$(jq -r '.tables | keys | join(" ")' "$TMP/contract.json")"
assert_eq "no message body, phone number, URL or coordinate is declared" "" \
    "$(jq -r '.tables[].columns[] | select(test("^(body|phone|latitude|longitude|audio_url|document_url|description)$"))' "$TMP/contract.json")"

out=$(cols "$TMP/contract.json" "$DASH") && rc=0 || rc=$?
while IFS= read -r line; do
    case $line in
    "ok - "*) ok "${line#ok - }" ;;
    "not ok - "*) not_ok "${line#not ok - }" ;;
    esac
done <<<"$out"
assert_eq "every dashboard SQL target reads only declared columns (exit 0)" 0 "$rc"
n=$(grep -c '^ok - ' <<<"$out")
if [ "$n" -ge 10 ]; then ok "the SQL targets were found ($n)"; else not_ok "the SQL targets were found" "$out"; fi

# A panel that reads a column the contract does not declare.
mkdir -p "$TMP/d1"
cp "$DASH"/*.json "$TMP/d1/"
jq '(.panels[] | select(.title == "WhatsApp messages") | .targets[0].rawSql) |=
    sub("count\\(\\*\\) FILTER \\(WHERE direction = .outbound.\\) AS \"Sent\""; "count(*) FILTER (WHERE direction = '"'"'outbound'"'"') AS \"Sent\", max(phone) AS \"Last\"")' \
    "$DASH/business-kpis.json" >"$TMP/d1/business-kpis.json"
out=$(cols "$TMP/contract.json" "$TMP/d1") && rc=0 || rc=$?
assert_eq "a panel reading an undeclared column fails the check" 1 "$rc"
assert_contains "... naming the dashboard, the panel and the column" "$out" \
    "not ok - business-kpis / WhatsApp messages (A) reads whatsapp_messages.phone, which the contract does not declare"

# A contract that no longer declares a column a panel reads.
jq 'del(.tables.incidents.columns.category)' "$TMP/contract.json" >"$TMP/c2.json"
out=$(cols "$TMP/c2.json" "$DASH") && rc=0 || rc=$?
assert_eq "a contract without incidents.category fails the check" 1 "$rc"
assert_contains "... naming the panel that reads it" "$out" \
    "not ok - business-kpis / Incidents by category (A) reads incidents.category, which the contract does not declare"

# ---- generated dashboards ----------------------------------------------------
mkdir -p "$TMP/gen"
cp "$DASH"/*.json "$TMP/gen/"
if out=$("$REPO/build/doctor" --render-dashboards --dashboards "$TMP/gen" 2>&1); then
    ok "build/doctor --render-dashboards renders the dashboards for sql/contract.yaml"
else
    not_ok "build/doctor --render-dashboards renders the dashboards for sql/contract.yaml" "$out"
fi
assert_contains "... all six, none rewritten" "$out" "6 dashboard(s) in $TMP/gen rendered from sql/contract.yaml: 0 rewritten"
for f in "$DASH"/*.json; do
    check "committed $(basename "$f") is byte for byte the generator's output for the committed contract" \
        cmp "$f" "$TMP/gen/$(basename "$f")"
done
# A SQL target without a template fails the render, naming it.
jq '.["processing-queues"] |= del(.["Failed jobs (A)"])' "$REPO/sql/dashboard-sql.json" >"$TMP/t1.json"
out=$("$REPO/build/doctor" --render-dashboards --dashboards "$TMP/gen" --dashboard-sql "$TMP/t1.json" 2>&1) && rc=0 || rc=$?
assert_eq "a SQL target without a template: the render exits 2" 2 "$rc"
assert_contains "... naming the dashboard file and panel" "$out" \
    "doctor: $TMP/gen/processing-queues.json: processing-queues / Failed jobs (A): no template for it in sql/dashboard-sql.json"
check "... and leaves that dashboard unchanged" cmp "$DASH/processing-queues.json" "$TMP/gen/processing-queues.json"
# An edited contract changes exactly the panels that read what it changed.
python3 - "$REPO/sql/contract.yaml" "$TMP/edited.yaml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
c["tables"]["pending_pdf_processing"]["columns"]["status"] = "state"
del c["tables"]["incidents"]["columns"]["category"]
yaml.safe_dump(c, open(sys.argv[2], "w"))
PY
out=$("$REPO/build/doctor" --render-dashboards --dashboards "$TMP/gen" --contract "$TMP/edited.yaml" 2>&1) && rc=0 || rc=$?
assert_eq "an edited contract renders (exit 0)" 0 "$rc"
assert_contains "... a panel whose column the contract drops is named unavailable" "$out" \
    "business-kpis / Incidents by category (A): unavailable: the contract declares no incidents.category (tables.incidents.columns.category)"
sqls() { python3 "$REPO/tests/dashboards/dashq.py" --dashboards "$1" --datasources "$REPO/grafana/provisioning/datasources" list |
    awk -F'\t' '$4 ~ /^SELECT|^WITH/'; }
changed=$(diff <(sqls "$DASH") <(sqls "$TMP/gen") | grep '^>' | cut -f2,3 | sort -u | tr '\t' ' ' | paste -sd'|')
assert_eq "... exactly the panels reading pending_pdf_processing.status or incidents.category change" \
    "Failed jobs A|Incidents by category A|Jobs completed per hour B" "$changed"
assert_eq "... and read state where they read status" 2 \
    "$(sqls "$TMP/gen" | grep -c "FROM pending_pdf_processing WHERE state = ")"

# ---- compose hands the contract to the programs --------------------------------
svc() { python3 -c '
import sys, yaml
s = yaml.safe_load(open(sys.argv[1]))["services"][sys.argv[2]]
print("\n".join(s.get("volumes", [])))
print("\n".join("%s=%s" % kv for kv in s.get("environment", {}).items()))' "$REPO/compose.yaml" "$1"; }
qe=$(svc queue-exporter)
assert_contains "queue-exporter: sql/contract.yaml mounted read-only" "$qe" "./sql/contract.yaml:/etc/queue-exporter/contract.yaml:ro"
assert_contains "queue-exporter: QUEUE_EXPORTER_CONTRACT names it" "$qe" "QUEUE_EXPORTER_CONTRACT=/etc/queue-exporter/contract.yaml"
dr=$(svc daily-report)
assert_contains "daily-report: sql/contract.yaml mounted read-only" "$dr" "./sql/contract.yaml:/etc/daily-report/contract.yaml:ro"
assert_contains "daily-report: REPORT_SCHEMA_CONTRACT names it" "$dr" "REPORT_SCHEMA_CONTRACT=/etc/daily-report/contract.yaml"
assert_contains "grafana: the rendered dashboards are what it provisions" "$(svc grafana)" "./grafana/dashboards:/var/lib/grafana/dashboards:ro"
check "the queue exporter's image carries libyaml (it parses the contract) and not libcurl" \
    sh -c "grep -q 'libpq5 libmicrohttpd12 libinih1 libyaml-0-2 ' '$REPO/src/queue-exporter/Dockerfile' && ! grep -A3 '^FROM debian:bookworm-20261005-slim\$' '$REPO/src/queue-exporter/Dockerfile' | grep -q libcurl4"
check "the queue exporter's binary does not link libcurl" sh -c "! ldd '$REPO/build/queue-exporter' | grep -q libcurl"
check "the queue exporter accepts the committed contract" \
    env -i PATH="$PATH" "$REPO/build/queue-exporter" --contract "$REPO/sql/contract.yaml" --check-config
finish
