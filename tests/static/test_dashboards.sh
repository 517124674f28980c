#!/usr/bin/env bash
# shellcheck disable=SC2016 # literal $ in jq filters and PromQL are what is tested
# Grafana cannot run here: check the six provisioned dashboards as Grafana
# would load them. Structure and the plan's requirements (tests/dashboards/
# dashq.py static), Grafana's own schema for the pinned release
# (tests/dashboards/validate-schema.js, from @grafana/schema's types), the
# dashboards provider, and the cAdvisor stand-in fixture. The checker itself
# is proven: broken copies of the dashboards must be rejected.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
# shellcheck source=../dashboards/relay.sh
. "$REPO/tests/dashboards/relay.sh"
DASH=$REPO/grafana/dashboards
DSP=$REPO/grafana/provisioning/datasources
FIXTURE=$REPO/local/fixtures/cadvisor-metrics.txt
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
dashq() { "$PY3" "$REPO/tests/dashboards/dashq.py" --datasources "$DSP" "$@"; }

# ---- Grafana's schema, for the Grafana release compose.yaml pins ----------------
grafana_tag=$(sed -n 's|^ *image: grafana/grafana[-a-z]*:\([0-9][0-9.]*\).*|\1|p' "$REPO/compose.yaml" | head -1)
schema_pkg=$REPO/node_modules/@grafana/schema/package.json
if [ -f "$schema_pkg" ]; then
    schema_version=$(jq -r .version "$schema_pkg")
    assert_eq "@grafana/schema is the release compose.yaml runs (grafana $grafana_tag)" "$grafana_tag" "$schema_version"
    # dashboard_types.gen.js up to Grafana 11, types.gen.mjs since 12.
    max_sv=$(cat "$REPO"/node_modules/@grafana/schema/dist/esm/raw/dashboard/x/*types.gen.*js 2>/dev/null |
        sed -n 's/^ *schemaVersion: \([0-9]*\),.*/\1/p' | head -1)
    [ -n "$max_sv" ] || not_ok "@grafana/schema names the current dashboard schemaVersion"
    node "$REPO/tests/dashboards/validate-schema.js" "$DASH"/*.json >"$TMP/schema.tap" 2>&1
    relay_tap "$TMP/schema.tap"
    [ "$RELAYED" -ge 40 ] || not_ok "the schema validation ran (only $RELAYED checks)" "$(tail -5 "$TMP/schema.tap")"
    # The schema check must catch what Grafana would reject or silently drop.
    mkdir -p "$TMP/bad-schema"
    jq '.panels[0].titel = .panels[0].title | .panels[1].options.legend.displayMode = "huge"' \
        "$DASH/infra-overview.json" >"$TMP/bad-schema/infra-overview.json"
    out=$(node "$REPO/tests/dashboards/validate-schema.js" "$TMP/bad-schema/infra-overview.json" 2>&1)
    assert_contains "the schema check rejects an unknown panel key" "$out" "must NOT have additional properties (titel)"
    assert_contains "the schema check rejects an invalid legend mode" "$out" "/legend/displayMode must be equal to one of the allowed values"
else
    not_ok "@grafana/schema is installed (npm ci in $REPO; tests/install-deps.sh)" "missing $schema_pkg"
    max_sv=39
fi

# ---- the checker's Grafana emulation, against outputs Grafana documents ----------
dashq --dashboards "$DASH" --records selftest >"$TMP/selftest.rec" 2>"$TMP/selftest.err"
relay_records "$TMP/selftest.rec"
[ "$RELAYED" -ge 20 ] || not_ok "the emulation self-test ran (only $RELAYED checks)" "$(cat "$TMP/selftest.err")"

# ---- structure and the plan's requirements -------------------------------------
dashq --dashboards "$DASH" --records static --max-schema-version "${max_sv:-39}" >"$TMP/static.rec" 2>"$TMP/static.err"
rc=$?
[ "$rc" -le 1 ] || not_ok "dashq.py static ran" "$(cat "$TMP/static.err")"
relay_records "$TMP/static.rec"
[ "$RELAYED" -ge 300 ] || not_ok "the structural checks ran (only $RELAYED checks)" "$(cat "$TMP/static.err")"

# The checker must fail on broken dashboards: one mutation per rule.
# mutant DESCRIPTION FILE JQ-FILTER EXPECTED-FAILURE-TEXT
mutant() {
    local desc=$1 file=$2 filter=$3 want=$4 d=$TMP/mutant out
    rm -rf "$d" && mkdir -p "$d" && cp "$DASH"/*.json "$d/"
    jq "$filter" "$DASH/$file" >"$d/$file" || { not_ok "mutation for '$desc' applies" "$filter"; return; }
    out=$(dashq --dashboards "$d" static 2>&1)
    if printf '%s\n' "$out" | grep -F -- "not ok - " | grep -F -- "$want" >/dev/null; then
        ok "the checker rejects $desc"
    else
        not_ok "the checker rejects $desc" "expected a failure containing: $want
$(printf '%s\n' "$out" | grep '^not ok' | head -5)"
    fi
}
mutant "a panel without title" infra-overview.json '.panels[1].title = ""' "panel 2 has a title"
mutant "an unknown data source uid" stack-health.json '.panels[0].targets[0].datasource.uid = "nope"' "data source 'nope' is provisioned"
mutant "a panel without targets" business-kpis.json '.panels[0].targets = []' "'Incidents today vs yesterday' has targets"
mutant "a duplicate dashboard uid" stack-health.json '.uid = "infra-overview"' "dashboard uid 'infra-overview' is unique"
mutant "disk thresholds other than 20/10 %" infra-overview.json \
    '(.panels[] | select(.type == "gauge") | .fieldConfig.defaults.thresholds.steps[2].value) = 15' \
    "disk free gauge is red below 10 %, orange below 20 %"
mutant "UP/DOWN without colours" infra-overview.json '.panels[0].fieldConfig.defaults.mappings = []' \
    "maps 1 to UP (green) and 0 to DOWN (red)"
mutant "a stuck-jobs stat that never turns red" processing-queues.json \
    '(.panels[] | select(.title | test("Stuck")) | .fieldConfig.defaults.thresholds.steps) = [{"color":"green","value":null}]' \
    "stuck jobs (processing > 35 min) stat turns red from 1"
mutant "a single-select server variable" docker-containers.json '.templating.list[0].multi = false' \
    "has a multi-select \`server\` variable with All"
mutant "a multi-select variable on the one-server dashboard" host-detail.json '.templating.list[0].multi = true' \
    "has a single-select \`server\` variable"
mutant "a host-detail query that ignores \$server" host-detail.json \
    '.panels[4].targets[0].expr |= gsub(", server=~\"\\$server\""; "")' "filters by the server variable"
mutant "no link from the overview to the host detail" infra-overview.json \
    '.links |= map(select(.url | test("host-detail") | not)) | .panels[0].fieldConfig.defaults.links |= map(select(.url | test("host-detail") | not))' \
    "infra-overview links to host-detail"
mutant "a host query that ignores \$server" infra-overview.json \
    '.panels[1].targets[0].expr |= sub(", server=~\"\\$server\""; "")' "filters by the server variable"
mutant "no link from the overview to the containers" infra-overview.json \
    '.links = [] | .panels[0].fieldConfig.defaults.links = []' "infra-overview links to docker-containers"
mutant "no link from the queues to stack health" processing-queues.json \
    '.links = [] | (.panels[].fieldConfig.defaults.links) = []' "processing-queues links to stack-health"
mutant "a link to a dashboard that does not exist" business-kpis.json '.links[0].url = "/d/nowhere/x"' \
    "points to a provisioned dashboard"
mutant "a legend showing raw instances" stack-health.json \
    '(.panels[] | select(.title == "Scrape duration by job") | .targets[0].legendFormat) = "{{instance}}"' \
    "legend names servers, not raw instances"
mutant "a schemaVersion Grafana does not know" business-kpis.json '.schemaVersion = 99' "schemaVersion 99"
mutant "a time series SQL query that ignores the time picker" processing-queues.json \
    '(.panels[] | select(.title == "Jobs completed per hour") | .targets[0].rawSql) |= sub("AND \\$__timeFilter\\(updated_at\\)"; "")' \
    "follows the time picker"
mutant "a table column whose query is gone (Image without its query)" docker-containers.json \
    '(.panels[] | select(.title == "Containers") | .targets) |= map(select(.refId != "E"))' \
    "panel 'Containers': organize names only columns its queries return"
mutant "a query's raw value column left in the table" docker-containers.json \
    '(.panels[] | select(.title == "Containers") | .transformations[1].options.excludeByName) |= del(.["Value #E"])' \
    "panel 'Containers': every query's value column is placed or hidden"
mutant "an override styling a column the table does not show" docker-containers.json \
    '(.panels[] | select(.title == "Containers") | .transformations[1].options.renameByName["Value #F"]) = "Writable layer"' \
    "panel 'Containers': overrides style only columns it shows"
mutant "overlapping panels" stack-health.json '.panels[1].gridPos = .panels[0].gridPos' "no two panels overlap"
printf '{' >"$TMP/broken.json"
mkdir -p "$TMP/broken" && cp "$DASH"/*.json "$TMP/broken/" && cp "$TMP/broken.json" "$TMP/broken/infra-overview.json"
assert_contains "the checker rejects invalid JSON" "$(dashq --dashboards "$TMP/broken" static 2>&1)" \
    "not ok - infra-overview.json is valid JSON"

# ---- the dashboards provider ----------------------------------------------------
prov=$REPO/grafana/provisioning/dashboards/dashboards.yml
if [ -f "$prov" ]; then
    pv() { "$PY3" -c 'import sys, yaml; p = yaml.safe_load(open(sys.argv[1]))["providers"][0]; print(eval(sys.argv[2]))' "$prov" "$1"; }
    assert_eq "provider reads files" "file" "$(pv 'p["type"]')"
    assert_eq "provider path is where compose mounts grafana/dashboards" "/var/lib/grafana/dashboards" "$(pv 'p["options"]["path"]')"
    assert_eq "provisioned dashboards cannot be changed in the UI" "False" "$(pv 'p["allowUiUpdates"]')"
    assert_eq "provisioned dashboards cannot be deleted in the UI" "True" "$(pv 'p["disableDeletion"]')"
    assert_contains "compose mounts grafana/dashboards read-only at that path" "$(cat "$REPO/compose.yaml")" \
        "./grafana/dashboards:/var/lib/grafana/dashboards:ro"
else
    not_ok "the dashboards provider exists" "missing $prov"
fi
check "the provisioning YAML passes yamllint" yamllint -d relaxed "$REPO/grafana/provisioning/dashboards"

# ---- the cAdvisor stand-in fixture ----------------------------------------------
assert_contains "the fixture says it stands in for cAdvisor" "$(head -3 "$FIXTURE")" "cAdvisor STAND-IN FIXTURE"
assert_contains "the fixture server says it stands in for cAdvisor" "$(sed -n 1,5p "$REPO/local/cadvisor-fixture.py")" "THIS IS NOT cAdvisor"
fx=$("$PY3" - "$FIXTURE" <<'PY' 2>&1
import re, sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
# the parser drops counters' _total suffix from family names
names = set(fams) | {n + "_total" for n, f in fams.items() if f.type == "counter"}
want = ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_memory_usage_bytes",
        "container_spec_memory_limit_bytes", "container_start_time_seconds", "container_last_seen",
        "container_network_receive_bytes_total", "container_network_transmit_bytes_total", "machine_cpu_cores"]
print("missing families:", [w for w in want if w not in names])
cpu = fams["container_cpu_usage_seconds"].samples
named = sorted({s.labels["name"] for s in cpu if s.labels.get("name")})
print("containers:", " ".join(named))
print("cpu labels:", sorted({s.labels.get("cpu") for s in cpu}))
bad = [s.labels.get("id") for f in fams.values() for s in f.samples
       if s.name.startswith("container_") and s.name != "container_scrape_error"
       and not {"id", "image", "name"} <= set(s.labels)]
print("series without id/image/name:", len(bad))
ids = sorted({s.labels["id"] for s in cpu if s.labels.get("name")})
print("docker ids:", all(i.startswith("/system.slice/docker-") and i.endswith(".scope") for i in ids))
print("compose service label:", sorted({s.labels.get("container_label_com_docker_compose_service") for s in cpu
                                         if s.labels.get("name") in ("n8n-n8n-1", "processing_flask-pdf_1", "processing_faster-whisper_1")}))
# Both compose naming styles: v2 project-service-N and v1 project_service_N.
print("compose v2 names:", sorted(n for n in named if re.fullmatch(r"[a-z0-9]+-[a-z0-9-]+-[0-9]+", n)))
print("compose v1 names:", sorted(n for n in named if re.fullmatch(r"[a-z0-9]+_[a-z0-9-]+_[0-9]+", n)))
print("timestamps on usage samples:", all(s.timestamp for s in cpu))
PY
)
assert_contains "the fixture parses as Prometheus text exposition with cAdvisor's metric families" "$fx" "missing families: []"
assert_contains "the fixture has the containers n8n, flask-pdf and faster-whisper (and others)" "$fx" \
    "containers: caddy cadvisor n8n-n8n-1 n8n-postgres-1 processing_faster-whisper_1 processing_flask-pdf_1"
assert_contains "the fixture names containers the Compose v2 way (project-service-1)" "$fx" \
    "compose v2 names: ['n8n-n8n-1', 'n8n-postgres-1']"
assert_contains "the fixture names containers the Compose v1 way (project_service_1)" "$fx" \
    "compose v1 names: ['processing_faster-whisper_1', 'processing_flask-pdf_1']"
assert_contains "CPU is per container, cpu=\"total\" as cAdvisor does with per-CPU metrics off" "$fx" "cpu labels: ['total']"
assert_contains "every container series carries id, image and name" "$fx" "series without id/image/name: 0"
assert_contains "container ids are cgroup v2 systemd scopes, as on Ubuntu 24.04" "$fx" "docker ids: True"
assert_contains "compose labels are exported as container_label_*" "$fx" \
    "compose service label: ['faster-whisper', 'flask-pdf', 'n8n']"
assert_contains "usage samples carry timestamps, as cAdvisor's do" "$fx" "timestamps on usage samples: True"
check "the fixture server compiles" "$PY3" -m py_compile "$REPO/local/cadvisor-fixture.py"
check_fails "the fixture server refuses a malformed --listen" "$PY3" "$REPO/local/cadvisor-fixture.py" \
    --listen nowhere --fixture "$FIXTURE"
printf 'container_last_seen{id="/x",name="a"} 1\n' >"$TMP/nostart.txt"
out=$("$PY3" "$REPO/local/cadvisor-fixture.py" --listen 127.0.0.1:1 --fixture "$TMP/nostart.txt" 2>&1)
assert_contains "the fixture server names the problem in a fixture without start times" "$out" \
    "no container_start_time_seconds{id=...} samples"
printf 'container_last_seen{id="/x" 1\n' >"$TMP/garbled.txt"
out=$("$PY3" "$REPO/local/cadvisor-fixture.py" --listen 127.0.0.1:1 --fixture "$TMP/garbled.txt" 2>&1)
assert_contains "the fixture server names file and line of a malformed sample" "$out" "garbled.txt:1:"
check "shellcheck: dashboard tests" shellcheck -x "$REPO/tests/static/test_dashboards.sh" \
    "$REPO/tests/integration/test_dashboards.sh"
finish
