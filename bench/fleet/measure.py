#!/usr/bin/python3
"""Measurements of bench/fleet on one running Prometheus, and the report.

  measure.py measure --prom-url URL --pid PID --servers N --window S --reps R --out FILE.json
      active series, RSS and Go heap, CPU per scrape cycle over a window of
      S seconds, each rule group's evaluation time (max over the window),
      what the cAdvisor job's relabeling keeps, and the latency of every
      dashboard PromQL target over 24 h and 7 d (R runs each).
  measure.py report FILE.json...
      the tables (markdown) and the goal checks, on stdout.

Dashboard targets are found, expanded and run the way
tests/dashboards/dashq.py does it (Grafana's own variable, interval and step
rules), with each dashboard's time range set to 24 h or 7 d: every panel
keeps its own width, minimum interval and relative time, so each query uses
the step Grafana would send.
"""

import argparse
import copy
import json
import os
import statistics
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dashboards"))
import dashq  # noqa: E402

RANGES = ["24h", "7d"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Quiet:
    """dashq's reporter, silenced: a missing variable value shows in the results."""
    failed = passed = 0

    def result(self, ok, desc, evidence=""):
        if not ok:
            print("measure: %s (%s)" % (desc, evidence.splitlines()[0] if evidence else ""), file=sys.stderr)


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def own_metrics(url):
    out = {}
    with urllib.request.urlopen(url + "/metrics", timeout=20) as r:
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
    return out


def instant(prom, q):
    data, err = prom.call("/api/v1/query", {"query": q})
    if err:
        raise SystemExit("measure: query %s failed: %s" % (q, err))
    return data["result"]


def dashboard_targets(prom, now_ms, rng):
    """(key, panel, target, time context, expanded expr) for every PromQL target."""
    datasources = dashq.load_datasources(os.path.join(REPO, "grafana", "provisioning", "datasources"))
    out = []
    for path, dash, err in dashq.load_dashboards(os.path.join(REPO, "grafana", "dashboards")):
        if err:
            raise SystemExit("measure: %s: %s" % (path, err))
        dash = copy.deepcopy(dash)
        dash["time"] = {"from": "now-" + rng, "to": "now"}
        uid = dash.get("uid")
        variables = dashq.resolve_variables(dash, prom, now_ms, Quiet(), uid)
        scenario = {n: dashq.default_value(v) for n, v in variables.items() if v.get("type") == "query"}
        for panel in dashq.all_panels(dash):
            for target in panel.get("targets") or []:
                ds_uid, _ = dashq.panel_ds_uid(panel, target)
                if (datasources.get(ds_uid) or {}).get("type") != "prometheus" or target.get("hide"):
                    continue
                tc = dashq.TimeContext(dash, panel, now_ms, dashq.prom_ds_interval(datasources, ds_uid), target)
                expr = dashq.interpolate(target.get("expr", ""), variables, scenario, dashq.prom_builtins(tc),
                                         dashq.prom_format)
                key = "%s / %s / %s" % (uid, panel.get("title"), target.get("refId"))
                out.append((key, panel, target, tc, expr))
    return out


def pct(values, p):
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def time_targets(prom, reps):
    now_ms = int(time.time() * 1000)
    res = {}
    for rng in RANGES:
        targets = dashboard_targets(prom, now_ms, rng)
        rows = {}
        for key, panel, target, tc, expr in targets:
            rows[key] = {"ms": [], "step_s": None, "series": 0, "error": None, "expr": expr}
        for _ in range(reps):  # interleaved: a slow moment of the machine hits every query alike
            for key, panel, target, tc, expr in targets:
                t0 = time.perf_counter()
                data, err, kind = dashq.run_prom_target(prom, panel, target, tc, expr)
                rows[key]["ms"].append((time.perf_counter() - t0) * 1000)
                rows[key]["kind"] = kind
                if err:
                    rows[key]["error"] = err
                else:
                    rows[key]["series"] = len(data.get("result") or []) if isinstance(data.get("result"), list) else 1
        for r in rows.values():
            r["median"] = statistics.median(r["ms"])
            r["p95"] = pct(r["ms"], 95)
        res[rng] = rows
    return res


def slowest_rules(url, k):
    """The k rules with the longest last evaluation, as (seconds, group, name).
    /api/v1/rules answers GET only (a POST, as dashq.Prom.call sends, gets
    405), so it is read here; an error is fatal rather than an empty line."""
    with urllib.request.urlopen(url + "/api/v1/rules", timeout=20) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise SystemExit("measure.py: %s/api/v1/rules: %s" % (url, body.get("error")))
    rules = [(float(r.get("evaluationTime", 0)), g["name"], r.get("name", "?"))
             for g in body["data"].get("groups", []) for r in g.get("rules", [])]
    if not rules:
        raise SystemExit("measure.py: %s/api/v1/rules lists no rules" % url)
    return sorted(rules, reverse=True)[:k]


def cmd_measure(a):
    prom = dashq.Prom(a.prom_url)
    # CPU per scrape cycle: process CPU over whole scrape intervals (rule
    # evaluation included: same interval).
    c0, t0 = cpu_seconds(a.pid), time.time()
    time.sleep(a.window)
    c1, t1 = cpu_seconds(a.pid), time.time()
    cycles = (t1 - t0) / a.interval
    win = "%ds" % int(a.window)
    res = {"servers": a.servers, "window_s": t1 - t0, "cpu_per_cycle_s": (c1 - c0) / cycles,
           "cpu_share": (c1 - c0) / (t1 - t0)}
    m = own_metrics(a.prom_url)
    res["head_series"] = m.get("prometheus_tsdb_head_series", 0)
    res["heap_inuse"] = m.get("go_memstats_heap_inuse_bytes", 0)
    res["heap_alloc"] = m.get("go_memstats_heap_alloc_bytes", 0)
    res["rss"] = proc_status(a.pid, "VmRSS")
    res["rss_anon"] = proc_status(a.pid, "RssAnon")
    res["blocks"] = m.get("prometheus_tsdb_blocks_loaded", 0)
    res["rule_groups"] = {r["metric"].get("rule_group", "?").split(";")[-1]: float(r["value"][1]) for r in instant(
        prom, "max_over_time(prometheus_rule_group_last_duration_seconds[%s])" % win)}
    # The mean beside the maximum: one slow evaluation (the machine busy with
    # something else) sets the maximum; the mean is the share of time spent.
    try:
        res["rule_groups_mean"] = {r["metric"].get("rule_group", "?").split(";")[-1]: float(r["value"][1])
                                   for r in instant(prom, "avg_over_time(prometheus_rule_group_last_duration_seconds[%s])"
                                                    % win)}
    except (Exception, SystemExit) as e:  # informative only; the goal uses the maximum
        print("measure.py: mean rule evaluation time not measured: %s" % e, file=sys.stderr)
    res["rule_interval"] = {r["metric"].get("rule_group", "?").split(";")[-1]: float(r["value"][1]) for r in instant(
        prom, "prometheus_rule_group_interval_seconds")}
    res["slowest_rules"] = slowest_rules(a.prom_url, 5)
    by_job = {}
    for q, k in (("sum by (job) (scrape_samples_scraped)", "scraped"),
                 ("sum by (job) (scrape_samples_post_metric_relabeling)", "kept"),
                 ("count by (job) (up)", "targets")):
        for r in instant(prom, q):
            by_job.setdefault(r["metric"].get("job", "?"), {})[k] = float(r["value"][1])
    res["jobs"] = by_job
    res["cadvisor_kept_families"] = sorted(
        r["metric"]["__name__"] for r in instant(prom, 'count by (__name__) ({job="cadvisor", __name__=~"container_.+|machine_.+|cadvisor_.+"})'))
    # Dashboard latency, with a sampler of the peak RSS while queries run.
    peak = [res["rss"]]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            peak[0] = max(peak[0], proc_status(a.pid, "VmRSS"))
            stop.wait(0.2)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    res["queries"] = time_targets(prom, a.reps)
    stop.set()
    th.join()
    res["rss_peak_queries"] = peak[0]
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)


