#!/usr/bin/env bash
# The schema contract (sql/contract.yaml) against a real PostgreSQL of its
# own: on the reference schema every statement the stack runs plans as its
# role and the doctor passes; on a mismatched schema (incidents without
# severity, several fleet_positions rows per vehicle, pending_pdf_processing
# calling its status column "state") `build/doctor --only supabase` names
# each problem with the dashboard panel or report figure and the contract key
# to change, in text and JSON, and exits 1, while the daily report blanks only
# the figures concerned. After the contract is edited and the dashboards are
# rendered from it (build/doctor --render-dashboards) the doctor passes, and
# every dashboard SQL target, the exporter's metrics (QUEUE_EXPORTER_CONTRACT)
# and the report's figures (REPORT_SCHEMA_CONTRACT) equal SQL written by hand
# for that schema.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
. "$REPO/tests/fixtures/doctor/lib.sh"
REPORT=$REPO/build/asan/daily-report

GPW=test-only-grafana-db-pw-0002
EPW=test-only-exporter-db-pw-0002
PGP=$(dport 650)
PGD=$DT/pg
make_certs "$DT/tls" || { not_ok "test certificates" "openssl failed"; finish; }
if ! pg_cluster_init "$PGD" "$PGP"; then
    not_ok "a PostgreSQL cluster for the test" "pg_cluster_init failed"
    finish
fi
DT_PG_DIRS+=("$PGD")
install -m 600 "$DT/tls/server.key" "$PGD/server.key"
install -m 644 "$DT/tls/server.crt" "$PGD/server.crt"
chown postgres "$PGD/server.key" 2>/dev/null || true
printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$PGD/server.crt" "$PGD/server.key" >>"$PGD/data/postgresql.conf"
check "the cluster (TLS on) starts" pg_cluster_start "$PGD"
su_sql() { pg_psql "$PGD" "$PGP" -At -v ON_ERROR_STOP=1 "$@"; }
roles() { # CONTRACT_FILE
    su_sql -v grafana_verifier="$(roles_verifier grafana_readonly "$GPW")" \
        -v exporter_verifier="$(roles_verifier queue_exporter "$EPW")" \
        -v contract="$("$REPO/build/doctor" --print-contract --contract "$1")" -f "$REPO/sql/roles.sql"
}
check "schema loaded" su_sql -f "$REPO/sql/schema.sql"
# Data far from every window's edge, so the figures do not depend on timing.
check "test data loaded" su_sql -c "
INSERT INTO pending_transcriptions (audio_url, status, updated_at)
  SELECT 'a', s, now() - d FROM (VALUES ('failed', interval '1 hour'), ('failed', interval '2 hours'),
    ('failed', interval '3 days'), ('pending', interval '5 minutes'), ('completed', interval '1 hour')) v(s, d);
INSERT INTO pending_pdf_processing (document_url, status, updated_at)
  SELECT 'd', s, now() - d FROM (VALUES ('failed', interval '1 hour'), ('failed', interval '3 days'),
    ('failed', interval '4 days'), ('pending', interval '5 minutes')) v(s, d);
INSERT INTO incidents (vehicle_id, category, severity, created_at)
  SELECT 'V1', 'delay', s, now() - d FROM (VALUES ('critical', interval '1 hour'), ('critical', interval '2 hours'),
    ('major', interval '3 hours'), ('minor', interval '4 hours'), ('minor', interval '5 hours'),
    ('minor', interval '30 hours'), ('major', interval '40 hours')) v(s, d);
INSERT INTO fleet_positions (vehicle_id, latitude, longitude, updated_at)
  VALUES ('V1', 0, 0, now() - interval '1 minute'), ('V2', 0, 0, now() - interval '2 minutes'),
         ('V3', 0, 0, now() - interval '3 minutes'), ('V4', 0, 0, now() - interval '2 hours');
INSERT INTO whatsapp_messages (direction, phone, body) VALUES ('inbound', '+33', 'x'), ('outbound', '+33', 'y');"
check "roles from the reference contract" roles "$REPO/sql/contract.yaml"

