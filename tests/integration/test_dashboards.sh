#!/usr/bin/env bash
# Every dashboard query, proven on the loopback stack's real Prometheus and
# PostgreSQL (Grafana itself cannot run here). tests/dashboards/dashq.py
# substitutes the template variables as Grafana does (All, each server, a
# multi-selection), expands $__rate_interval / $__interval / SQL macros, runs
# each PromQL target through Prometheus' HTTP API (queries for the `thanos`
# data source too: Thanos Query serves the same API and PromQL) and each SQL
# target as grafana_readonly. Then a few panels are checked for the numbers a
# user would see: queue stats against the database, container CPU, memory and
# restarts against the cAdvisor stand-in.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
# shellcheck source=../dashboards/relay.sh
. "$REPO/tests/dashboards/relay.sh"
DASH=$REPO/grafana/dashboards
DSP=$REPO/grafana/provisioning/datasources
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
dashq() { "$PY3" "$REPO/tests/dashboards/dashq.py" --dashboards "$DASH" --datasources "$DSP" "$@"; }
# instant value of EXPR for the series whose label NAME is VALUE: value_of EXPR [NAME VALUE]
value_of() {
    prom_query "$1" | jq -r --arg k "${2:-}" --arg v "${3:-}" \
        '[.data.result[] | select($k == "" or .metric[$k] == $v) | .value[1]][0] // empty'
}
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x != "" && x + 0 >= lo && x + 0 <= hi) }'; }

# Targets allowed to return no data here, each with the reason. dashq.py
# checks that the reason still holds (the job has no healthy target here;
# the metric does not exist in this Prometheus) and demands data otherwise,
# and it still runs the query: the PromQL must be valid.
SYNTAX_ONLY=(
    # Thanos is not in Debian's archive: no sidecar, store gateway or compactor on loopback.
    "stack-health/Thanos sidecar: last upload/A=thanos-sidecar"
    "stack-health/Thanos sidecar uploads/A=thanos-sidecar"
    "stack-health/Thanos sidecar uploads/B=thanos-sidecar"
    "stack-health/Thanos sidecar uploads/C=thanos-sidecar"
    "stack-health/Thanos store: blocks loaded/A=thanos-store"
    "stack-health/Thanos compactor runs/A=thanos-compact"
    "stack-health/Thanos compactor runs/B=thanos-compact"
    "stack-health/Thanos compactor halted/A=thanos-compact"
    # Debian's Prometheus 2.42 predates these two gauges (added in 2.43; compose.yaml runs 2.55).
    "stack-health/TSDB size/B=metric:prometheus_tsdb_wal_storage_size_bytes"
    "stack-health/TSDB size/C=metric:prometheus_tsdb_head_chunks_storage_size_bytes"
    "stack-health/Thanos Query endpoints/A=thanos-query"
    "stack-health/Thanos Query endpoints/B=thanos-sidecar"
    "stack-health/Thanos gRPC errors/A=thanos-query"
    # The optional supabase job is off here (no Supabase project to scrape).
    "stack-health/Supabase connections/A=supabase"
    "stack-health/Supabase connections/B=supabase"
    "stack-health/Supabase database size/A=supabase"
    "stack-health/Supabase database size/B=supabase"
    # node_exporter runs here without its systemd collector (no systemd in the test machine).
    "host-detail/Failed systemd units/A=metric:node_systemd_unit_state"
)

if [ -z "${PROM_URL:-}" ] || [ -z "${GRAFANA_DB_DSN:-}" ] || [ -z "${CADVISOR_URL:-}" ]; then
    not_ok "the loopback stack's addresses are loaded" "STACK_ENV=${STACK_ENV:-unset}: PROM_URL, GRAFANA_DB_DSN or CADVISOR_URL missing"
    finish
fi
if ! curl -fsS -o /dev/null --max-time 5 "$PROM_URL/-/ready"; then
    not_ok "the loopback stack's Prometheus answers at $PROM_URL" "is the stack running? (local/stack.sh status)"
    finish
fi