# ------------------------------------------------------------------ report
MIB = 1024.0 * 1024


def worst(r, rng, field="p95"):
    rows = r["queries"][rng]
    key = max(rows, key=lambda k: rows[k][field])
    return key, rows[key][field]


def rule_share(r, key="rule_groups"):
    """Fraction of wall time Prometheus spends evaluating rules: each group's
    evaluation time over its own interval (a group evaluated every minute
    costs a quarter of one evaluated every 15 s), summed over the groups.
    KEY: rule_groups (each group's slowest evaluation in the window) or
    rule_groups_mean (its mean)."""
    iv = r.get("rule_interval", {})
    return sum(d / iv.get(g, 15) for g, d in r[key].items())


def slowest_group(r):
    """(group, seconds, interval) of the group with the largest share of its interval."""
    iv = r.get("rule_interval", {})
    g, d = max(r["rule_groups"].items(), key=lambda kv: kv[1] / iv.get(kv[0], 15))
    return g, d, iv.get(g, 15)


def cmd_report(a):
    runs = []
    for p in a.files:
        with open(p) as f:
            runs.append(json.load(f))
    runs.sort(key=lambda r: r["servers"])
    note = a.note or ""
    print("| servers | active series | series/server | RSS (peak under queries) | Go heap in use | RSS / series | "
          "heap / series | CPU per scrape cycle | rules: all groups (%% of time); slowest group (%% of its interval) | dashboards 24 h: max p95 "
          "(sum of medians) | dashboards 7 d%s: max p95 (sum of medians) |" % note)
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        s = r["head_series"]
        g, gd, giv = slowest_group(r)
        cells = [str(r["servers"]), "%d" % s, "%.0f" % (s / r["servers"]),
                 "%.0f MiB (%.0f MiB)" % (r["rss"] / MIB, r["rss_peak_queries"] / MIB),
                 "%.0f MiB" % (r["heap_inuse"] / MIB), "%.1f KiB" % (r["rss"] / s / 1024),
                 "%.1f KiB" % (r["heap_inuse"] / s / 1024), "%.2f s" % r["cpu_per_cycle_s"],
                 "%.2f %%; %s %.1f ms (%.2f %% of %.0f s)" % (rule_share(r) * 100, g, gd * 1000, gd / giv * 100, giv)]
        for rng in RANGES:
            _, p95 = worst(r, rng)
            tot = sum(v["median"] for v in r["queries"][rng].values())
            cells.append("%.0f ms (%.0f ms)" % (p95, tot))
        print("| " + " | ".join(cells) + " |")
    print()
    # Per-query table for the largest fleet, with the smallest for scale.
    lo, hi = runs[0], runs[-1]
    print("Every dashboard PromQL target, p95 over %d runs (median in brackets), at %d and %d servers:\n"
          % (len(next(iter(hi["queries"]["24h"].values()))["ms"]), lo["servers"], hi["servers"]))
    print("| target | step 24 h / 7 d | %d: 24 h | %d: 24 h | %d: 7 d%s | %d: 7 d%s |"
          % (lo["servers"], hi["servers"], lo["servers"], note, hi["servers"], note))
    print("|---|---|---:|---:|---:|---:|")
    for key in hi["queries"]["24h"]:
        q24, q7 = hi["queries"]["24h"][key], hi["queries"]["7d"].get(key, {})
        l24, l7 = lo["queries"]["24h"].get(key, {}), lo["queries"]["7d"].get(key, {})

        def cell(q):
            if not q:
                return "-"
            return "%.0f (%.0f)%s" % (q["p95"], q["median"], " ERROR" if q.get("error") else "")

        def step(q):
            k = q.get("kind", "")
            return "instant" if k.startswith("instant") else k.replace("range query, step ", "")
        print("| %s | %s / %s | %s | %s | %s | %s |" % (key, step(q24), step(q7), cell(l24), cell(q24), cell(l7),
                                                        cell(q7)))
    print()
    print("Goals:\n")
    bad = 0
    for rng in RANGES:
        k, p95 = worst(hi, rng)
        ok = p95 <= 500
        bad += not ok
        print("- [%s] every dashboard query <= 500 ms at %d servers over %s%s: slowest p95 %.0f ms (%s)"
              % ("x" if ok else " ", hi["servers"], rng, note if rng == "7d" else "", p95, k))
    if len(runs) > 1:
        for rng in RANGES:
            # Sub-10 ms queries are dominated by HTTP and timer noise; the
            # ratio is taken on the dashboard's total (what a user waits for)
            # and reported for the slowest query.
            tot_lo = sum(v["p95"] for v in lo["queries"][rng].values())
            tot_hi = sum(v["p95"] for v in hi["queries"][rng].values())
            k, p_hi = worst(hi, rng)
            p_lo = lo["queries"][rng][k]["p95"]
            ok = tot_hi <= 4 * tot_lo
            bad += not ok
            print("- [%s] p95 at %d servers <= 4 x p95 at %d servers (%s): all targets %.0f vs %.0f ms = x%.1f; "
                  "slowest target x%.1f (%.0f vs %.0f ms)"
                  % ("x" if ok else " ", hi["servers"], lo["servers"], rng, tot_hi, tot_lo, tot_hi / tot_lo,
                     p_hi / max(p_lo, 0.001), p_hi, p_lo))
    g, gd, giv = slowest_group(hi)
    share = rule_share(hi)
    ok = share <= 0.01
    bad += not ok
    print("- [%s] rule evaluation <= 1 %% of the evaluation interval at %d servers: all groups together %.2f %% "
          "(each group's time over its own interval, summed; %.1f ms in all), slowest group %s %.1f ms "
          "(%.2f %% of its %.0f s)" % ("x" if ok else " ", hi["servers"], share * 100,
                                        sum(hi["rule_groups"].values()) * 1000, g, gd * 1000, gd / giv * 100, giv))
    if hi.get("rule_groups_mean"):
        print("- rule evaluation at %d servers with each group's mean evaluation time over the window instead "
              "of its slowest: %.2f %% of the time" % (hi["servers"], rule_share(hi, "rule_groups_mean") * 100))
    print("- slowest rules at %d servers (last evaluation): %s" % (hi["servers"], ", ".join(
        "%s/%s %.1f ms" % (g, n, t * 1000) for t, g, n in hi.get("slowest_rules") or []) or "not measured"))
    if len(runs) > 1:
        capacity(lo, hi)
    cad = hi["jobs"].get("cadvisor", {})
    if cad:
        print("- cAdvisor: %.0f samples scraped per Docker host, %.0f kept after metric_relabel_configs (%d "
              "families: %s)" % (cad.get("scraped", 0) / cad.get("targets", 1), cad.get("kept", 0) /
                                 cad.get("targets", 1), len(hi["cadvisor_kept_families"]),
                                 ", ".join(hi["cadvisor_kept_families"])))
    return 0