write_env "$DT/env" "SUPABASE_URL=https://abcdefghijklmnopqrst.supabase.co" \
    "SUPABASE_DB_HOST=127.0.0.1" "SUPABASE_DB_PORT=$PGP" \
    "SUPABASE_GRAFANA_USER=grafana_readonly" "SUPABASE_GRAFANA_PASSWORD=$GPW" "SUPABASE_SSLMODE=require" \
    "QUEUE_EXPORTER_DSN='host=127.0.0.1 port=$PGP dbname=postgres user=queue_exporter password=$EPW sslmode=require'"
doctor() { run_doctor --env-file "$DT/env" --only supabase --dashboards "$REPO/grafana/dashboards" "$@"; }

# ---- the reference schema: everything plans -------------------------------------------
doctor
assert_rc "reference schema: the doctor passes (exit 0)" 0
[ "$RC" = 0 ] || printf '%s\n' "$OUT" | sed 's/^/    # /'
ndash=$(python3 "$REPO/tests/dashboards/dashq.py" --dashboards "$REPO/grafana/dashboards" \
    --datasources "$REPO/grafana/provisioning/datasources" list | awk -F'\t' '$4 ~ /^SELECT|^WITH/' | wc -l)
assert_status "the dashboards' and the report's statements plan as grafana_readonly" "✓" supabase.sql.grafana
assert_contains "... all of them: $ndash dashboard SQL targets + 11 report figures" "$OUT" \
    "$((ndash + 11)) statement(s) the stack runs as grafana_readonly plan on this database"
assert_check "the exporter's collection query plans as queue_exporter" "✓" supabase.sql.exporter \
    "1 statement(s) the stack runs as queue_exporter plan on this database (EXPLAIN, no row read)"
assert_check "one row per vehicle: proven by the primary key" "✓" supabase.assume.one-row-per-vehicle \
    "fleet_positions has one row per vehicle_id (a unique index guarantees it)"

# ---- a schema that differs from the reference ---------------------------------------
check "the schema drifts" su_sql -c "ALTER TABLE incidents DROP COLUMN severity;
    ALTER TABLE fleet_positions DROP CONSTRAINT fleet_positions_pkey;
    INSERT INTO fleet_positions (vehicle_id, latitude, longitude, updated_at)
      SELECT 'V' || g, 0, 0, now() - interval '1 day' FROM generate_series(1, 4) g, generate_series(1, 2);
    ALTER TABLE pending_pdf_processing RENAME COLUMN status TO state"
doctor
assert_rc "mismatched schema: the doctor fails (exit 1)" 1
K=sql/contract.yaml
assert_check "names the dashboard panel that needs incidents.severity" "✗" supabase.sql.dashboard \
    "dashboard business-kpis / Incidents per day (A) (as grafana_readonly): column incidents.severity does not exist" \
    "set tables.incidents.columns.severity in $K to the column's real name (or delete that line: what needs it becomes unavailable), then re-run sql/roles.sh"
assert_check "names the report figure that needs it" "✗" supabase.sql.report \
    "report figure incidents_24h_critical (as grafana_readonly): column incidents.severity does not exist"
assert_check "names the panel reading pending_pdf_processing.status" "✗" supabase.sql.dashboard \
    "dashboard processing-queues / Jobs completed per hour (B) (as grafana_readonly): column pending_pdf_processing.status does not exist" \
    "set tables.pending_pdf_processing.columns.status in $K to the column's real name (or delete that line: what needs it becomes unavailable), then re-run sql/roles.sh"
assert_check "... and the panel reading both job tables, blaming the right one" "✗" supabase.sql.dashboard \
    "dashboard processing-queues / Failed jobs (A) (as grafana_readonly): column pending_pdf_processing.status does not exist"
assert_check "names the report figure on the PDF queue" "✗" supabase.sql.report \
    "report figure pdf_failed_total (as grafana_readonly): column pending_pdf_processing.status does not exist"
assert_check "names the exporter's query" "✗" supabase.sql.exporter \
    "exporter collection query (as queue_exporter): column pending_pdf_processing.status does not exist"
assert_contains "several rows per vehicle are found" "$OUT" \
    "✗ supabase.assume.one-row-per-vehicle fleet_positions has several rows per vehicle (e.g. vehicle_id="
