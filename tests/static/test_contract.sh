#!/usr/bin/env bash
# The schema contract (sql/contract.yaml) and everything that must agree
# with it, without a database: every dashboard SQL target reads only
# declared columns (tests/dashboards/contract_cols.py), and the checker is
# proven by broken copies: a panel reading an undeclared column, and a
# contract that stops declaring a column a panel reads, are each named with
# the dashboard, the panel and the column. The contract's own parser
# (errors with file, line and key) is unit-tested in
# tests/unit/common/test_contract.c; on PostgreSQL: test_doctor_contract.sh.
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
finish