# ---- the cAdvisor stand-in ----------------------------------------------------------
ctype=$(curl -fsS --max-time 5 -o /dev/null -w '%{content_type}' "$CADVISOR_URL/metrics")
assert_eq "the cAdvisor stand-in serves the text exposition format" "text/plain; version=0.0.4; charset=utf-8" "$ctype"
n8n_cpu() { curl -fsS --max-time 5 "$CADVISOR_URL/metrics" | awk '/^container_cpu_usage_seconds_total\{.*name="n8n-n8n-1"/ { print $2 }'; }
c1=$(n8n_cpu)
sleep 1.5
c2=$(n8n_cpu)
check "the stand-in's CPU counters advance (rate() is not zero)" awk -v a="$c1" -v b="$c2" 'BEGIN { exit !(a != "" && b > a) }'
before=$(date +%s)
seen=$(curl -fsS --max-time 5 "$CADVISOR_URL/metrics" | awk '/^container_last_seen\{.*name="processing_flask-pdf_1"/ { print $2 }')
after=$(date +%s)
check "container_last_seen is the time of the scrape" between "$seen" "$before" "$((after + 1))"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$CADVISOR_URL/fixture/restart?name=no-such-container")
assert_eq "restarting an unknown container is refused" 404 "$code"

# Prometheus must keep what cAdvisor reports for Docker containers.
have_containers() {
    [ "$(prom_query 'count(container_last_seen{job="cadvisor", container_label_com_docker_compose_service=~"n8n|flask-pdf|faster-whisper"})' |
        jq -r '.data.result[0].value[1] // 0')" = 3 ]
}
if eventually 20 have_containers; then
    ok "Prometheus stores cAdvisor's series for n8n, flask-pdf and faster-whisper"
else
    not_ok "Prometheus stores cAdvisor's series for n8n, flask-pdf and faster-whisper" \
        "container_last_seen{job=\"cadvisor\"} has no named container. Docker's containers live in cgroups
/system.slice/docker-<id>.scope under cgroup v2 + systemd (Ubuntu 24.04): a metric_relabel_configs rule
in prometheus/prometheus.yml that drops id=~'/system.slice.*' drops every container. Drop unnamed
cgroups instead (source_labels [id, name], regex '/.+;', action drop).
$(prom_query 'count by (id) (container_last_seen{job="cadvisor"})' | jq -c '[.data.result[].metric.id]')"
fi

# rate(...[5m]) and friends need two samples in their window.
enough_data() {
    [ "$(prom_query 'count(rate(node_cpu_seconds_total{job="node"}[5m])) and count(rate(container_cpu_usage_seconds_total{job="cadvisor"}[1m])) and count(rate(queue_exporter_collect_errors_total[1m]))' |
        jq '.data.result | length')" = 1 ]
}
eventually 30 enough_data || not_ok "Prometheus has two samples of every job to compute rates" "$(curl -s "$PROM_URL/api/v1/targets" | jq -c '[.data.activeTargets[] | {job: .labels.job, health, lastError}]')"
# The value checks below compare rates with the fixture's: the containers'
# series must cover a whole rate window (1 min) first, or rate() reads low.
full_window() {
    [ "$(prom_query 'count_over_time(container_last_seen{job="cadvisor", container_label_com_docker_compose_service="faster-whisper"}[1m])' |
        jq -r '.data.result[0].value[1] // 0')" -ge 30 ]
}
eventually 75 full_window || not_ok "cAdvisor's series cover a whole minute" "$(prom_query 'count_over_time(container_last_seen{job="cadvisor"}[1m])' | jq -c .data.result)"

# ---- every PromQL target -------------------------------------------------------------
args=()
for s in "${SYNTAX_ONLY[@]}"; do args+=(--syntax-only "$s"); done
dashq --records prom --prom-url "$PROM_URL" "${args[@]}" >"$TMP/prom.rec" 2>"$TMP/prom.err"
rc=$?
[ "$rc" -le 1 ] || not_ok "dashq.py prom ran" "$(cat "$TMP/prom.err")"
relay_records "$TMP/prom.rec"
[ "$RELAYED" -ge 150 ] || not_ok "every PromQL target was evaluated (only $RELAYED checks)" "$(cat "$TMP/prom.err")"
# One key per exemption, whatever the number of variable scenarios it ran in.
syntax_only=$(tr '\0' '\n' <"$TMP/prom.rec" | grep 'syntax-only:' | sed 's/ \[.*//' | sort -u | wc -l)
assert_eq "exactly the listed targets are syntax-only (${#SYNTAX_ONLY[@]})" "${#SYNTAX_ONLY[@]}" "$syntax_only"

