#!/usr/bin/env bash
# Alert rules (prometheus/rules/*.yml):
#   - promtool check rules, and promtool test rules on tests/rules/*.test.yml;
#   - the conventions every rule follows (severity, annotations, runbook
#     anchor, dashboard uid, a comment explaining the threshold);
#   - coverage: every alert has unit tests where it fires and where it does
#     not, for each of its severities, and a row in docs/alerts.md;
#   - mutation checks: each threshold nudged to either side, each `for:`
#     shortened and lengthened, each exclusion removed, must make the unit
#     tests fail. This proves the tests pin both sides of every edge
#     instead of merely running.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

RULES_DIR=$REPO/prometheus/rules
TESTS_DIR=$REPO/tests/rules

command -v promtool >/dev/null || { not_ok "promtool is installed (apt-get install prometheus)"; finish; }

shopt -s nullglob
rule_files=("$RULES_DIR"/*.yml)
test_files=("$TESTS_DIR"/*.test.yml)
[ ${#rule_files[@]} -gt 0 ] || not_ok "rule files exist in prometheus/rules/"
[ ${#test_files[@]} -gt 0 ] || not_ok "unit test files exist in tests/rules/"

for f in "${rule_files[@]}"; do
    check "promtool check rules ${f#"$REPO"/}" promtool check rules "$f"
    # Every rules file is exercised by at least one test file.
    if grep -lqsF -- "../../prometheus/rules/$(basename "$f")" "${test_files[@]}"; then
        ok "${f#"$REPO"/} has a unit test file in tests/rules/"
    else
        not_ok "${f#"$REPO"/} has a unit test file in tests/rules/"
    fi
done
for t in "${test_files[@]}"; do
    check "promtool test rules ${t#"$REPO"/}" promtool test rules "$t"
done

check "yamllint prometheus/rules tests/rules" yamllint -s -c "$REPO/.yamllint" "$RULES_DIR" "$TESTS_DIR"

# Conventions, coverage, docs and mutations: one Python pass (Debian's
# python3 has PyYAML) printing "PASS<TAB>desc" or "FAIL<TAB>desc<TAB>evidence".
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY3" - "$REPO" "$work" >"$work/results.tsv" 2>"$work/python.err" <<'PY'
import concurrent.futures, copy, os, re, subprocess, sys, glob
import yaml

repo, work = sys.argv[1], sys.argv[2]
RUNBOOK = "https://github.com/ecotrans/monitoring/blob/main/docs/alerts.md#"
DASHBOARDS = {"infra-overview", "docker-containers", "processing-queues", "business-kpis", "stack-health", "host-detail"}
ANNOTATIONS = {"summary", "description", "value", "dashboard", "runbook_url"}
# Alerts whose value is a state (down, absent, alive), not a quantity: their
# description says the state instead of quoting $value.
STATE_ONLY = {"InstanceDown", "TargetDown", "QueueExporterDown", "ContainerAbsent", "HostSystemdUnitFailed", "Watchdog",
              "WatcherDown"}

def out(ok, desc, evidence=""):
    ev = evidence.replace("\t", " ").replace("\n", "\\n")
    print("%s\t%s\t%s" % ("PASS" if ok else "FAIL", desc, ev))

rule_files = sorted(glob.glob(os.path.join(repo, "prometheus/rules/*.yml")))
test_files = sorted(glob.glob(os.path.join(repo, "tests/rules/*.test.yml")))
rules = []   # (file, group index, rule index, rule)
for f in rule_files:
    doc = yaml.safe_load(open(f))
    for gi, g in enumerate(doc.get("groups", [])):
        for ri, r in enumerate(g.get("rules", [])):
            if "alert" in r:
                rules.append((f, gi, ri, r))

# ---- conventions -------------------------------------------------------------
for f, gi, ri, r in rules:
    name = r["alert"]
    sev = r.get("labels", {}).get("severity")
    tag = "%s (%s)" % (name, sev)
    if name == "Watchdog":
        out(sev == "none", "%s: severity none (the Watchdog is no problem and is never emailed)" % tag)
    else:
        out(sev in ("critical", "warning"), "%s: severity is critical or warning" % tag, str(sev))
    ann = r.get("annotations", {})
    out(set(ann) == ANNOTATIONS, "%s: annotations are exactly %s" % (tag, sorted(ANNOTATIONS)), str(sorted(ann)))
    out(ann.get("dashboard") in DASHBOARDS, "%s: dashboard annotation is a contract dashboard uid" % tag,
        str(ann.get("dashboard")))
    out(ann.get("runbook_url") == RUNBOOK + name.lower(), "%s: runbook_url points at docs/alerts.md#%s" % (tag, name.lower()),
        str(ann.get("runbook_url")))
    summ = ann.get("summary", "")
    if name != "Watchdog":
        out(re.search(r"\$labels\.(server|name|queue|probe)", summ) is not None,
            "%s: summary names the server, container or queue" % tag, summ)
    if name not in STATE_ONLY:
        out("$value" in ann.get("description", ""), "%s: description quotes the value" % tag, ann.get("description", ""))
    out("for" in r, "%s: states its for: explicitly" % tag)

# The panel an alert's description names ((Dashboard, panel "X")) exists on
# the dashboard its `dashboard` annotation links, and queries a metric of
# the alert's expression: the email leads to a graph of the problem. The
# rules files below name one for every alert.
import json
PANEL_FILES = {"hosts-extra.yml", "containers-extra.yml", "stack-extra.yml", "thanos.yml", "supabase.yml", "probes.yml"}
def dash_exprs(uid):
    path = os.path.join(repo, "grafana/dashboards/%s.json" % uid)
    if not os.path.exists(path):
        return None
    out = {}
    def walk(panels):
        for p in panels or []:
            out.setdefault(p.get("title", ""), []).extend(t.get("expr", "") for t in p.get("targets") or [])
            walk(p.get("panels"))
    walk(json.load(open(path)).get("panels"))
    return out
# A panel that reads a recorded series (prometheus/rules/dashboards.yml)
# queries the metrics of the recording rule's expression.
RECORDED = {}
for f in rule_files:
    for g in yaml.safe_load(open(f)).get("groups") or []:
        for rr in g.get("rules") or []:
            if "record" in rr:
                RECORDED[rr["record"]] = rr["expr"]
def with_recorded(exprs):
    return [e + "".join(" " + x for rec, x in RECORDED.items() if re.search(re.escape(rec) + r"\b", e))
            for e in exprs]
for f, gi, ri, r in rules:
    name, ann = r["alert"], r.get("annotations", {})
    titles = re.findall(r'(?:panel|table) "([^"]+)"', ann.get("description", ""))
    if os.path.basename(f) in PANEL_FILES:
        out(bool(titles), "%s (%s): description names the dashboard panel showing the problem" % (name, r["labels"].get("severity")),
            ann.get("description", ""))
    panels = dash_exprs(ann.get("dashboard", "")) if titles else None
    metrics = set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", r["expr"]))
    for t in titles:
        exprs = (panels or {}).get(t)
        exprs = with_recorded(exprs) if exprs is not None else None
        out(exprs is not None, "%s: panel %r exists on dashboard %s" % (name, t, ann.get("dashboard")),
            "panels: %s" % sorted(panels or {}))
        if exprs is not None:
            out(any(m in e for m in metrics for e in exprs), "%s: panel %r queries a metric of the alert (%s)"
                % (name, t, ", ".join(sorted(metrics))), " | ".join(exprs)[:300])

# Every alert (its first rule) has a comment right above it explaining it.
for f in rule_files:
    lines = open(f).read().splitlines()
    seen = set()
    for i, line in enumerate(lines):
        m = re.match(r"^\s*- alert:\s*(\S+)", line)
        if not m or m.group(1) in seen:
            continue
        seen.add(m.group(1))
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        out(j >= 0 and lines[j].strip().startswith("#"),
            "%s: a comment above the rule explains its threshold (%s)" % (m.group(1), os.path.basename(f)))

# ---- coverage by the unit tests ------------------------------------------------
cases = {}   # alertname -> list of exp_alerts lists
for t in test_files:
    doc = yaml.safe_load(open(t))
    for test in doc.get("tests", []):
        for a in test.get("alert_rule_test", []) or []:
            cases.setdefault(a["alertname"], []).append(a.get("exp_alerts") or [])
for name in sorted({r["alert"] for _, _, _, r in rules}):
    got = cases.get(name, [])
    out(any(len(e) > 0 for e in got), "%s: a unit test expects it to fire" % name)
    if name != "Watchdog":
        out(any(len(e) == 0 for e in got), "%s: a unit test expects it not to fire" % name)
    for sev in sorted({r.get("labels", {}).get("severity") for _, _, _, r in rules if r["alert"] == name}):
        out(any(x.get("exp_labels", {}).get("severity") == sev for e in got for x in e),
            "%s: a unit test expects its %s alert, labels and annotations" % (name, sev))
        out(all(set(x.get("exp_annotations", {})) == ANNOTATIONS for e in got for x in e),
            "%s: every expected %s alert checks all annotation texts" % (name, sev))

# ---- docs/alerts.md ---------------------------------------------------------------
docs_path = os.path.join(repo, "docs/alerts.md")
docs = open(docs_path).read() if os.path.exists(docs_path) else ""
out(bool(docs), "docs/alerts.md exists")
for name in sorted({r["alert"] for _, _, _, r in rules}):
    out('<a id="%s"></a>' % name.lower() in docs, "docs/alerts.md has the runbook anchor #%s" % name.lower())
    out(re.search(r"^\|[^\n]*\b%s\b" % re.escape(name), docs, re.M) is not None,
        "docs/alerts.md has a table row for %s" % name)

# local/rule-overrides.txt only names real alerts (a typo would silently do nothing).
ov = os.path.join(repo, "local/rule-overrides.txt")
if os.path.exists(ov):
    names = {r["alert"] for _, _, _, r in rules}
    for line in open(ov):
        line = line.split("#", 1)[0].split()
        if line:
            out(line[0] in names and re.fullmatch(r"[0-9]+[smh]", line[1] if len(line) > 1 else "") is not None,
                "local/rule-overrides.txt: %s is a known alert with a duration" % line[0], " ".join(line))

# ---- mutations -----------------------------------------------------------------------
# (alert, severity or None for all, exact text in expr, replacement, why it must fail)
EXPR = [
    ("InstanceDown", None, 'up{job="node"} == 0', "up == 0", "another job's down target"),
    ("HostHighCpuLoad", None, "> 0.90", "> 0.88", "89 % busy"), ("HostHighCpuLoad", None, "> 0.90", "> 0.92", "91 % busy"),
    ("HostMemoryHigh", "warning", "> 0.90", "> 0.88", "89 % used"), ("HostMemoryHigh", "warning", "> 0.90", "> 0.92", "91 % used"),
    ("HostMemoryHigh", "critical", "> 0.95", "> 0.93", "94 % used"), ("HostMemoryHigh", "critical", "> 0.95", "> 0.97", "96 % used"),
    ("HostDiskSpaceLow", "warning", "< 0.20", "< 0.22", "21 % free"), ("HostDiskSpaceLow", "warning", "< 0.20", "< 0.18", "19 % free"),
    ("HostDiskSpaceLow", "critical", "< 0.10", "< 0.12", "11 % free"), ("HostDiskSpaceLow", "critical", "< 0.10", "< 0.08", "9 % free"),
    ("HostDiskSpaceLow", "warning", ', fstype!~"tmpfs|ramfs|overlay|squashfs"', "", "tmpfs/overlay/squashfs ignored"),
    ("HostDiskSpaceLow", "warning", 'and node_filesystem_readonly{job="node"} == 0', "", "read-only filesystems ignored"),
    ("HostDiskWillFillIn24Hours", None, "< 0.40", "< 0.70", "60 % free is too early"),
    ("HostDiskWillFillIn24Hours", None, "< 0.40", "< 0.30", "34 % free"),
    ("HostDiskWillFillIn24Hours", None, "24 * 3600", "12 * 3600", "full in 19 h"),
    ("HostDiskWillFillIn24Hours", None, "24 * 3600", "48 * 3600", "full in 29 h"),
    ("HostSwapFilling", None, "> 0.80", "> 0.78", "79 % used"), ("HostSwapFilling", None, "> 0.80", "> 0.82", "81 % used"),
    ("HostCpuStealHigh", None, "> 0.10", "> 0.08", "9 % steal"), ("HostCpuStealHigh", None, "> 0.10", "> 0.12", "11 % steal"),
    ("HostOomKill", None, "> 0", "> 1", "one kill"), ("HostOomKill", None, "> 0", "> -1", "no kill"),
    ("HostClockSkew", None, "> 0.05", "> 0.03", "40 ms"), ("HostClockSkew", None, "> 0.05", "> 0.07", "60 ms"),
    ("HostClockSkew", None, 'abs(node_timex_offset_seconds{job="node"})', 'node_timex_offset_seconds{job="node"}', "a clock behind"),
    ("HostClockNotSynchronising", None, ">= 16", ">= 15", "15.9 s max error"),
    ("HostClockNotSynchronising", None, ">= 16", ">= 17", "16 s max error"),
    ("HostClockNotSynchronising", None, "max_over_time", "min_over_time", "intermittent sync"),
    ("HostSystemdUnitFailed", None, 'state="failed"', 'state="active"', "only failed units"),
    ("ContainerRestarting", None, ">= 2", ">= 1", "a single restart"), ("ContainerRestarting", None, ">= 2", ">= 3", "two restarts"),
    ("ContainerRestarting", None, '{name!=""}', "", "unnamed cgroups ignored"),
    ("ContainerAbsent", None, 'unless on (server) (up{job="cadvisor"} == 0)', "", "silent while cAdvisor is down"),
    ("ContainerMemoryNearLimit", None, "> 0.90", "> 0.88", "89 % of the limit"),
    ("ContainerMemoryNearLimit", None, "> 0.90", "> 0.92", "91 % of the limit"),
    ("ContainerMemoryNearLimit", None, '{name!=""} > 0,', '{name!=""},', "containers without a limit"),
    # The compose service name (container_label_com_docker_compose_service) over the container name.
    ("ContainerAbsent", None, '"name", "$1", "container_label_com_docker_compose_service", "(.+)"', '"name", "$1", "name", "(.+)"',
     "a Compose v1/v2 container name"),
    ("ContainerRestarting", None, '"name", "$1", "container_label_com_docker_compose_service", "(.+)"', '"name", "$1", "name", "(.+)"',
     "alert named by compose service"),
    ("ContainerMemoryNearLimit", None, '"name", "$1", "container_label_com_docker_compose_service", "(.+)"', '"name", "$1", "name", "(.+)"',
     "a Compose v2 container name"),
    ("QueueBacklogGrowing", None, "> 30", "> 29", "30 pending"), ("QueueBacklogGrowing", None, "> 30", "> 31", "31 pending"),
    ("QueueBacklogGrowing", None, "> 20", "> 19", "grew by 20"), ("QueueBacklogGrowing", None, "> 20", "> 21", "grew by 21"),
    ("QueueStalled", None, '{status="pending"} > 0', '{status="pending"} >= 0', "an idle queue"),
    ("QueueStalled", None, "== 0", "<= 1", "one completion"),
    ("QueueJobsStuck", None, "> 0", "> 1", "one stuck job"), ("QueueJobsStuck", None, "> 0", "> -1", "no stuck job"),
    ("QueueJobsFailed", None, "> 0", "> 3", "three failures"), ("QueueJobsFailed", None, "> 0", "> -1", "no failure"),
    ("QueueExporterDown", None, 'up{job="queue-exporter"}', "up", "another job's down target"),
    ("QueueDatabaseUnreachable", None, "== 0", "== 1", "database reachable"),
    ("TargetDown", None, 'job!~"node|queue-exporter|watcher"', 'job!~"node|watcher"', "the queue exporter has its own alert"),
    ("TargetDown", None, 'job!~"node|queue-exporter|watcher"', 'job!~"queue-exporter|watcher"', "node has InstanceDown"),
    ("TargetDown", None, 'job!~"node|queue-exporter|watcher"', 'job!~"node|queue-exporter"', "the watcher has WatcherDown"),
    ("PrometheusRuleEvaluationFailures", None, "> 0", "> 5", "5 failures"),
    ("PrometheusRuleEvaluationFailures", None, "> 0", "> -1", "no failure"),
    ("PrometheusNotificationsFailing", None,
     " or sum by (server) (increase(prometheus_notifications_dropped_total[5m])) > 0", "", "dropped alerts"),
    ("PrometheusNotificationsFailing", None, "[5m])) > 0 or", "[15m])) > 0 or", "a single retried failure"),
    ("ConfigReloadFailed", None, " or alertmanager_config_last_reload_successful == 0", "", "Alertmanager's reload"),
    ("ThanosSidecarUploadFailing", None, "> 0", "> 15", "15 failed uploads"),
    ("ThanosSidecarUploadFailing", None, '{job="thanos-sidecar"}', "", "another job's shipper"),
    ("ThanosSidecarNoRecentUpload", None, '{job="thanos-sidecar"}) > 3 * 3600', '{job="thanos-sidecar"}) > 4 * 3600', "3h10m since upload"),
    ("ThanosSidecarNoRecentUpload", None, '{job="thanos-sidecar"}) > 3 * 3600', '{job="thanos-sidecar"}) > 2 * 3600', "3h since upload"),
    ("ThanosSidecarNoRecentUpload", None, 'process_start_time_seconds{job="thanos-sidecar"}) > 3 * 3600',
     'process_start_time_seconds{job="thanos-sidecar"}) > 1 * 3600', "a sidecar restarted 2h50m ago"),
    ("ThanosSidecarNoRecentUpload", None, 'process_start_time_seconds{job="prometheus"}) > 4 * 3600',
     'process_start_time_seconds{job="prometheus"}) > 3 * 3600', "a Prometheus started 3h50m ago"),
    ("ThanosBucketOperationsFailing", None, "> 0.05", "> 0.035", "4 % failing"),
    ("ThanosBucketOperationsFailing", None, "> 0.05", "> 0.07", "6 % failing"),
    ("ThanosCompactHalted", None, "== 1", "== 0", "running compactor"),
    ("AlertmanagerNotificationsFailing", None, "> 0", "> 10", "10 failures"),
    ("AlertmanagerNotificationsFailing", None, "[10m]", "[30m]", "a single failure"),
    ("MonitoringServerDiskLow", None, "< 0.30", "< 0.28", "29 % free"), ("MonitoringServerDiskLow", None, "< 0.30", "< 0.32", "31 % free"),
    ("MonitoringServerDiskLow", None, ' and on (server) up{job="prometheus"}', "", "servers without Prometheus"),
    ("DailyReportNotSent", None, "26 * 3600", "25 * 3600", "26 h exactly"),
    ("DailyReportNotSent", None, "26 * 3600", "27 * 3600", "26h10m"),
    ("DailyReportNotSent", None, " and daily_report_last_success_timestamp_seconds > 0", "", "never sent yet"),
    ("WatcherDown", None, 'up{job="watcher"}', "up", "another job's down target"),
    ("WatcherNotReceivingHeartbeats", None, "> 5 * 60", "> 4 * 60", "5 min since the last heartbeat"),
    ("WatcherNotReceivingHeartbeats", None, "> 5 * 60", "> 6 * 60", "6 min since the last heartbeat"),
    ("WatcherNotReceivingHeartbeats", None, ' - sum(increase(alertmanager_notifications_failed_total{integration="webhook"}[10m]))', "",
     "webhooks failing: AlertmanagerNotificationsFailing's case"),
    ("WatcherNotReceivingHeartbeats", None, '{integration="webhook"}[10m])) - ', '[10m])) - ', "email notifications do not count"),
    ("WatcherMailFailing", None, " and on (server, instance) watcher_mail_pending == 1", "", "a failure the next retry fixed"),
    ("WatcherMailFailing", None, "[15m])) > 0", "[15m])) > 6", "six failed attempts"),
]

# More entries, one list per line, in tests/rules/mutations.yml:
# [alert, severity or null, old, new, why] with an optional 6th item "all"
# (replace every occurrence).
EXPR_ALL = []
for m in yaml.safe_load(open(os.path.join(repo, "tests/rules/mutations.yml"))) or []:
    (EXPR_ALL if len(m) > 5 and m[5] == "all" else EXPR).append(tuple(m[:5]))

def dur_s(d):
    n = 0
    for v, u in re.findall(r"(\d+)([smhdw])", str(d)):
        n += int(v) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[u]
    return n

def tests_for(name):
    return [t for t in test_files if re.search(r"alertname:\s*%s\s*$" % re.escape(name), open(t).read(), re.M)]

def run_mutant(idx, f, gi, ri, mutate, name):
    doc = yaml.safe_load(open(f))
    rule = doc["groups"][gi]["rules"][ri]
    mutate(rule)
    d = os.path.join(work, "m%03d" % idx)
    os.makedirs(os.path.join(d, "rules"))
    with open(os.path.join(d, "rules", os.path.basename(f)), "w") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    failed = []
    for t in tests_for(name):
        tdoc = yaml.safe_load(open(t))
        tdoc["rule_files"] = [os.path.join(d, "rules", os.path.basename(rf)) for rf in tdoc["rule_files"]]
        tp = os.path.join(d, os.path.basename(t))
        with open(tp, "w") as fh:
            yaml.safe_dump(tdoc, fh, sort_keys=False)
        p = subprocess.run(["promtool", "test", "rules", tp], capture_output=True, text=True, timeout=120)
        failed.append(p.returncode != 0)
    return any(failed)

jobs = []
for f, gi, ri, r in rules:
    name, sev = r["alert"], r.get("labels", {}).get("severity")
    cur = r.get("for", "0m")
    if dur_s(cur) > 0:
        shorter = "%ds" % (dur_s(cur) // 2)
        jobs.append(("%s (%s): for %s shortened to %s" % (name, sev, cur, shorter), f, gi, ri, name,
                     lambda rule, v=shorter: rule.__setitem__("for", v)))
        longer = "%ds" % (dur_s(cur) + 60)
        jobs.append(("%s (%s): for %s lengthened to %s" % (name, sev, cur, longer), f, gi, ri, name,
                     lambda rule, v=longer: rule.__setitem__("for", v)))
    else:
        jobs.append(("%s (%s): for 0m (fires at once) made 5m" % (name, sev), f, gi, ri, name,
                     lambda rule: rule.__setitem__("for", "5m")))
for name, sev, old, new, why in EXPR_ALL:  # every occurrence replaced
    for f, gi, ri, r in [h for h in rules if h[3]["alert"] == name and (sev is None or h[3]["labels"]["severity"] == sev)]:
        out(old in r["expr"], "mutation table: %s (%s) has %r in its expr" % (name, r["labels"]["severity"], old))
        jobs.append(("%s (%s): every %r -> %r (%s)" % (name, r["labels"]["severity"], old, new, why), f, gi, ri, name,
                     lambda rule, o=old, n=new: rule.__setitem__("expr", rule["expr"].replace(o, n))))
for name, sev, old, new, why in EXPR:
    hits = [(f, gi, ri, r) for f, gi, ri, r in rules if r["alert"] == name and (sev is None or r["labels"]["severity"] == sev)]
    if not hits or any(old not in r["expr"] for _, _, _, r in hits):
        out(False, "mutation table: %s (%s) has %r in its expr" % (name, sev, old))
        continue
    for f, gi, ri, r in hits:
        desc = "%s (%s): %r -> %r (%s)" % (name, r["labels"]["severity"], old.strip(), new.strip(), why)
        jobs.append((desc, f, gi, ri, name,
                     lambda rule, o=old, n=new: rule.__setitem__("expr", rule["expr"].replace(o, n, 1))))

# Host rules read job="node" only: the optional supabase job's node_* series
# (server="supabase") must not feed them. Removing every job="node" matcher
# of a rule must make its tests fail.
JOB_FILTERED = ["HostHighCpuLoad", "HostMemoryHigh", "HostDiskSpaceLow", "HostDiskWillFillIn24Hours", "HostSwapFilling",
                "HostCpuStealHigh", "HostOomKill", "HostClockSkew", "HostClockNotSynchronising", "HostSystemdUnitFailed"]
def drop_job_filter(rule):
    rule["expr"] = re.sub(r'\{job="node"\}', "", re.sub(r'job="node",\s*', "", rule["expr"]))
for f, gi, ri, r in rules:
    if r["alert"] in JOB_FILTERED:
        sev = r["labels"]["severity"]
        out('job="node"' in r["expr"], '%s (%s): reads job="node" only' % (r["alert"], sev), r["expr"])
        jobs.append(('%s (%s): job="node" matchers removed (Supabase\'s node_* series)' % (r["alert"], sev),
                     f, gi, ri, r["alert"], drop_job_filter))

with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
    futs = [(desc, ex.submit(run_mutant, i, f, gi, ri, mutate, name))
            for i, (desc, f, gi, ri, name, mutate) in enumerate(jobs)]
    for desc, fut in futs:
        try:
            out(fut.result(), "mutation caught by the unit tests: " + desc, "promtool test rules still passes")
        except Exception as e:  # noqa: BLE001 - report, do not crash the run
            out(False, "mutation caught by the unit tests: " + desc, repr(e))
PY
rc=$?
[ $rc -eq 0 ] || not_ok "rule analysis ran (python exited $rc)" "$(tail -20 "$work/python.err")"
while IFS=$'\t' read -r verdict desc evidence; do
    case $verdict in
    PASS) ok "$desc" ;;
    FAIL) not_ok "$desc" "${evidence//\\n/$'\n'}" ;;
    esac
done <"$work/results.tsv"

finish
