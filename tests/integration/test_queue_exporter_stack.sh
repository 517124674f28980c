#!/usr/bin/env bash
# The loopback stack's queue exporter (started by local/stack.sh with
# QUEUE_EXPORTER_DSN from stack.env, role queue_exporter): it answers with
# the stack database's values, and Prometheus scrapes it under the job
# "queue-exporter" -- including the daily report's query
# supabase_queue_depth{status="pending"}.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

if [ -z "${QUEUE_EXPORTER_URL:-}" ] || [ -z "${PROM_URL:-}" ] || [ -z "${PG_DIR:-}" ]; then
    not_ok "the loopback stack is running (STACK_ENV with QUEUE_EXPORTER_URL, PROM_URL, PG_DIR)" \
        "STACK_ENV=${STACK_ENV:-unset}"
    finish
fi
sql() { pg_psql "$PG_DIR" "$PGPORT" -At -c "$1"; }
body=$(curl -sS --max-time 15 "$QUEUE_EXPORTER_URL/metrics")
check "stack exporter: /metrics reached the database (up 1)" grep -qx 'queue_exporter_up 1' <<<"$body"
# shellcheck disable=SC2016 # expanded by the inner bash
check "stack exporter: promtool check metrics reports nothing" \
    bash -c 'out=$(promtool check metrics 2>&1) && [ -z "$out" ] || { echo "$out"; exit 1; }' <<<"$body"
for q in pending_transcriptions pending_pdf_processing; do
    for s in pending processing failed; do
        want=$(sql "SELECT count(*) FROM $q WHERE status = '$s'")
        got=$(awk -v k="supabase_queue_depth{queue=\"$q\",status=\"$s\"}" '$1 == k { print $2 }' <<<"$body")
        assert_eq "stack exporter: $q $s depth equals the stack database" "$want" "$got"
    done
done
assert_eq "stack exporter: one connection, as the least-privileged role" "1 queue_exporter" \
    "$(sql "SELECT count(*) || ' ' || min(usename) FROM pg_stat_activity WHERE application_name = 'queue-exporter'")"
check "stack exporter: /readyz 200" curl -fsS --max-time 15 "$QUEUE_EXPORTER_URL/readyz"

# Prometheus scrapes it.
prom_value() { prom_query "$1" | jq -r '.data.result[0].value[1] // empty'; }
check "Prometheus: up{job=\"queue-exporter\"} is 1" \
    eventually 40 bash -c "[ \"\$(curl -fsS --max-time 5 '$PROM_URL/api/v1/query' --data-urlencode 'query=up{job=\"queue-exporter\"}' | jq -r '.data.result[0].value[1] // empty')\" = 1 ]"
check "Prometheus: the exporter's own up is 1" \
    eventually 20 bash -c "[ \"\$(curl -fsS --max-time 5 '$PROM_URL/api/v1/query' --data-urlencode 'query=queue_exporter_up{job=\"queue-exporter\"}' | jq -r '.data.result[0].value[1] // empty')\" = 1 ]"
res=$(prom_query 'supabase_queue_depth{status="pending"}')
assert_eq "Prometheus: the report's query returns both queues" "2" "$(jq '.data.result | length' <<<"$res")"
for q in pending_transcriptions pending_pdf_processing; do
    want=$(sql "SELECT count(*) FROM $q WHERE status = 'pending'")
    got=$(jq -r --arg q "$q" '.data.result[] | select(.metric.queue == $q) | .value[1]' <<<"$res")
    assert_eq "Prometheus: pending $q equals the stack database" "$want" "$got"
done
assert_eq "Prometheus: queue series carry job=\"queue-exporter\"" "queue-exporter" \
    "$(jq -r '.data.result[0].metric.job' <<<"$res")"
check "Prometheus: queue series carry a server label" \
    test -n "$(jq -r '.data.result[0].metric.server // empty' <<<"$res")"
check "Prometheus: stuck jobs visible" test -n "$(prom_value 'supabase_queue_stuck_jobs{queue="pending_transcriptions"}')"
finish