# ---- every SQL target ------------------------------------------------------------------
dashq --records sql --dsn "$GRAFANA_DB_DSN" >"$TMP/sql.rec" 2>"$TMP/sql.err"
rc=$?
[ "$rc" -le 1 ] || not_ok "dashq.py sql ran" "$(sed 's/password=[^ ]*/password=***/' "$TMP/sql.err")"
relay_records "$TMP/sql.rec"
[ "$RELAYED" -ge 40 ] || not_ok "every SQL target was run (only $RELAYED checks)" "$(cat "$TMP/sql.err")"

# ---- the checkers fail on broken queries -----------------------------------------------
# broken KIND DESCRIPTION FILE JQ-FILTER EXPECTED-FAILURE: one dashboard, mutated, checked alone.
broken() {
    local kind=$1 desc=$2 file=$3 filter=$4 want=$5 d=$TMP/broken out
    rm -rf "$d" && mkdir -p "$d"
    jq "$filter" "$DASH/$file" >"$d/$file" || { not_ok "mutation for '$desc' applies" "$filter"; return; }
    if [ "$kind" = prom ]; then
        out=$("$PY3" "$REPO/tests/dashboards/dashq.py" --dashboards "$d" --datasources "$DSP" prom --prom-url "$PROM_URL" 2>&1)
    else
        out=$("$PY3" "$REPO/tests/dashboards/dashq.py" --dashboards "$d" --datasources "$DSP" sql --dsn "$GRAFANA_DB_DSN" 2>&1)
    fi
    if printf '%s\n' "$out" | grep '^not ok' | grep -F -- "$want" >/dev/null; then ok "the $kind check catches $desc"; else
        not_ok "the $kind check catches $desc" "expected a failure containing: $want
$(printf '%s\n' "$out" | grep '^not ok' | head -5)"
    fi
}
broken prom "a misspelt metric" infra-overview.json \
    '.panels[1].targets[0].expr |= sub("server:node_cpu_busy:ratio_rate5m"; "server:node_cpu_busy:ratio_rate_5m")' \
    "CPU used (5 min average)/A [all variables = All]: returns data"
broken prom "invalid PromQL" stack-health.json '.panels[0].targets[0].expr = "count(up == )"' \
    "Targets down/A [no variables]: Prometheus evaluates the query"
broken prom "a legend label the series do not have" infra-overview.json \
    '.panels[2].targets[0].legendFormat = "{{hostname}}"' "every series has the legend's labels ['hostname']"
broken prom "legends that collapse series" docker-containers.json \
    '(.panels[] | select(.title == "CPU by container") | .targets[0].legendFormat) = "{{server}}"' "legend names are unique"
broken sql "a missing column" business-kpis.json \
    '(.panels[] | select(.title == "GPS coverage") | .targets[0].rawSql) |= sub("updated_at"; "update_at")' \
    "GPS coverage/A: runs on PostgreSQL as the read-only user"
broken sql "a table the read-only role may not read" business-kpis.json \
    '(.panels[] | select(.title == "GPS coverage") | .targets[0].rawSql) = "SELECT count(*) FROM pg_authid"' \
    "GPS coverage/A: runs on PostgreSQL as the read-only user"
broken sql "a text value in a time series" processing-queues.json \
    '(.panels[] | select(.title == "Jobs completed per hour") | .targets[0].rawSql) |= sub("count\\(\\*\\) AS"; "count(*)::text AS")' \
    "every value column is numeric"
broken sql "a time series without a time column" business-kpis.json \
    '(.panels[] | select(.title == "Incidents per day") | .targets[0].rawSql) |= sub("AS \"time\""; "AS day")' \
    "a time series query returns a column named time"
broken sql "unsorted time series rows" business-kpis.json \
    '(.panels[] | select(.title == "Incidents per day") | .targets[0].rawSql) |= sub("ORDER BY 1"; "ORDER BY 1 DESC")' \
    "rows are ordered by time"
broken sql "a styled column the query does not return" business-kpis.json \
    '(.panels[] | select(.title == "Silent vehicles") | .targets[0].rawSql) |= sub("AS \"Silent for\""; "AS silent")' \
    "the column 'Silent for' that the panel styles exists"

