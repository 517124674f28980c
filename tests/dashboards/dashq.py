#!/usr/bin/python3
"""Prove Grafana dashboards' inputs without Grafana.

Grafana cannot run on the test machine, so this tool does what Grafana does
with a provisioned dashboard up to the point where it draws: it walks the
dashboard JSON, substitutes template variables the way Grafana's Prometheus
and PostgreSQL data sources do (All, single and multi values, regex-escaped),
expands the built-in interval variables and the SQL macros ($__timeFilter,
$__timeGroupAlias, ...) with Grafana's own rules, and then

  static  checks the structure (uids, schemaVersion, data sources,
          titles, targets, thresholds, variables, links, units, legends);
  prom    runs every PromQL target through a real Prometheus HTTP API, as an
          instant or range query like Grafana would, per variable scenario;
  sql     runs every SQL target on a real PostgreSQL as Grafana's read-only
          user and checks rows and column types against the panel's needs;
  expand  prints one target expanded (for tests that check values);
  list    prints every target (for people).

Results are written as NUL-separated records "status\\0description\\0evidence\\0"
(status ok / not ok) with --records, or as TAP lines otherwise; the bash tests
turn records into assertions with tests/lib.sh. Exit status: 0 when every
check passed, 1 when one failed, 2 on a usage or setup error.
"""

import argparse
import datetime as dt
import glob
import json
import math
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

CONTRACT_UIDS = ["infra-overview", "docker-containers", "processing-queues", "business-kpis", "stack-health", "host-detail"]
# Dashboards about hosts and containers must let the user pick servers.
SERVER_VAR_DASHBOARDS = ["infra-overview", "docker-containers"]
# Dashboards about one server at a time: a single-select `server` variable.
ONE_SERVER_DASHBOARDS = ["host-detail"]
# Grafana's built-in pseudo data sources (annotations, mixed panels).
BUILTIN_DS = {"-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana"}
PANEL_TYPES = {"stat", "gauge", "timeseries", "table", "bargauge", "barchart", "piechart", "text",
               "row", "state-timeline", "status-history", "heatmap", "logs"}
DS_TYPE_OF_TARGET = {"prometheus": "expr", "grafana-postgresql-datasource": "rawSql", "postgres": "rawSql"}
# schemaVersion of Grafana 9.0 .. newest known; the upper bound comes from the
# pinned @grafana/schema when it is installed (see --max-schema-version).
MIN_SCHEMA_VERSION = 36

TIME_TYPES = {"timestamptz", "timestamp", "date"}
NUMERIC_TYPES = {"int2", "int4", "int8", "float4", "float8", "numeric", "oid"}
TEXT_TYPES = {"text", "varchar", "bpchar", "name", "char"}


class SetupError(Exception):
    pass


