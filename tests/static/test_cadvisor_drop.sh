#!/usr/bin/env bash
# The cAdvisor job's drop list (prometheus/prometheus.yml, metric_relabel_configs
# on __name__) never removes a family that something reads: no dashboard, rule,
# documented query, n8n workflow or daily-report query may name a dropped
# family. Also: the list does drop part of the captured cAdvisor exposition,
# keeps every family the dashboards and rules use, and the check itself
# catches a dashboard that starts using a dropped family.
# (The doctor reads cAdvisor's own /metrics, not Prometheus: not concerned.)
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# check_drop ROOT: prints "dropped-and-used NAME FILE" lines and a summary;
# exits 1 when a dropped family is used.
check_drop() {
    "$PY3" - "$1" "$REPO/bench/fleet" <<'PY'
import re, sys, yaml
root, lib = sys.argv[1], sys.argv[2]
sys.path.insert(0, lib)
import families
cfg = yaml.safe_load(open(root + "/prometheus/prometheus.yml"))
job = next(j for j in cfg["scrape_configs"] if j["job_name"] == "cadvisor")
drops = [re.compile(r["regex"]) for r in job.get("metric_relabel_configs") or []
         if r.get("action") == "drop" and r.get("source_labels") == ["__name__"]]
unnamed = any(r.get("action") == "drop" and r.get("source_labels") == ["id", "name"]
              for r in job.get("metric_relabel_configs") or [])
print("unnamed-cgroup rule in the cadvisor job: %s" % ("yes" if unnamed else "no"))
if not drops:
    print("no drop rule on __name__ in the cadvisor job")
    sys.exit(1)
dropped = lambda n: any(d.fullmatch(n) for d in drops)
fams = families.fixture_families([root + "/local/fixtures/cadvisor-metrics.txt"])
gone = [n for n in fams if dropped(n)]
used = families.used_families(fams, root)
print("fixture families: %d, dropped: %d, used: %s" % (len(fams), len(gone), ",".join(used)))
bad = [(n, p) for n, p in families.refs("(container|machine|cadvisor)_", root) if dropped(n)]
for n, p in bad:
    print("dropped-and-used %s %s" % (n, p))
lost = [n for n in used if dropped(n)]
for n in lost:
    print("used family dropped: %s" % n)
sys.exit(1 if bad or lost or not gone else 0)
PY
}

out=$(check_drop "$REPO" 2>&1)
rc=$?
assert_eq "no family dropped by the cAdvisor job's relabeling is used by a dashboard, rule or doc" 0 "$rc$(
    [ $rc = 0 ] || printf '\n%s' "$out")"
assert_contains "the cadvisor job itself drops unnamed cgroups (a job inserted above its metric_relabel_configs steals them)" \
    "$out" "unnamed-cgroup rule in the cadvisor job: yes"
dropped=$(sed -n 's/.*dropped: \([0-9]*\).*/\1/p' <<<"$out")
check "the drop list removes families of the captured cAdvisor exposition ($dropped)" test "${dropped:-0}" -ge 10
assert_not_contains "the families the dashboards and rules read are kept" "$out" "used family dropped"
assert_contains "container CPU, memory and start time are among them" "$out" \
    "container_cpu_usage_seconds_total,"

# The check catches a new panel on a dropped family.
mkdir -p "$T/repo/local/fixtures" "$T/repo/docs"
cp -r "$REPO/prometheus" "$REPO/grafana" "$T/repo/"
cp "$REPO/local/fixtures/cadvisor-metrics.txt" "$T/repo/local/fixtures/"
jq '.panels += [{"title": "Page cache", "targets": [{"expr": "sum(container_memory_swap{job=\"cadvisor\"})"}]}]' \
    "$REPO/grafana/dashboards/docker-containers.json" >"$T/repo/grafana/dashboards/docker-containers.json"
out=$(check_drop "$T/repo" 2>&1)
rc=$?
assert_eq "a dashboard using a dropped family (container_memory_swap) fails the check" 1 "$rc"
assert_contains "the failure names the family and the file" "$out" \
    "dropped-and-used container_memory_swap grafana/dashboards/docker-containers.json"
finish