# ---- the numbers users see ------------------------------------------------------------
sq() { pg_psql "$PG_DIR" "$PGPORT" -At -c "$1"; }
ro() { psql "$GRAFANA_DB_DSN" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
# expanded at NOW when set (the same instant as the reference query), else now
exp_q() { dashq ${NOW:+--now "$NOW"} expand --uid "$1" --panel "$2" --ref "${3:-A}"; }

# same_as_db DESCRIPTION SQL PANEL: the queue stat equals the database's count.
# Retried briefly: the exporter caches for a few seconds and jobs age into "stuck".
same_as_db() {
    local desc=$1 sql=$2 expr db shown _
    expr=$(exp_q processing-queues "$3")
    for _ in $(seq 1 10); do
        db=$(sq "$sql")
        shown=$(value_of "$expr")
        [ -n "$db" ] && [ "$db" = "$shown" ] && break
        sleep 1
    done
    assert_eq "$desc" "$db" "$shown"
}
same_as_db "Pending transcriptions shows the database's pending transcriptions" \
    "SELECT count(*) FROM pending_transcriptions WHERE status = 'pending'" 'Pending transcriptions'
same_as_db "Pending PDF jobs shows the database's pending PDF jobs" \
    "SELECT count(*) FROM pending_pdf_processing WHERE status = 'pending'" 'Pending PDF jobs'
same_as_db "Stuck jobs counts jobs processing for more than 35 minutes, both queues" \
    "SELECT count(*) FROM (SELECT updated_at FROM pending_transcriptions WHERE status = 'processing'
      UNION ALL SELECT updated_at FROM pending_pdf_processing WHERE status = 'processing') j
     WHERE updated_at < now() - interval '35 minutes'" 'Stuck jobs (processing > 35 min)'
same_as_db "Failed permanently (24 h) counts both queues' failures of the last 24 h" \
    "SELECT count(*) FROM (SELECT updated_at FROM pending_transcriptions WHERE status = 'failed'
      UNION ALL SELECT updated_at FROM pending_pdf_processing WHERE status = 'failed') j
     WHERE updated_at > now() - interval '24 hours'" 'Failed permanently (24 h)'
assert_eq "Server status shows F and B up" '["B","1"] ["F","1"]' \
    "$(prom_query "$(exp_q infra-overview 'Server status')" | jq -c '.data.result[] | [.metric.server, .value[1]]' | sort | tr '\n' ' ' | sed 's/ $//')"
disk=$(value_of "$(exp_q infra-overview 'Disk free (fullest filesystem)')" server F)
check "Disk free is a percentage ($disk %)" between "$disk" 0.01 100

table=(docker-containers Containers)
status=$(prom_query "$(exp_q "${table[@]}" A)" | jq -r '[.data.result[] | select(.value[1] | tonumber < 60) | .metric.name] | sort | join(" ")')
assert_eq "the container table shows every container of the stand-in as running, by compose service (else name)" \
    "caddy cadvisor faster-whisper flask-pdf n8n postgres" "$status"
whisper=$(value_of "$(exp_q "${table[@]}" C)" name faster-whisper)
check "faster-whisper's CPU column shows its 1.38 cores as about 138 % ($whisper)" between "$whisper" 125 150
assert_eq "n8n's RAM column shows its working set (612 MiB)" "$((612 * 1024 * 1024))" \
    "$(value_of "$(exp_q "${table[@]}" D)" name n8n)"
assert_eq "no restarts for a container that never restarted" "0" "$(value_of "$(exp_q "${table[@]}" B)" name n8n)"
# The Image column: one image per row of the table (Grafana's merge joins the
# frames on the fields all of them have, server and name here; a second image
# for one container would add a row of its own, without status).
images=$(prom_query "$(exp_q "${table[@]}" E)" | jq -r '[.data.result[] | "\(.metric.server)/\(.metric.name)=\(.metric.image)"] | sort | join(" ")')
assert_eq "the Image column shows each container's image, by compose service (else name)" \
    "B/caddy=caddy:2.8.4-alpine B/cadvisor=ghcr.io/google/cadvisor:v0.60.5 B/faster-whisper=ecotrans/faster-whisper:1.0.3 B/flask-pdf=ecotrans/flask-pdf:2.3.1 B/n8n=docker.n8n.io/n8nio/n8n:1.64.3 B/postgres=postgres:16.4-alpine" \
    "$images"
rows_of() { prom_query "$(exp_q "${table[@]}" "$1")" | jq -r '[.data.result[] | "\(.metric.server)/\(.metric.name)"] | sort | join(" ")'; }
assert_eq "the image rows merge into the status rows (same server and name, nothing left over)" "$(rows_of A)" "$(rows_of E)"
assert_eq "the Disk column shows faster-whisper's writable layer (4.5 GiB)" 4831838208 \
    "$(value_of "$(exp_q "${table[@]}" F)" name faster-whisper)"