def prometheus_limit():
    """Prometheus' memory limit in compose.yaml, in bytes."""
    import yaml
    with open(os.path.join(REPO, "compose.yaml"), encoding="utf-8") as f:
        svc = yaml.safe_load(f)["services"]["prometheus"]
    text = str(svc["deploy"]["resources"]["limits"]["memory"])
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    num = text.rstrip("bBkKmMgGiI")
    unit = text[len(num):].lower().rstrip("ib")[:1]
    return float(num) * units.get(unit, 1), text


def linear_n(lo, hi, y_lo, y_hi, target):
    """N where a quantity measured at lo and hi servers reaches target (linear)."""
    slope = (y_hi - y_lo) / (hi - lo)
    if slope <= 0:
        return float("inf")
    return lo + (target - y_lo) / slope


def capacity(lo, hi):
    """How many servers the current limits hold, from the two ends (linear)."""
    limit, text = prometheus_limit()
    n_lo, n_hi = lo["servers"], hi["servers"]
    per_series = (hi["rss_peak_queries"] - lo["rss_peak_queries"]) / (hi["head_series"] - lo["head_series"])
    heap_series = (hi["heap_inuse"] - lo["heap_inuse"]) / (hi["head_series"] - lo["head_series"])
    per_server = per_series * hi["head_series"] / n_hi
    # 20 % of the limit kept for what minutes of running do not show: full
    # head chunks, compaction, a heavier query than the dashboards'.
    n_mem = linear_n(n_lo, n_hi, lo["rss_peak_queries"], hi["rss_peak_queries"], 0.8 * limit)
    n_rules = linear_n(n_lo, n_hi, rule_share(lo), rule_share(hi), 0.01)
    out = ["- marginal cost: %.1f KiB RSS (peak under queries) and %.1f KiB Go heap per active series, "
           "%.1f MiB RSS per server (%d series a server)"
           % (per_series / 1024, heap_series / 1024, per_server / MIB, hi["head_series"] / n_hi),
           "- Prometheus memory limit %s (compose.yaml): 80 %% of it is reached at about **%d servers**"
           % (text, n_mem),
           "- rule evaluation reaches 1 %% of the evaluation interval at about **%d servers**" % n_rules]
    firsts = [(n_mem, "Prometheus' memory limit"), (n_rules, "rule evaluation at 1 % of the interval")]
    for rng in RANGES:
        k, p_hi = worst(hi, rng)
        p_lo = lo["queries"][rng][k]["p95"]
        n_q = linear_n(n_lo, n_hi, p_lo, p_hi, 500) if p_hi < 500 else n_hi * 500 / p_hi
        out.append("- the slowest dashboard query over %s (%s) reaches 500 ms at about **%d servers**"
                   % (rng, k, n_q))
        firsts.append((n_q, "dashboard latency over %s" % rng))
    n, what = min(firsts)
    out.append("- first limit reached: **%s, at about %d servers** (linear from %d and %d servers)"
               % (what, n, n_lo, n_hi))
    print("\nCapacity (extrapolated):\n")
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--prom-url", required=True)
    m.add_argument("--pid", type=int, required=True)
    m.add_argument("--servers", type=int, required=True)
    m.add_argument("--window", type=float, default=120)
    m.add_argument("--interval", type=float, default=15)
    m.add_argument("--reps", type=int, default=7)
    m.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("--note", default="", help="text after every 7-d figure (the backfilled resolution)")
    r.add_argument("files", nargs="+")
    a = ap.parse_args()
    return {"measure": cmd_measure, "report": cmd_report}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