# ------------------------------------------------------------------ output
class Reporter:
    def __init__(self, records):
        self.records = records
        self.failed = 0
        self.passed = 0

    def result(self, ok, desc, evidence=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        status = "ok" if ok else "not ok"
        if self.records:
            sys.stdout.write("%s\0%s\0%s\0" % (status, desc, evidence if not ok else ""))
        else:
            sys.stdout.write("%s - %s\n" % (status, desc))
            if not ok and evidence:
                for line in evidence.splitlines()[:30]:
                    sys.stdout.write("    # %s\n" % line)
        sys.stdout.flush()


# ------------------------------------------------------------------ loading
def load_dashboards(directory):
    files = sorted(glob.glob(os.path.join(directory, "*.json")))
    if not files:
        raise SetupError("no dashboard JSON in %s" % directory)
    out = []
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                out.append((f, json.load(fh), None))
        except (OSError, ValueError) as e:
            out.append((f, None, str(e)))
    return out


def load_datasources(directory):
    """uid -> {type, timeInterval} from Grafana provisioning YAML files."""
    import yaml  # Debian's python3-yaml
    files = sorted(glob.glob(os.path.join(directory, "*.yml")) + glob.glob(os.path.join(directory, "*.yaml")))
    if not files:
        raise SetupError("no data source provisioning files in %s" % directory)
    out = {}
    for f in files:
        with open(f, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        for ds in doc.get("datasources") or []:
            if "uid" not in ds:
                raise SetupError("%s: data source %r has no uid" % (f, ds.get("name")))
            out[ds["uid"]] = {"type": ds.get("type"),
                              "timeInterval": (ds.get("jsonData") or {}).get("timeInterval")}
    return out


def all_panels(dash):
    for p in dash.get("panels") or []:
        yield p
        for sub in p.get("panels") or []:  # collapsed rows
            yield sub


def panel_ds_uid(panel, target=None):
    ds = (target or {}).get("datasource") or panel.get("datasource")
    if isinstance(ds, dict):
        return ds.get("uid"), ds.get("type")
    return ds, None


# ------------------------------------------------------------------ Grafana time and intervals
UNIT_MS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000, "y": 31536000000}


def parse_duration_ms(text):
    """Grafana/gtime durations: 15s, 1h, 30d, 1m30s (ms precision)."""
    text = text.strip().strip("'\"")
    if not text:
        raise ValueError("empty duration")
    total, pos = 0, 0
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * UNIT_MS[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise ValueError("not a duration: %r" % text)
    return int(total)


def parse_relative(text, now_ms):
    """'now', 'now-6h' -> epoch ms (the forms the dashboards use)."""
    text = text.strip()
    if text == "now":
        return now_ms
    m = re.fullmatch(r"now-(\d+)(s|m|h|d|w|y)", text)
    if not m:
        raise SetupError("time %r: only now and now-N<unit> are supported here" % text)
    return now_ms - int(m.group(1)) * UNIT_MS[m.group(2)]


def round_interval(ms):
    """Grafana's rangeutil.roundInterval."""
    table = [(10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1500, 1000),
             (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000), (25000, 20000), (45000, 30000),
             (90000, 60000), (210000, 120000), (450000, 300000), (750000, 600000), (1050000, 900000),
             (1500000, 1200000), (2700000, 1800000), (5400000, 3600000), (9000000, 7200000),
             (16200000, 10800000), (32400000, 21600000), (86400000, 43200000), (604800000, 86400000),
             (1814400000, 604800000), (3628800000, 2592000000)]
    for limit, value in table:
        if ms < limit:
            return value
    return 31536000000


def format_interval(ms):
    """Grafana's gtime.FormatInterval (largest unit, truncated)."""
    for unit, size in (("y", UNIT_MS["y"]), ("d", UNIT_MS["d"]), ("h", UNIT_MS["h"]), ("m", UNIT_MS["m"]),
                       ("s", UNIT_MS["s"])):
        if ms >= size:
            return "%d%s" % (ms // size, unit)
    return "%dms" % max(ms, 1)


def max_data_points(panel):
    """Grafana asks for as many points as the panel is wide in pixels."""
    if panel.get("maxDataPoints"):
        return int(panel["maxDataPoints"])
    width = (panel.get("gridPos") or {}).get("w", 24)
    return max(100, int(width / 24.0 * 1800))


class TimeContext:
    """Time range and intervals of one panel, as Grafana computes them."""

    def __init__(self, dash, panel, now_ms, ds_interval_ms, target=None):
        t = dash.get("time") or {"from": "now-6h", "to": "now"}
        self.to_ms = parse_relative(t.get("to", "now"), now_ms)
        self.from_ms = parse_relative(t.get("from", "now-6h"), now_ms)
        if panel.get("timeFrom"):
            self.from_ms = self.to_ms - parse_duration_ms(panel["timeFrom"])
        range_ms = self.to_ms - self.from_ms
        min_text = (target or {}).get("interval") or panel.get("interval")
        low = parse_duration_ms(min_text) if min_text else ds_interval_ms
        self.interval_ms = max(round_interval(range_ms / max_data_points(panel)), low)
        # Prometheus refuses more than 11000 points per series.
        self.interval_ms = max(self.interval_ms, int(math.ceil(range_ms / 11000.0)))
        self.scrape_ms = ds_interval_ms
        self.rate_interval_ms = max(self.interval_ms + ds_interval_ms, 4 * ds_interval_ms)
        self.range_ms = range_ms


def rfc3339(ms):
    d = dt.datetime.fromtimestamp(ms / 1000.0, tz=dt.timezone.utc)
    s = d.strftime("%Y-%m-%dT%H:%M:%S")
    frac = ms % 1000
    if frac:
        s += ("." + "%03d" % frac).rstrip("0")
    return s + "Z"


# ------------------------------------------------------------------ template variables
VAR_RE = re.compile(r"\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]")


def prom_regex_escape(value):
    """Grafana's prometheusSpecialRegexEscape (values inside =~ "...")."""
    value = value.replace("\\", "\\\\\\\\")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(0), value)


def prom_format(var, values):
    """How Grafana's Prometheus data source writes a variable's value."""
    if values == "$__all":
        if var.get("allValue"):
            return var["allValue"]
        values = var.get("_options") or []
    if isinstance(values, str):
        values = [values]
    if not var.get("multi") and not var.get("includeAll"):
        return values[0].replace("\\", "\\\\").replace("'", "\\\\'")
    escaped = [prom_regex_escape(v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def sql_format(var, values):
    """How Grafana's SQL data sources write a variable's value."""
    if values == "$__all":
        if var.get("allValue"):
            return var["allValue"]
        values = var.get("_options") or []
    if isinstance(values, str) and not (var.get("multi") or var.get("includeAll")):
        return values.replace("'", "''")
    if isinstance(values, str):
        values = [values]
    return ",".join("'" + v.replace("'", "''") + "'" for v in values)


def interpolate(text, variables, scenario, builtins, formatter):
    def sub(m):
        name = m.group(1) or m.group(2) or m.group(4)
        if name in builtins:
            return builtins[name]
        var = variables.get(name)
        if var is None:
            return m.group(0)
        return formatter(var, scenario.get(name, default_value(var)))
    return VAR_RE.sub(sub, text)


def default_value(var):
    cur = (var.get("current") or {}).get("value")
    if var.get("type") == "constant":
        return var.get("query", "")
    if cur in ("$__all", ["$__all"]):
        return "$__all"
    if cur is None or cur == []:
        return "$__all" if var.get("includeAll") else ((var.get("_options") or [""])[0])
    return cur


def prom_builtins(tc):
    return {"__interval": format_interval(tc.interval_ms), "__interval_ms": str(tc.interval_ms),
            "__rate_interval": format_interval(tc.rate_interval_ms),
            "__rate_interval_ms": str(tc.rate_interval_ms),
            "__range": "%ds" % (tc.range_ms // 1000), "__range_s": str(tc.range_ms // 1000),
            "__range_ms": str(tc.range_ms)}


# ------------------------------------------------------------------ SQL macros (Grafana's postgres macro engine)
MACRO_RE = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")


def expand_sql(raw, tc, variables, scenario):
    sql = interpolate(raw, variables, scenario, {}, sql_format)
    # sqleng.Interpolate: the global substitutions first ...
    sql = sql.replace("$__interval_ms", str(tc.interval_ms))
    sql = sql.replace("$__interval", format_interval(tc.interval_ms))
    sql = sql.replace("$__unixEpochFrom()", str(tc.from_ms // 1000))
    sql = sql.replace("$__unixEpochTo()", str(tc.to_ms // 1000))
    # ... then the macro engine.
    errors = []

    def macro(m):
        name, args = m.group(1), [a.strip() for a in m.group(2).split(",")]
        if name == "__timeGroup":
            end = m.end()
            if end < len(sql) and sql[end] == ",":
                name = "__timeGroupAlias"
        try:
            return evaluate_macro(name, args, tc)
        except ValueError as e:
            errors.append(str(e))
            return "macro_error()"
    sql = MACRO_RE.sub(macro, sql)
    if errors:
        raise ValueError("; ".join(errors))
    return sql


def evaluate_macro(name, args, tc):
    def need(n):
        if len(args) < n or not args[0]:
            raise ValueError("macro $%s needs %d argument(s)" % (name, n))
    if name == "__time":
        need(1)
        return '%s AS "time"' % args[0]
    if name == "__timeEpoch":
        need(1)
        return 'extract(epoch from %s) as "time"' % args[0]
    if name == "__timeFilter":
        need(1)
        return "%s BETWEEN '%s' AND '%s'" % (args[0], rfc3339(tc.from_ms), rfc3339(tc.to_ms))
    if name == "__timeFrom":
        return "'%s'" % rfc3339(tc.from_ms)
    if name == "__timeTo":
        return "'%s'" % rfc3339(tc.to_ms)
    if name in ("__timeGroup", "__timeGroupAlias"):
        need(2)
        try:
            secs = parse_duration_ms(args[1].strip("'")) / 1000.0
        except ValueError:
            raise ValueError("error parsing interval %s" % args[1])
        secs_text = ("%g" % secs)
        expr = "floor(extract(epoch from %s)/%s)*%s" % (args[0], secs_text, secs_text)
        return expr + (' AS "time"' if name == "__timeGroupAlias" else "")
    if name == "__unixEpochFilter":
        need(1)
        return "%s >= %d AND %s <= %d" % (args[0], tc.from_ms // 1000, args[0], tc.to_ms // 1000)
    if name in ("__unixEpochGroup", "__unixEpochGroupAlias"):
        need(2)
        secs_text = "%g" % (parse_duration_ms(args[1].strip("'")) / 1000.0)
        expr = "floor((%s)/%s)*%s" % (args[0], secs_text, secs_text)
        return expr + (' AS "time"' if name.endswith("Alias") else "")
    raise ValueError('unknown macro "%s"' % name)


# ------------------------------------------------------------------ Prometheus client
class Prom:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def call(self, path, params):
        data = urllib.parse.urlencode(params, doseq=True).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            try:
                body = json.load(e)
            except ValueError:
                return None, "HTTP %d from %s" % (e.code, path)
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise SetupError("Prometheus at %s is not answering: %s" % (self.url, e))
        if body.get("status") != "success":
            return None, "%s: %s" % (body.get("errorType"), body.get("error"))
        return body["data"], None

    def label_values(self, selector, label, start_s, end_s):
        data, err = self.call("/api/v1/series", {"match[]": selector, "start": start_s, "end": end_s})
        if err:
            return None, err
        return sorted({s[label] for s in data if s.get(label)}), None


LABEL_VALUES_RE = re.compile(r"^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)


def variable_query(var):
    q = var.get("query")
    if isinstance(q, dict):
        q = q.get("query")
    return q or var.get("definition") or ""


def resolve_variables(dash, prom, now_ms, rep, label):
    """Evaluate query variables in order (chained ones see earlier defaults)."""
    variables = {}
    for var in (dash.get("templating") or {}).get("list") or []:
        variables[var["name"]] = var
        if var.get("type") != "query":
            continue
        q = variable_query(var)
        m = LABEL_VALUES_RE.match(q)
        if not m:
            rep.result(False, "%s: variable $%s uses label_values(selector, label)" % (label, var["name"]), q)
            var["_options"] = []
            continue
        selector = interpolate(m.group(1), variables, {}, {}, prom_format)
        t = dash.get("time") or {}
        start = parse_relative(t.get("from", "now-6h"), now_ms) // 1000
        values, err = prom.label_values(selector, m.group(2), start, now_ms // 1000)
        var["_options"] = values or []
        rep.result(bool(values), "%s: variable $%s has values on this Prometheus (%s)"
                   % (label, var["name"], ", ".join(values or []) or "none"),
                   err or "label_values(%s, %s) returned nothing" % (selector, m.group(2)))
    return variables


def scenarios(variables, dash_uid):
    """Variable values to try: everything at All, the dashboard's defaults,
    each single server, and a multi-selection of all servers."""
    qvars = {n: v for n, v in variables.items() if v.get("type") == "query"}
    out = []
    if not qvars:
        return [("defaults", {})]
    out.append(("all variables = All", {n: "$__all" for n in qvars}))
    out.append(("dashboard defaults", {n: default_value(v) for n, v in qvars.items()}))
    server = qvars.get("server")
    if server:
        for value in server.get("_options") or []:
            sc = {n: default_value(v) for n, v in qvars.items()}
            sc["server"] = [value]
            out.append(("server=%s" % value, sc))
        if len(server.get("_options") or []) > 1:
            sc = {n: default_value(v) for n, v in qvars.items()}
            sc["server"] = list(server["_options"])
            out.append(("server=%s (multi)" % "+".join(server["_options"]), sc))
    return out


def prom_ds_interval(datasources, uid):
    ti = (datasources.get(uid) or {}).get("timeInterval") or "15s"
    return parse_duration_ms(ti)


LEGEND_LABEL_RE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def run_prom_target(prom, panel, target, tc, expr):
    is_instant = bool(target.get("instant")) and not target.get("range", False)
    if is_instant:
        data, err = prom.call("/api/v1/query", {"query": expr, "time": "%.3f" % (tc.to_ms / 1000.0)})
        kind = "instant query"
    else:
        step = max(1, tc.interval_ms // 1000)
        start = (tc.from_ms // 1000) // step * step
        end = (tc.to_ms // 1000) // step * step
        data, err = prom.call("/api/v1/query_range", {"query": expr, "start": start, "end": end, "step": step})
        kind = "range query, step %ds" % step
    return data, err, kind


# ------------------------------------------------------------------ commands
def cmd_prom(args, rep):
    prom = Prom(args.prom_url)
    datasources = load_datasources(args.datasources)
    now_ms = int(args.now * 1000) if args.now else int(dt.datetime.now().timestamp() * 1000)
    syntax_only = {}
    for item in args.syntax_only or []:
        key, _, job = item.rpartition("=")
        if not key or not job:
            raise SetupError("--syntax-only wants UID/PANEL TITLE/REFID=JOB or ...=metric:NAME, got %r" % item)
        syntax_only[key] = job
    used_exemptions = set()
    for path, dash, err in load_dashboards(args.dashboards):
        if err:
            rep.result(False, "%s is valid JSON" % os.path.basename(path), err)
            continue
        uid = dash.get("uid", os.path.basename(path))
        variables = resolve_variables(dash, prom, now_ms, rep, uid)
        for panel in all_panels(dash):
            for target in panel.get("targets") or []:
                ds_uid, _ = panel_ds_uid(panel, target)
                if (datasources.get(ds_uid) or {}).get("type") != "prometheus" or target.get("hide"):
                    continue
                key = "%s/%s/%s" % (uid, panel.get("title"), target.get("refId"))
                reason = None
                if key in syntax_only:
                    used_exemptions.add(key)
                    # None when the reason does not hold here: then prove the data.
                    reason = exemption_reason(prom, syntax_only[key])
                tc = TimeContext(dash, panel, now_ms, prom_ds_interval(datasources, ds_uid), target)
                used = {m.group(1) or m.group(2) or m.group(4) for m in VAR_RE.finditer(target.get("expr", ""))}
                runs = scenarios(variables, uid) if used & set(variables) else [("no variables", {})]
                for sc_name, sc in runs:
                    expr = interpolate(target.get("expr", ""), variables, sc, prom_builtins(tc), prom_format)
                    check_prom_result(rep, prom, panel, target, tc, expr, "%s [%s]" % (key, sc_name), reason)
    for key in sorted(set(syntax_only) - used_exemptions):
        rep.result(False, "syntax-only exemption %s names an existing Prometheus target" % key,
                   "no such dashboard/panel/refId; remove it from the list")


def exemption_reason(prom, why):
    """Why a target may return no data here, if that is still true:
    JOB (that component does not run on this stack) or metric:NAME (this
    Prometheus does not export NAME)."""
    if why.startswith("metric:"):
        name = why[len("metric:"):]
        data, err = prom.call("/api/v1/query", {"query": 'count({__name__="%s"})' % name})
        if err is None and not data["result"]:
            return "this Prometheus does not export %s" % name
        return None
    data, err = prom.call("/api/v1/query", {"query": 'up{job="%s"} == 1' % why})
    if err is None and not data["result"]:
        return "job %s does not run on this stack" % why
    return None


_PROM_START = []


def prom_start_time(prom):
    """When the Prometheus under test started (its first samples)."""
    if not _PROM_START:
        data, err = prom.call("/api/v1/query", {"query": 'min(process_start_time_seconds{job="prometheus"})'})
        res = (data or {}).get("result") or []
        _PROM_START.append(float(res[0]["value"][1]) if not err and res else None)
    return _PROM_START[0]


def check_prom_result(rep, prom, panel, target, tc, expr, label, syntax_only_reason):
    data, err, kind = run_prom_target(prom, panel, target, tc, expr)
    if err:
        rep.result(False, "%s: Prometheus evaluates the query" % label, "%s\n%s" % (err, expr))
        return
    result = data.get("result") or []
    if data.get("resultType") == "scalar":
        result = [{"metric": {}, "value": result}]
    if syntax_only_reason:
        rep.result(True, "%s: valid PromQL, evaluated (syntax-only: %s)" % (label, syntax_only_reason))
        return
    if not result and kind.startswith("range"):
        # Grafana floors the end of a range query to a multiple of the step:
        # a Prometheus younger than that has no point yet (the panel would be
        # empty for the same reason). Then prove the data at "now" instead.
        step = max(1, tc.interval_ms // 1000)
        end = (tc.to_ms // 1000) // step * step
        started = prom_start_time(prom)
        if started is not None and end - started < step + tc.rate_interval_ms / 1000.0 + 60:
            data, err = prom.call("/api/v1/query", {"query": expr, "time": "%.3f" % (tc.to_ms / 1000.0)})
            if not err:
                result = data.get("result") or []
                kind += "; Prometheus is younger than a step, so evaluated at now"
    rep.result(bool(result), "%s: returns data (%s, %d series)" % (label, kind, len(result)),
               "empty result for\n%s" % expr)
    if not result:
        return
    fmt = target.get("format") or "time_series"
    legend = target.get("legendFormat") or ""
    if fmt == "time_series" and legend and legend != "__auto":
        wanted = LEGEND_LABEL_RE.findall(legend)
        missing = [json.dumps(s["metric"]) for s in result if any(not s["metric"].get(w) for w in wanted)]
        rep.result(not missing, "%s: every series has the legend's labels %s" % (label, wanted or "(none)"),
                   "series without them: %s" % "; ".join(missing[:5]))
        names = [LEGEND_LABEL_RE.sub(lambda m: s["metric"].get(m.group(1), ""), legend) for s in result]
        dup = sorted({n for n in names if names.count(n) > 1})
        rep.result(not dup, "%s: legend names are unique" % label, "duplicates: %s" % dup)


# --- SQL
def cmd_sql(args, rep):
    try:
        import psycopg2
    except ImportError:
        raise SetupError("python3-psycopg2 is missing (apt-get install python3-psycopg2)")
    datasources = load_datasources(args.datasources)
    now_ms = int(args.now * 1000) if args.now else int(dt.datetime.now().timestamp() * 1000)
    try:
        conn = psycopg2.connect(args.dsn)
    except psycopg2.Error as e:
        raise SetupError("cannot connect to PostgreSQL as the dashboards' user: %s" % str(e).strip())
    conn.autocommit = True
    typnames = {}

    def typname(oid):
        if oid not in typnames:
            with conn.cursor() as c:
                c.execute("SELECT typname FROM pg_type WHERE oid = %s", (oid,))
                row = c.fetchone()
                typnames[oid] = row[0] if row else str(oid)
        return typnames[oid]

    for path, dash, err in load_dashboards(args.dashboards):
        if err:
            rep.result(False, "%s is valid JSON" % os.path.basename(path), err)
            continue
        uid = dash.get("uid", os.path.basename(path))
        variables = {v["name"]: v for v in (dash.get("templating") or {}).get("list") or []}
        for panel in all_panels(dash):
            for target in panel.get("targets") or []:
                ds_uid, _ = panel_ds_uid(panel, target)
                if DS_TYPE_OF_TARGET.get((datasources.get(ds_uid) or {}).get("type")) != "rawSql":
                    continue
                label = "%s/%s/%s" % (uid, panel.get("title"), target.get("refId"))
                tc = TimeContext(dash, panel, now_ms, 60000, target)  # SQL data sources: 1m minimum
                try:
                    sql = expand_sql(target.get("rawSql", ""), tc, variables, {})
                except ValueError as e:
                    rep.result(False, "%s: Grafana's macros expand" % label, str(e))
                    continue
                leftover = re.findall(r"\$\{?\w+|\[\[\w+", sql)
                if leftover:
                    rep.result(False, "%s: no unexpanded variable or macro left" % label, "%s\n%s" % (leftover, sql))
                    continue
                try:
                    with conn.cursor() as cur:
                        cur.execute(sql)
                        cols = [(d.name, typname(d.type_code)) for d in cur.description]
                        rows = cur.fetchall()
                except psycopg2.Error as e:
                    rep.result(False, "%s: runs on PostgreSQL as the read-only user" % label,
                               "%s\n%s" % (str(e).strip(), sql))
                    continue
                rep.result(True, "%s: runs on PostgreSQL as the read-only user (%d rows, columns %s)"
                           % (label, len(rows), ", ".join("%s:%s" % c for c in cols)))
                check_sql_shape(rep, label, panel, target, tc, cols, rows, sql)
    conn.close()


def check_sql_shape(rep, label, panel, target, tc, cols, rows, sql):
    rep.result(bool(rows), "%s: returns rows" % label, "no rows for\n%s" % sql)
    if not rows:
        return
    names = [c[0] for c in cols]
    types = dict(cols)
    rep.result(len(set(names)) == len(names), "%s: column names are unique" % label, str(names))
    numeric = [n for n, t in cols if t in NUMERIC_TYPES]
    for n in numeric:
        i = names.index(n)
        if n != "time":
            rep.result(any(r[i] is not None for r in rows), "%s: numeric column %r has values" % (label, n),
                       "every row is NULL")
    fmt = target.get("format", "time_series")
    ptype = panel.get("type")
    if fmt == "time_series":
        if "time" not in names:
            rep.result(False, "%s: a time series query returns a column named time" % label, str(cols))
            return
        ti = names.index("time")
        ttype = types["time"]
        if ttype in TIME_TYPES:
            rep.result(True, "%s: time column is a %s" % (label, ttype))
            stamps = [r[ti].timestamp() * 1000 if hasattr(r[ti], "timestamp") else None for r in rows]
        elif ttype in NUMERIC_TYPES:
            stamps = [float(r[ti]) * 1000 if r[ti] is not None else None for r in rows]
            ok = all(s is not None and tc.from_ms - 31 * UNIT_MS["d"] <= s <= tc.to_ms + 60000 for s in stamps)
            rep.result(ok, "%s: time column is epoch seconds (%s) inside the time range" % (label, ttype),
                       "values: %s" % [r[ti] for r in rows[:5]])
        else:
            rep.result(False, "%s: time column is a timestamp or epoch number" % label, "type %s" % ttype)
            return
        rep.result(all(s is not None for s in stamps) and stamps == sorted(stamps),
                   "%s: rows are ordered by time (Grafana requires it)" % label, "first rows: %s" % rows[:3])
        others = [c for c in cols if c[0] not in ("time", "metric")]
        bad = [c for c in others if c[1] not in NUMERIC_TYPES]
        rep.result(not bad and bool(others), "%s: every value column is numeric" % label, "not numeric: %s" % bad)
        if "metric" in names:
            rep.result(types["metric"] in TEXT_TYPES, "%s: metric column is text" % label, types["metric"])
    elif fmt == "table":
        if ptype in ("stat", "gauge"):
            bad = [c for c in cols if c[1] not in NUMERIC_TYPES]
            rep.result(not bad, "%s: every column of this %s is numeric" % (label, ptype), "not numeric: %s" % bad)
        elif ptype == "bargauge":
            rep.result(bool(numeric), "%s: the bar gauge gets a numeric column" % label, str(cols))
        for name in override_names(panel):
            rep.result(name in names, "%s: the column %r that the panel styles exists" % (label, name),
                       "columns: %s" % names)
        for n, t in cols:
            if n == "time" or n.endswith("_at"):
                rep.result(t in TIME_TYPES, "%s: column %r is a timestamp" % (label, n), t)
    else:
        rep.result(False, "%s: format is time_series or table" % label, fmt)


def override_names(panel):
    out = []
    for o in (panel.get("fieldConfig") or {}).get("overrides") or []:
        m = o.get("matcher") or {}
        if m.get("id") == "byName":
            out.append(m.get("options"))
    return out


# --- static
def cmd_static(args, rep):
    datasources = load_datasources(args.datasources)
    dashboards = load_dashboards(args.dashboards)
    uids = {}
    titles = {}
    for path, dash, err in dashboards:
        base = os.path.basename(path)
        rep.result(err is None, "%s is valid JSON" % base, err or "")
        if err:
            continue
        uid = dash.get("uid")
        rep.result(bool(uid) and re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", uid or "") is not None,
                   "%s: has a uid Grafana accepts (at most 40 letters, digits, - or _)" % base, repr(uid))
        rep.result(uid == base[:-5], "%s: file name is its uid" % base, "uid %r" % uid)
        uids.setdefault(uid, []).append(base)
        titles.setdefault(dash.get("title"), []).append(base)
        check_dashboard(rep, base, dash, datasources, args)
    for uid, files in uids.items():
        rep.result(len(files) == 1, "dashboard uid %r is unique" % uid, "used by %s" % files)
    for title, files in titles.items():
        rep.result(len(files) == 1 and bool(title), "dashboard title %r is unique and not empty" % title,
                   "used by %s" % files)
    rep.result(sorted(uids) == sorted(CONTRACT_UIDS), "the dashboards are exactly the six of the contract",
               "found %s, expected %s" % (sorted(uids), sorted(CONTRACT_UIDS)))
    by_uid = {d.get("uid"): d for _, d, e in dashboards if not e}
    check_links(rep, by_uid)
    check_plan_thresholds(rep, by_uid)


def check_dashboard(rep, base, dash, datasources, args):
    sv = dash.get("schemaVersion")
    rep.result(isinstance(sv, int) and MIN_SCHEMA_VERSION <= sv <= args.max_schema_version,
               "%s: schemaVersion %s is one Grafana %d..%d understands" % (base, sv, MIN_SCHEMA_VERSION,
                                                                           args.max_schema_version),
               "schemaVersion %r" % sv)
    rep.result(dash.get("editable") is False, "%s: not editable in the UI (provisioned as code)" % base,
               "editable: %r" % dash.get("editable"))
    t = dash.get("time") or {}
    rep.result(bool(re.fullmatch(r"now-\d+[mhdw]", t.get("from", ""))) and t.get("to") == "now",
               "%s: has a relative default time range (%s to %s)" % (base, t.get("from"), t.get("to")), str(t))
    refresh = dash.get("refresh")
    ok_refresh = False
    try:
        ok_refresh = 30000 <= parse_duration_ms(refresh) <= 3600000
    except (ValueError, AttributeError):
        pass
    rep.result(ok_refresh, "%s: refreshes every 30 s to 1 h (%s)" % (base, refresh), repr(refresh))
    for a in (dash.get("annotations") or {}).get("list") or []:
        uid, _ = panel_ds_uid(a)
        rep.result(uid in datasources or uid in BUILTIN_DS, "%s: annotation %r uses a provisioned data source"
                   % (base, a.get("name")), "uid %r" % uid)
    variables = {v.get("name"): v for v in (dash.get("templating") or {}).get("list") or []}
    for v in variables.values():
        if v.get("type") == "query":
            uid, _ = panel_ds_uid(v)
            rep.result(uid in datasources, "%s: variable $%s uses a provisioned data source (%s)"
                       % (base, v.get("name"), uid), "provisioned: %s" % sorted(datasources))
    uid = dash.get("uid")
    if uid in SERVER_VAR_DASHBOARDS:
        s = variables.get("server") or {}
        rep.result(s.get("type") == "query" and s.get("multi") is True and s.get("includeAll") is True
                   and "server" in variable_query(s),
                   "%s: has a multi-select `server` variable with All" % base, json.dumps(s)[:300])
    if uid in ONE_SERVER_DASHBOARDS:
        s = variables.get("server") or {}
        rep.result(s.get("type") == "query" and not s.get("multi") and not s.get("includeAll")
                   and "server" in variable_query(s),
                   "%s: has a single-select `server` variable (one server at a time)" % base, json.dumps(s)[:300])
    ids = [p.get("id") for p in all_panels(dash)]
    rep.result(len(ids) == len(set(ids)) and None not in ids, "%s: panel ids are unique" % base, str(ids))
    check_grid(rep, base, dash)
    for p in all_panels(dash):
        check_panel(rep, base, dash, p, datasources, variables)


def check_grid(rep, base, dash):
    cells = {}
    overlaps = []
    for p in all_panels(dash):
        g = p.get("gridPos") or {}
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] + g["w"] > 24:
            rep.result(False, "%s: panel %r has a gridPos inside the 24 columns" % (base, p.get("title")), str(g))
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    overlaps.append((p.get("title"), cells[(x, y)]))
                cells[(x, y)] = p.get("title")
    rep.result(not overlaps, "%s: no two panels overlap" % base, str(sorted(set(overlaps))[:5]))


def check_panel(rep, base, dash, p, datasources, variables):
    title = p.get("title") or ""
    name = "%s: panel %r" % (base, title)
    rep.result(bool(title.strip()), "%s: panel %s has a title" % (base, p.get("id")), "")
    rep.result(p.get("type") in PANEL_TYPES, "%s is a known panel type (%s)" % (name, p.get("type")), "")
    if p.get("type") in ("row", "text"):
        return
    rep.result(bool((p.get("description") or "").strip()), "%s has a description (what healthy looks like)" % name, "")
    targets = p.get("targets") or []
    rep.result(bool(targets), "%s has targets" % name, "no targets")
    refs = [t.get("refId") for t in targets]
    rep.result(len(refs) == len(set(refs)) and None not in refs, "%s: target refIds are unique" % name, str(refs))
    for t in targets:
        uid, dtype = panel_ds_uid(p, t)
        ds = datasources.get(uid)
        rep.result(ds is not None, "%s/%s: data source %r is provisioned" % (name, t.get("refId"), uid),
                   "provisioned: %s" % sorted(datasources))
        if ds is None:
            continue
        rep.result(dtype in (None, ds["type"]), "%s/%s: data source type matches provisioning (%s)"
                   % (name, t.get("refId"), ds["type"]), "panel says %r" % dtype)
        field = DS_TYPE_OF_TARGET.get(ds["type"])
        rep.result(bool(field) and bool((t.get(field) or "").strip()),
                   "%s/%s: has a %s query" % (name, t.get("refId"), field), json.dumps(t)[:300])
        if field == "expr":
            check_prom_target(rep, name, dash, p, t)
        elif field == "rawSql":
            check_sql_target(rep, name, p, t)
    d = (p.get("fieldConfig") or {}).get("defaults") or {}
    if p.get("type") in ("timeseries", "stat", "gauge", "bargauge"):
        rep.result(bool(d.get("unit")), "%s sets a unit" % name, "fieldConfig.defaults.unit missing")
    if p.get("type") == "table":
        check_table_columns(rep, name, p, targets)


BY_CLAUSE_RE = re.compile(r"\bby\s*\(([^)]*)\)")


def check_table_columns(rep, name, p, targets):
    """A PromQL table's organize transformation names, orders and renames
    only the columns its queries return (labels of their `by (...)`, and
    "Value #<refId>" per query, "Value" for a single one), and places or
    hides every query's value; its byName overrides style shown columns.
    A dropped or renamed query otherwise leaves an empty or unstyled column."""
    exprs = [t for t in targets if "expr" in t]
    org = [x.get("options") or {} for x in p.get("transformations") or [] if x.get("id") == "organize"]
    if not exprs or not org:
        return
    org = org[0]
    values = {"Value #%s" % t.get("refId") for t in exprs} if len(exprs) > 1 else {"Value"}
    labels = {lab.strip() for t in exprs for m in BY_CLAUSE_RE.findall(t["expr"]) for lab in m.split(",") if lab.strip()}
    produced = {"Time"} | values | labels
    named = set(org.get("indexByName") or {}) | set(org.get("renameByName") or {}) | set(org.get("excludeByName") or {})
    rep.result(named <= produced, "%s: organize names only columns its queries return" % name,
               "unknown: %s; returned: %s" % (sorted(named - produced), sorted(produced)))
    placed = set(org.get("indexByName") or {}) | {k for k, v in (org.get("excludeByName") or {}).items() if v}
    rep.result(values <= placed, "%s: every query's value column is placed or hidden" % name,
               "neither: %s" % sorted(values - placed))
    shown = {(org.get("renameByName") or {}).get(c, c) for c in produced}
    styled = {o["matcher"].get("options") for o in (p.get("fieldConfig") or {}).get("overrides") or []
              if (o.get("matcher") or {}).get("id") == "byName"}
    rep.result(styled <= shown, "%s: overrides style only columns it shows" % name,
               "unknown: %s; shown: %s" % (sorted(styled - shown), sorted(shown)))


def check_prom_target(rep, name, dash, p, t):
    ref = t.get("refId")
    expr = t["expr"]
    if dash.get("uid") in SERVER_VAR_DASHBOARDS + ONE_SERVER_DASHBOARDS:
        rep.result('server=~"$server"' in expr, "%s/%s: filters by the server variable" % (name, ref), expr)
    legend = t.get("legendFormat") or ""
    fmt = t.get("format") or "time_series"
    if fmt == "time_series":
        rep.result(bool(legend) and legend != "__auto", "%s/%s: has an explicit legend" % (name, ref), repr(legend))
    rep.result("instance" not in LEGEND_LABEL_RE.findall(legend),
               "%s/%s: legend names servers, not raw instances" % (name, ref), legend)
    rep.result(expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"),
               "%s/%s: brackets balance" % (name, ref), expr)


def check_sql_target(rep, name, p, t):
    ref = t.get("refId")
    rep.result(t.get("rawQuery") is True and t.get("editorMode") == "code",
               "%s/%s: raw SQL in code mode" % (name, ref), "rawQuery %r, editorMode %r"
               % (t.get("rawQuery"), t.get("editorMode")))
    rep.result(t.get("format") in ("time_series", "table"), "%s/%s: format is time_series or table" % (name, ref),
               repr(t.get("format")))
    if t.get("format") == "time_series":
        rep.result("$__timeFilter(" in t["rawSql"], "%s/%s: time series SQL follows the time picker ($__timeFilter)"
                   % (name, ref), t["rawSql"])


def links_of(dash):
    out = [("dashboard link %r" % l.get("title"), l.get("url", ""), l) for l in dash.get("links") or []]
    for p in all_panels(dash):
        d = (p.get("fieldConfig") or {}).get("defaults") or {}
        for l in d.get("links") or []:
            out.append(("data link of %r" % p.get("title"), l.get("url", ""), l))
        for o in (p.get("fieldConfig") or {}).get("overrides") or []:
            for prop in o.get("properties") or []:
                if prop.get("id") == "links":
                    for l in prop.get("value") or []:
                        out.append(("data link of %r" % p.get("title"), l.get("url", ""), l))
    return out


def check_links(rep, by_uid):
    for uid, dash in by_uid.items():
        for what, url, _ in links_of(dash):
            m = re.match(r"^/d/([a-zA-Z0-9_-]+)", url)
            rep.result(bool(m) and m.group(1) in by_uid, "%s: %s points to a provisioned dashboard" % (uid, what), url)

    def has_link(src, dst, with_server):
        for what, url, l in links_of(by_uid.get(src) or {}):
            if url.startswith("/d/%s/" % dst) or url == "/d/%s" % dst:
                if not with_server or "var-server=" in url or l.get("includeVars"):
                    return True
        return False
    rep.result(has_link("infra-overview", "docker-containers", True),
               "infra-overview links to docker-containers, carrying the server selection", "")
    rep.result(has_link("processing-queues", "stack-health", False), "processing-queues links to stack-health", "")
    rep.result(has_link("infra-overview", "host-detail", True),
               "infra-overview links to host-detail, carrying the server selection", "")


def find_panels(dash, pred):
    return [p for p in all_panels(dash) if pred(p)]


def exprs(p):
    return " ".join(t.get("expr", "") or t.get("rawSql", "") for t in p.get("targets") or [])


def steps_of(p):
    th = ((p.get("fieldConfig") or {}).get("defaults") or {}).get("thresholds") or {}
    return [(s.get("color"), s.get("value")) for s in th.get("steps") or []]


def check_plan_thresholds(rep, by_uid):
    ov = by_uid.get("infra-overview") or {}
    disk = find_panels(ov, lambda p: "node_filesystem_avail_bytes" in exprs(p))
    ok = False
    for p in disk:
        st = steps_of(p)
        d = p["fieldConfig"]["defaults"]
        ok = (len(st) == 3 and st[0] == ("red", None) and st[1][1] == 10 and st[1][0] in ("orange", "yellow")
              and st[2] == ("green", 20) and d.get("unit") == "percent" and p.get("type") == "gauge")
    rep.result(bool(disk) and ok, "infra-overview: disk free gauge is red below 10 %, orange below 20 %, green above",
               json.dumps([steps_of(p) for p in disk]))
    up = find_panels(ov, lambda p: re.search(r'\bup\{job="node"', exprs(p)) is not None)
    ok = False
    for p in up:
        maps = json.dumps(p["fieldConfig"]["defaults"].get("mappings"))
        ok = ('"1": {"text": "UP", "color": "green"' in maps and '"0": {"text": "DOWN", "color": "red"' in maps
              and p.get("type") == "stat")
    rep.result(bool(up) and ok, "infra-overview: server status stat maps 1 to UP (green) and 0 to DOWN (red)",
               json.dumps([p["fieldConfig"]["defaults"].get("mappings") for p in up]))
    q = by_uid.get("processing-queues") or {}
    stuck = find_panels(q, lambda p: "supabase_queue_stuck_jobs" in exprs(p) and p.get("type") == "stat")
    ok = any(steps_of(p) == [("green", None), ("red", 1)] and "35 min" in p.get("title", "") for p in stuck)
    rep.result(ok, "processing-queues: stuck jobs (processing > 35 min) stat turns red from 1",
               json.dumps([(p.get("title"), steps_of(p)) for p in stuck]))


# --- expand / list
def find_target(dash, title, ref):
    for p in all_panels(dash):
        if p.get("title") == title:
            for t in p.get("targets") or []:
                if t.get("refId") == ref:
                    return p, t
    raise SetupError("no panel %r with target %s in %s" % (title, ref, dash.get("uid")))


def cmd_expand(args, rep):
    datasources = load_datasources(args.datasources)
    path = os.path.join(args.dashboards, args.uid + ".json")
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    panel, target = find_target(dash, args.panel, args.ref)
    now_ms = int(args.now * 1000) if args.now else int(dt.datetime.now().timestamp() * 1000)
    ds_uid, _ = panel_ds_uid(panel, target)
    variables = {v["name"]: v for v in (dash.get("templating") or {}).get("list") or []}
    for v in variables.values():
        v.setdefault("_options", [])
    sc = {}
    for item in args.var or []:
        k, _, v = item.partition("=")
        sc[k] = "$__all" if v == "$__all" else v.split(",")
    if "expr" in target:
        tc = TimeContext(dash, panel, now_ms, prom_ds_interval(datasources, ds_uid), target)
        print(interpolate(target["expr"], variables, sc, prom_builtins(tc), prom_format))
    else:
        tc = TimeContext(dash, panel, now_ms, 60000, target)
        print(expand_sql(target["rawSql"], tc, variables, sc))


def cmd_selftest(args, rep):
    """The Grafana emulation against outputs Grafana documents or produces."""
    class TC:  # 2017-07-18T11:15:52Z .. +1h, 1 min interval
        from_ms, to_ms, interval_ms = 1500376552000, 1500380152000, 60000
    cases = [
        ("$__timeFilter(time_col)", "time_col BETWEEN '2017-07-18T11:15:52Z' AND '2017-07-18T12:15:52Z'"),
        ("$__timeGroup(dateColumn,'5m')", "floor(extract(epoch from dateColumn)/300)*300"),
        ("$__timeGroupAlias(dateColumn, '1h', 0)", 'floor(extract(epoch from dateColumn)/3600)*3600 AS "time"'),
        ("SELECT $__timeGroup(c, '5m'), 1", 'SELECT floor(extract(epoch from c)/300)*300 AS "time", 1'),
        ("$__timeFrom() $__timeTo()", "'2017-07-18T11:15:52Z' '2017-07-18T12:15:52Z'"),
        ("$__unixEpochFilter(t)", "t >= 1500376552 AND t <= 1500380152"),
        ("$__time(c) $__timeEpoch(c)", 'c AS "time" extract(epoch from c) as "time"'),
        ("$__timeGroupAlias(c, $__interval)", 'floor(extract(epoch from c)/60)*60 AS "time"'),
        ("x > $__unixEpochFrom()", "x > 1500376552"),
    ]
    for raw, want in cases:
        try:
            got = expand_sql(raw, TC, {}, {})
        except ValueError as e:
            got = "error: %s" % e
        rep.result(got == want, "SQL macro %s expands like Grafana's" % raw, "got  %s\nwant %s" % (got, want))
    try:
        expand_sql("$__nope(x)", TC, {}, {})
        rep.result(False, "an unknown SQL macro is an error, as in Grafana", "expanded without error")
    except ValueError as e:
        rep.result('unknown macro "__nope"' in str(e), "an unknown SQL macro is an error, as in Grafana", str(e))
    var = {"name": "server", "multi": True, "includeAll": True, "allValue": ".*", "_options": ["B", "F"]}
    plain = {"name": "server", "multi": True, "includeAll": True, "_options": ["a.b", "c"]}
    for v, value, want in [(var, "$__all", ".*"), (var, ["F"], "F"), (var, ["B", "F"], "(B|F)"),
                           (plain, "$__all", "(a\\\\.b|c)"), (plain, ["x|y"], "x\\\\|y")]:
        got = prom_format(v, value)
        rep.result(got == want, "Prometheus variable %r renders as Grafana writes it (%s)" % (value, want), got)
    rep.result(sql_format({"name": "tz", "type": "constant"}, "O'Brien") == "O''Brien",
               "a SQL variable's quote is doubled", sql_format({"name": "tz"}, "O'Brien"))
    for ms, want in [(20000, 20000), (45000, 60000), (86400000 / 1000, 60000), (43200000, 43200000),
                     (4000000, 3600000)]:
        rep.result(round_interval(ms) == want, "roundInterval(%d ms) = %d ms like Grafana" % (ms, want),
                   str(round_interval(ms)))
    for ms, want in [(60000, "1m"), (75000, "1m"), (3600000, "1h"), (43200000, "12h"), (500, "500ms")]:
        rep.result(format_interval(ms) == want, "interval %d ms is written %s" % (ms, want), format_interval(ms))
    dash = {"time": {"from": "now-6h", "to": "now"}}
    tc = TimeContext(dash, {"gridPos": {"w": 24}}, 1800000000000, 15000)
    rep.result((tc.interval_ms, tc.rate_interval_ms) == (15000, 60000),
               "6 h on a full-width panel: $__interval 15s, $__rate_interval 1m (4 x scrape interval)",
               "%s %s" % (tc.interval_ms, tc.rate_interval_ms))
    tc = TimeContext(dash, {"gridPos": {"w": 12}, "interval": "5m"}, 1800000000000, 15000)
    rep.result((tc.interval_ms, tc.rate_interval_ms) == (300000, 315000),
               "a 5m minimum interval: $__interval 5m, $__rate_interval 5m15s", "%s %s"
               % (tc.interval_ms, tc.rate_interval_ms))


def cmd_list(args, rep):
    for path, dash, err in load_dashboards(args.dashboards):
        if err:
            print("%s: %s" % (path, err))
            continue
        for p in all_panels(dash):
            for t in p.get("targets") or []:
                q = t.get("expr") or t.get("rawSql") or ""
                print("%s\t%s\t%s\t%s" % (dash.get("uid"), p.get("title"), t.get("refId"), " ".join(q.split())))


def main():
    ap = argparse.ArgumentParser(description="Prove Grafana dashboards' queries and structure without Grafana.")
    ap.add_argument("--dashboards", required=True, help="folder of dashboard JSON files")
    ap.add_argument("--datasources", required=True, help="folder of Grafana data source provisioning YAML")
    ap.add_argument("--records", action="store_true", help="NUL-separated records instead of TAP")
    ap.add_argument("--now", type=float, help="evaluate at this epoch time instead of now")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("static")
    s.add_argument("--max-schema-version", type=int, default=39)
    p = sub.add_parser("prom")
    p.add_argument("--prom-url", required=True)
    p.add_argument("--syntax-only", action="append", metavar="UID/PANEL/REF=JOB|metric:NAME",
                   help="target allowed to return no data because JOB does not run here, or because "
                        "this Prometheus version does not export metric NAME; checked, not trusted")
    q = sub.add_parser("sql")
    q.add_argument("--dsn", required=True)
    e = sub.add_parser("expand")
    e.add_argument("--uid", required=True)
    e.add_argument("--panel", required=True)
    e.add_argument("--ref", default="A")
    e.add_argument("--var", action="append", metavar="NAME=V1,V2|$__all")
    sub.add_parser("list")
    sub.add_parser("selftest", help="check the Grafana emulation against Grafana's documented outputs")
    args = ap.parse_args()
    rep = Reporter(args.records)
    try:
        {"static": cmd_static, "prom": cmd_prom, "sql": cmd_sql, "expand": cmd_expand, "list": cmd_list,
         "selftest": cmd_selftest}[args.cmd](args, rep)
    except SetupError as e:
        print("dashq: error: %s" % e, file=sys.stderr)
        return 2
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