fsp=(docker-containers 'Filesystem usage by container')
assert_eq "Filesystem usage shows flask-pdf's writable layer (1.2 GiB)" 1288490188 "$(value_of "$(exp_q "${fsp[@]}" A)" name flask-pdf)"
share=$(value_of "$(exp_q "${fsp[@]}" B)" name flask-pdf)
# The recorded share is a ratio; the panel's unit for query B (percentunit)
# shows it as a percentage.
check "Filesystem usage: flask-pdf holds 1.59 % of /dev/sda1 (ratio $share)" between "$share" 0.01588 0.01590
assert_eq "Filesystem usage shows query B's ratio as a percentage (unit percentunit)" percentunit \
    "$(jq -r '.panels[] | select(.title == "Filesystem usage by container") | .fieldConfig.overrides[]
        | select(.matcher.options == "B") | .properties[] | select(.id == "unit") | .value' "$REPO/grafana/dashboards/docker-containers.json")"
assert_eq "the share names the filesystem (device) of each container" "/dev/sda1" \
    "$(prom_query "$(exp_q "${fsp[@]}" B)" | jq -r '[.data.result[].metric.device] | unique | join(" ")')"
before=$(value_of "$(exp_q "${table[@]}" B)" name flask-pdf)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$CADVISOR_URL/fixture/restart?name=flask-pdf")
assert_eq "the stand-in simulates Docker restarting flask-pdf" 200 "$code"
restarted() { [ "$(value_of "$(exp_q "${table[@]}" B)" name flask-pdf)" = "$((${before:-0} + 1))" ]; }
if eventually 20 restarted; then ok "Restarts (1 h) shows flask-pdf's restart"; else
    not_ok "Restarts (1 h) shows flask-pdf's restart" "$(prom_query "$(exp_q "${table[@]}" B)" | jq -c '.data.result')"
fi
assert_eq "the restart is not attributed to another container" "0" "$(value_of "$(exp_q "${table[@]}" B)" name n8n)"
events=$(exp_q docker-containers 'Restart events (24 h)')
check "Restart events (24 h) counts the restart in its bucket" \
    between "$(value_of "$events" name flask-pdf)" 1 1000
cpu_after=$(value_of "$(exp_q "${table[@]}" C)" name flask-pdf)
check "CPU stays a sane percentage across the counter reset ($cpu_after)" between "$cpu_after" 0 100

today_ro=$(ro "$(exp_q business-kpis 'Incidents today vs yesterday')" | cut -d'|' -f1)
assert_eq "Incidents today counts incidents since midnight in Europe/Paris" \
    "$(sq "SELECT count(*) FROM incidents WHERE (created_at AT TIME ZONE 'Europe/Paris')::date = (now() AT TIME ZONE 'Europe/Paris')::date")" \
    "$today_ro"
NOW=$(date +%s)
at="to_timestamp($NOW)"
assert_eq "Incidents per day puts every incident of the last 30 days in exactly one day" \
    "$(sq "SELECT count(*) FROM incidents WHERE created_at BETWEEN $at - interval '30 days' AND $at")" \
    "$(ro "SELECT sum(incidents) FROM ($(exp_q business-kpis 'Incidents per day')) d")"
assert_eq "Jobs completed per hour adds up to the transcriptions completed in the last 24 h" \
    "$(sq "SELECT count(*) FROM pending_transcriptions WHERE status = 'completed' AND updated_at BETWEEN $at - interval '24 hours' AND $at")" \
    "$(ro "SELECT sum(transcriptions) FROM ($(exp_q processing-queues 'Jobs completed per hour')) d")"
unset NOW
# One statement, so both sides see the same now().
assert_eq "GPS coverage is the share of vehicles with a position in the last 10 minutes" "t" \
    "$(ro "SELECT round(g.\"GPS coverage\", 6) = round(100.0 * f.recent / f.total, 6)
           FROM ($(exp_q business-kpis 'GPS coverage')) g,
                (SELECT count(*) AS total, sum(CASE WHEN age(now(), updated_at) < interval '10 minutes'
                                                    THEN 1 ELSE 0 END) AS recent FROM fleet_positions) f")"
finish