assert_line "... with the contract key to change" "$OUT" \
    "$(fix_line "set tables.fleet_positions.assume.one_row_per_vehicle: false in $K (the stack then counts distinct vehicles)")"
assert_not_contains "panels on intact columns are not blamed" "$OUT" "WhatsApp messages"
run_doctor --env-file "$DT/env" --only supabase --json
JSON=$OUT
assert_eq "JSON form: exit 1 too" 1 "$RC"
assert_eq "JSON form: the same failures, with their fixes" "yes" "$(printf '%s' "$JSON" | jq -r '
    [.checks[] | select(.status == "fail")] as $f
    | if ($f | any(.id == "supabase.sql.report" and (.detail | contains("incidents_24h_critical"))
                   and (.fix | contains("tables.incidents.columns.severity"))))
         and ($f | any(.id == "supabase.assume.one-row-per-vehicle"))
         and ($f | any(.id == "supabase.sql.exporter")) then "yes" else $f end' 2>&1)"

# The daily report on that schema, with the reference contract: only the
# figures that need the missing columns are blank, with the reason.
report_html() { # OUT [ENV...]
    local out=$1
    shift
    env -i PATH="$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
        REPORT_DB_DSN="host=127.0.0.1 port=$PGP dbname=postgres user=grafana_readonly password=$GPW sslmode=require" \
        "$@" "$REPORT" --dry-run --out "$out" >"$out.log" 2>&1
    [ -s "$out" ]
}
field() { python3 -c '
import re, sys
m = re.search(r"<span data-field=\"%s\"[^>]*>([^<]*)</span>" % sys.argv[2], open(sys.argv[1]).read())
print(m.group(1) if m else "(absent)")' "$1" "$2"; }
check "daily report on the drifted schema: the HTML is written" report_html "$DT/drift.html"
assert_eq "incidents.severity missing: critical says why" "unavailable: incidents.severity does not exist" \
    "$(field "$DT/drift.html" incidents_24h_critical)"
assert_eq "... the total incidents figure is still there (hand-written SQL: 5)" \
    "$(su_sql -c "SELECT count(*) FROM incidents WHERE created_at > now() - interval '24 hours'")" \
    "$(field "$DT/drift.html" incidents_24h)"
assert_eq "renamed status: the PDF figure says why" "unavailable: pending_pdf_processing.status does not exist" \
    "$(field "$DT/drift.html" pdf_failed_24h)"
assert_eq "... the transcription figure is still there" \
    "$(su_sql -c "SELECT count(*) FROM pending_transcriptions WHERE status = 'failed' AND updated_at > now() - interval '24 hours'")" \
    "$(field "$DT/drift.html" transcriptions_failed_24h)"
assert_contains "the report logs each blank figure" "$(cat "$DT/drift.html.log")" \
    "business figure incidents_24h_critical unavailable: incidents.severity does not exist"

# ---- the contract edited for this schema -----------------------------------------------
python3 - "$REPO/sql/contract.yaml" "$DT/contract.yaml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
t = c["tables"]
del t["incidents"]["columns"]["severity"]
t["pending_pdf_processing"]["columns"]["status"] = "state"
t["fleet_positions"]["assume"]["one_row_per_vehicle"] = False
yaml.safe_dump(c, open(sys.argv[2], "w"))
PY
check "roles re-applied from the edited contract" roles "$DT/contract.yaml"
doctor --contract "$DT/contract.yaml"
assert_not_contains "edited contract: no report figure fails" "$OUT" "✗ supabase.sql.report"
assert_check "edited contract: the exporter's query plans" "✓" supabase.sql.exporter \
    "1 statement(s) the stack runs as queue_exporter plan on this database (EXPLAIN, no row read)"
assert_check "edited contract: several rows per vehicle is no longer assumed" "✓" \
    supabase.assume.one-row-per-vehicle "not assumed: the stack counts distinct vehicle_id"
assert_contains "edited contract: the report figure the contract drops is named, not failed" "$OUT" \
    "report figure incidents_24h_critical: unavailable: the contract declares no incidents.severity"
# The dashboards in the repository are still rendered for the reference
# contract: the doctor EXPLAINs what the edited contract gives (no panel
# fails to plan) and names each panel whose file must be re-rendered.
assert_not_contains "edited contract: every dashboard statement the contract gives plans" "$OUT" "✗ supabase.sql.dashboard"
assert_contains "edited contract: the doctor names the dashboards not yet rendered for it" "$OUT" \
    "✗ supabase.dashboards        dashboard processing-queues / Failed jobs (A): its SQL in the file is not what the contract gives $DT/contract.yaml"
assert_line "... and says how to render them" "$OUT" \
    "$(fix_line "run build/doctor --render-dashboards --contract FILE: it rewrites the SQL of the dashboards in --dashboards from the contract; then deploy")"
mkdir -p "$DT/dash"
cp "$REPO"/grafana/dashboards/*.json "$DT/dash/"
check "the dashboards rendered for the edited contract" \
    "$REPO/build/doctor" --render-dashboards --contract "$DT/contract.yaml" --dashboards "$DT/dash"
run_doctor --env-file "$DT/env" --only supabase --contract "$DT/contract.yaml" --dashboards "$DT/dash"
assert_rc "edited contract, dashboards rendered from it: the doctor passes (exit 0)" 0
[ "$RC" = 0 ] || printf '%s\n' "$OUT" | grep '✗' | sed 's/^/    # /'
assert_contains "... every statement planned: $ndash dashboard SQL targets + the 8 report figures the contract keeps" "$OUT" \
    "$((ndash + 8)) statement(s) the stack runs as grafana_readonly plan on this database"

# Every dashboard SQL target, rendered for the edited contract and expanded
# as Grafana would, returns as grafana_readonly what SQL written by hand for
# this schema returns. Test data for the panels the drift touches:
check "more test data (completed PDF jobs, WhatsApp traffic)" su_sql -c "
INSERT INTO pending_pdf_processing (document_url, state, updated_at)
  SELECT 'd', 'completed', now() - d FROM (VALUES (interval '1 hour'), (interval '90 minutes'), (interval '5 hours')) v(d);
INSERT INTO whatsapp_messages (direction, phone, body, created_at)
  VALUES ('inbound', '+33', 'z', now() - interval '2 days'), ('inbound', '+33', 'w', now() - interval '3 hours')"
as_grafana() { PGPASSWORD=$GPW psql -X -At -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$PGP dbname=postgres user=grafana_readonly sslmode=require" -c "$1" 2>&1; }
TZV=$(jq -r '.templating.list[] | select(.name == "business_tz") | .query' "$DT/dash/business-kpis.json")
# uid|panel|ref|columns compared|hand-written SQL (@W@: the panel's time filter,
# @B@: its $__interval bucket in seconds, @TZ@: $business_tz)
npanels=0
while IFS='|' read -r uid panel ref proj hand; do
    [ -n "$uid" ] || continue
    npanels=$((npanels + 1))
    sql=$(python3 "$REPO/tests/dashboards/dashq.py" --dashboards "$DT/dash" \
        --datasources "$REPO/grafana/provisioning/datasources" expand --uid "$uid" --panel "$panel" --ref "$ref")
    w=$(grep -o "BETWEEN '[^']*' AND '[^']*'" <<<"$sql" | head -1)
    bucket=$(grep -o 'extract(epoch from [a-z_]*)/[0-9]*' <<<"$sql" | head -1 | sed 's|.*/||')
    hand=${hand//@W@/$w}
    hand=${hand//@B@/${bucket:-0}}
    hand=${hand//@TZ@/$TZV}
    want=$(su_sql -c "$hand" 2>&1 | sort)
    got=$(as_grafana "SELECT $proj FROM ($sql) AS p" | sort)
    if [ -n "$want" ] && [ "$want" = "$got" ]; then
        ok "edited contract: $uid / $panel ($ref) = hand-written SQL ($(paste -sd';' <<<"$want"))"
    else
        not_ok "edited contract: $uid / $panel ($ref) = hand-written SQL" "want: $want
got: $got
panel SQL: $sql"
    fi
done <<'EOF'
business-kpis|Incidents today vs yesterday|A|"Today", "Yesterday by this time", "Yesterday (whole day)"|WITH b AS (SELECT date_trunc('day', now() AT TIME ZONE '@TZ@') AT TIME ZONE '@TZ@' AS t0, (date_trunc('day', now() AT TIME ZONE '@TZ@') - interval '1 day') AT TIME ZONE '@TZ@' AS y0) SELECT count(*) FILTER (WHERE created_at >= t0), count(*) FILTER (WHERE created_at >= y0 AND created_at < y0 + (now() - t0)), count(*) FILTER (WHERE created_at >= y0 AND created_at < t0) FROM incidents, b
business-kpis|GPS coverage|A|round("GPS coverage", 4)|SELECT round(100.0 * (SELECT count(DISTINCT vehicle_id) FROM fleet_positions WHERE updated_at > now() - interval '10 minutes') / (SELECT count(DISTINCT vehicle_id) FROM fleet_positions), 4)
business-kpis|Vehicles reporting|A|"Reporting", "Fleet"|SELECT (SELECT count(DISTINCT vehicle_id) FROM fleet_positions WHERE updated_at > now() - interval '10 minutes'), (SELECT count(DISTINCT vehicle_id) FROM fleet_positions)
business-kpis|WhatsApp messages|A|"Received", "Sent"|SELECT (SELECT count(*) FROM whatsapp_messages WHERE direction = 'inbound' AND created_at @W@), (SELECT count(*) FROM whatsapp_messages WHERE direction = 'outbound' AND created_at @W@)
business-kpis|Incidents per day|A|"time", metric, incidents|SELECT date_trunc('day', created_at AT TIME ZONE '@TZ@') AT TIME ZONE '@TZ@', 'incidents', count(*) FROM incidents WHERE created_at @W@ GROUP BY 1
business-kpis|Incidents by category|A|category, incidents|SELECT category, count(*) FROM incidents WHERE created_at @W@ GROUP BY category
business-kpis|WhatsApp message volume|A|"time"::bigint, metric, messages|SELECT extract(epoch FROM date_bin(interval '@B@ seconds', created_at, timestamptz 'epoch'))::bigint, direction, count(*) FROM whatsapp_messages WHERE created_at @W@ GROUP BY 1, 2
business-kpis|Silent vehicles|A|"Vehicle", "Last position", "Silent for" >= 600|SELECT vehicle_id, updated_at, true FROM (SELECT DISTINCT ON (vehicle_id) vehicle_id, updated_at FROM fleet_positions ORDER BY vehicle_id, updated_at DESC) AS latest WHERE updated_at <= now() - interval '10 minutes'
processing-queues|Jobs completed per hour|A|"time"::bigint, "transcriptions"|SELECT extract(epoch FROM date_bin(interval '1 hour', updated_at, timestamptz 'epoch'))::bigint, count(*) FROM pending_transcriptions WHERE status = 'completed' AND updated_at @W@ GROUP BY 1
processing-queues|Jobs completed per hour|B|"time"::bigint, "PDF jobs"|SELECT extract(epoch FROM date_bin(interval '1 hour', updated_at, timestamptz 'epoch'))::bigint, count(*) FROM pending_pdf_processing WHERE state = 'completed' AND updated_at @W@ GROUP BY 1
processing-queues|Failed jobs|A|"time", queue, id, attempts, error|SELECT updated_at, 'transcription', id, attempts, error FROM pending_transcriptions WHERE status = 'failed' AND updated_at @W@ UNION ALL SELECT updated_at, 'pdf', id, attempts, error FROM pending_pdf_processing WHERE state = 'failed' AND updated_at @W@
EOF
assert_eq "every dashboard SQL target was compared ($ndash)" "$ndash" "$npanels"
check "daily report with REPORT_SCHEMA_CONTRACT: the HTML is written" \
    report_html "$DT/edited.html" REPORT_SCHEMA_CONTRACT="$DT/contract.yaml"
for q in "incidents_24h|SELECT count(*) FROM incidents WHERE created_at > now() - interval '24 hours'" \
    "incidents_prev_24h|SELECT count(*) FROM incidents WHERE created_at > now() - interval '48 hours' AND created_at <= now() - interval '24 hours'" \
    "fleet_total|SELECT count(DISTINCT vehicle_id) FROM fleet_positions" \
    "fleet_reporting|SELECT count(DISTINCT vehicle_id) FROM fleet_positions WHERE updated_at > now() - interval '10 minutes'" \
    "pdf_failed_24h|SELECT count(*) FROM pending_pdf_processing WHERE state = 'failed' AND updated_at > now() - interval '24 hours'" \
    "pdf_failed_total|SELECT count(*) FROM pending_pdf_processing WHERE state = 'failed'" \
    "transcriptions_failed_total|SELECT count(*) FROM pending_transcriptions WHERE status = 'failed'"; do
    f=${q%%|*}
    want=$(su_sql -c "${q#*|}")
    assert_eq "edited contract: report figure $f = hand-written SQL ($want)" "$want" "$(field "$DT/edited.html" "$f")"
done
assert_eq "edited contract: the severity split says the contract has no severity" \
    "unavailable: the contract declares no incidents.severity (sql/contract.yaml tables.incidents.columns.severity)" \
    "$(field "$DT/edited.html" incidents_24h_critical)"

# The queue exporter, configured from the edited contract, against the same schema.
QEP=$(dport 651)
"$REPO/build/doctor" --print-exporter-config --contract "$DT/contract.yaml" >"$DT/qe.ini"
assert_contains "the exporter's config from the contract renames the status column" "$(cat "$DT/qe.ini")" \
    "[queue pending_pdf_processing]
table = pending_pdf_processing
status_column = state"
mkdir -p "$DT/pids"
# As compose runs it: the contract itself (QUEUE_EXPORTER_CONTRACT), no INI.
QUEUE_EXPORTER_DSN="host=127.0.0.1 port=$PGP dbname=postgres user=queue_exporter password=$EPW sslmode=require" \
    QUEUE_EXPORTER_CONTRACT="$DT/contract.yaml" \
    start_daemon "$DT/pids" qe "$DT/qe.log" "$REPO/build/asan/queue-exporter" --listen "127.0.0.1:$QEP"
exporter_up() { curl -fsS --max-time 5 "http://127.0.0.1:$QEP/metrics" | grep -q '^queue_exporter_up 1'; }
if check "the exporter answers with the edited contract" eventually 30 exporter_up; then
    metrics=$(curl -fsS --max-time 10 "http://127.0.0.1:$QEP/metrics")
    metric() { awk -v k="$1" '$1 == k { print $2 + 0 }' <<<"$metrics"; }
    for q in 'supabase_queue_depth{queue="pending_pdf_processing",status="failed"}|SELECT count(*) FROM pending_pdf_processing WHERE state = '"'failed'" \
        'supabase_queue_depth{queue="pending_pdf_processing",status="pending"}|SELECT count(*) FROM pending_pdf_processing WHERE state = '"'pending'" \
        'supabase_queue_failed_last_24h{queue="pending_pdf_processing"}|SELECT count(*) FROM pending_pdf_processing WHERE state = '"'failed'"' AND updated_at > now() - interval '"'24 hours'" \
        'supabase_queue_depth{queue="pending_transcriptions",status="failed"}|SELECT count(*) FROM pending_transcriptions WHERE status = '"'failed'"; do
        want=$(su_sql -c "${q#*|}")
        assert_eq "edited contract: exporter ${q%%|*} = hand-written SQL ($want)" "$want" "$(metric "${q%%|*}")"
    done
else
    sed 's/^/    # /' "$DT/qe.log"
fi
stop_daemon "$DT/pids" qe

# ---- a malformed contract is named with file, line and key ----------------------------
sed 's/^    columns:$/    colums:/' "$REPO/sql/contract.yaml" >"$DT/bad.yaml"
out=$("$REPO/build/doctor" --print-contract --contract "$DT/bad.yaml" 2>&1) && rc=0 || rc=$?
assert_eq "a malformed contract: --print-contract exits 2" 2 "$rc"
badline=$(grep -n '^    colums:$' "$DT/bad.yaml" | head -1 | cut -d: -f1)
assert_contains "... naming the file, line and key" "$out" "$DT/bad.yaml:$badline: tables.pending_transcriptions.colums: unknown key"
doctor --contract "$DT/bad.yaml"
assert_contains "the doctor reports it as supabase.contract" "$OUT" "✗ supabase.contract"
finish
