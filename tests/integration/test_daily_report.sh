#!/usr/bin/env bash
# The daily report on the loopback stack, sent for real through the SMTP
# sink: its figures equal what Prometheus, Alertmanager and PostgreSQL
# return at the report's reference time, its charts are real PNGs of the
# announced size, every value is HTML-escaped, and the HTML renders in
# headless Chromium (Debian's) to something that is not blank. Also
# --dry-run. Failure paths: test_daily_report_failures.sh; the daemon:
# test_daily_report_daemon.sh.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
BIN=$REPO/build/asan/daily-report
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ -z "${PROM_URL:-}" ] || [ -z "${AM_URL:-}" ] || [ -z "${GRAFANA_DB_DSN:-}" ] ||
    [ -z "${SMTP_MAILDIR:-}" ]; then
    not_ok "the loopback stack's addresses are loaded" "STACK_ENV=${STACK_ENV:-unset}"
    finish
fi
[ -x "$BIN" ] || { not_ok "build/asan/daily-report exists (make asan)"; finish; }

# A sender unique to this run picks our message out of the shared sink.
FROM=report-$$-$RANDOM@loopback.test
report_env() {
    env PROMETHEUS_URL="$PROM_URL" ALERTMANAGER_URL="$AM_URL" REPORT_DB_DSN="$GRAFANA_DB_DSN" \
        SMTP_HOST="$SMTP_HOST" SMTP_PORT="$SMTP_PORT" SMTP_TLS=none \
        REPORT_FROM="Loopback Monitoring <$FROM>" REPORT_TO="ops@loopback.test, cto@loopback.test" \
        REPORT_TZ=Europe/Paris GRAFANA_URL=https://monitoring.example.test/ "$@"
}
messages_from() { grep -l "^X-Sink-Mail-From: $1" "$SMTP_MAILDIR"/*.eml 2>/dev/null; }

# ---- an alert whose text tries to inject markup -------------------------------------
# Posted straight to Alertmanager (as Prometheus would), ends by itself.
now=$(date -u +%s)
PROBE_SUMMARY='<script>alert("x")</script> & <b>caf'$'\xc3\xa9''</b>'
jq -n --arg s "$PROBE_SUMMARY" --arg start "$(date -u -d "@$((now - 600))" +%FT%TZ)" \
    --arg stop "$(date -u -d "@$((now + 900))" +%FT%TZ)" \
    '[{labels: {alertname: "DailyReportProbe", severity: "critical", server: "<F&B>"},
       annotations: {summary: $s}, startsAt: $start, endsAt: $stop}]' >"$WORK/probe.json"
check "a probe alert is accepted by Alertmanager" \
    curl -fsS --max-time 10 -H 'Content-Type: application/json' -d @"$WORK/probe.json" "$AM_URL/api/v2/alerts"
probe_active() {
    curl -fsS --max-time 5 "$AM_URL/api/v2/alerts?active=true" |
        jq -e 'any(.[]; .labels.alertname == "DailyReportProbe")' >/dev/null
}
check "the probe alert is active" eventually 20 probe_active
# The Watchdog rule fires from Prometheus' first evaluation; on a fresh
# stack it takes a few seconds to reach Alertmanager.
watchdog_in_am() {
    curl -fsS --max-time 5 "$AM_URL/api/v2/alerts?active=true" |
        jq -e 'any(.[]; .labels.alertname == "Watchdog")' >/dev/null
}
check "the Watchdog alert has reached Alertmanager" eventually 60 watchdog_in_am
# The node job must have a few samples for rate() over 5 minutes.
has_cpu() {
    prom_query '100 * (1 - avg by (server) (rate(node_cpu_seconds_total{job="node",mode="idle"}[5m])))' |
        jq -e '.data.result | length >= 2' >/dev/null
}
check "Prometheus has CPU rates for both servers" eventually 60 has_cpu
has_queues() { prom_query 'supabase_queue_depth' | jq -e '.data.result | length > 0' >/dev/null; }
check "Prometheus has queue-exporter series" eventually 60 has_queues

# ---- --once ----------------------------------------------------------------------
curl -fsS --max-time 10 "$AM_URL/api/v2/alerts?active=true&silenced=false&inhibited=false" >"$WORK/am-before.json"
t0=$(date +%s)
report_env "$BIN" --once --state-file "$WORK/state" >"$WORK/once.log" 2>&1
rc=$?
t1=$(date +%s)
curl -fsS --max-time 10 "$AM_URL/api/v2/alerts?active=true&silenced=false&inhibited=false" >"$WORK/am-after.json"
assert_eq "--once exits 0 when every source answered and the mail went out" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/    | /' "$WORK/once.log"
mapfile -t msgs < <(messages_from "$FROM")
assert_eq "exactly one report arrived in the SMTP sink" 1 "${#msgs[@]}"
if [ "${#msgs[@]}" -ne 1 ]; then finish; fi
MSG=${msgs[0]}
assert_contains "the sink saw both recipients" "$(grep -m1 '^X-Sink-Rcpt-To:' "$MSG")" \
    "ops@loopback.test, cto@loopback.test"
saved=$(awk '$1 == "last_success_timestamp_seconds" { print $2 }' "$WORK/state" 2>/dev/null)
check "the state file records the success time" awk -v s="$saved" -v a="$t0" -v b="$t1" \
    'BEGIN { exit !(s != "" && s >= a && s <= b) }'
assert_not_contains "the log never shows the database password" "$(cat "$WORK/once.log")" \
    "$GRAFANA_DB_PASSWORD"

# ---- the message, checked against the sources ---------------------------------------
cat >"$WORK/check.py" <<'PY'
"""Reads the report message and checks every figure against the sources."""
import datetime
import email
import html.parser
import io
import json
import math
import sys
import urllib.parse
import urllib.request
from email import policy
from zoneinfo import ZoneInfo

import psycopg2
from PIL import Image, ImageStat

msgfile, prom, dsn, am_before, am_after, probe_summary, out_html = sys.argv[1:8]
PARIS = ZoneInfo("Europe/Paris")


def check(desc, cond, evidence=""):
    print(("ok - " if cond else "not ok - ") + desc)
    if not cond and evidence:
        for line in str(evidence)[:3000].splitlines():
            print("    # " + line)


m = email.message_from_binary_file(open(msgfile, "rb"), policy=policy.default)
T = int(m["X-Daily-Report-Time"])
check("the message is multipart/alternative", m.get_content_type() == "multipart/alternative",
      m.get_content_type())
parts = list(m.iter_parts())
kinds = [p.get_content_type() for p in parts]
check("alternative = text/plain then multipart/related", kinds == ["text/plain", "multipart/related"],
      kinds)
related = parts[1]
rel = list(related.iter_parts())
check("related = text/html then two image/png",
      [p.get_content_type() for p in rel] == ["text/html", "image/png", "image/png"],
      [p.get_content_type() for p in rel])
check("From and To headers", m["From"].addresses[0].display_name == "Loopback Monitoring"
      and [a.addr_spec for a in m["To"].addresses] == ["ops@loopback.test", "cto@loopback.test"],
      f'{m["From"]} / {m["To"]}')
day = datetime.datetime.fromtimestamp(T, PARIS).strftime("%Y-%m-%d")
check("the subject names the day", m["Subject"].startswith(f"Daily health report {day}: "), m["Subject"])
text = parts[0].get_content()
raw_html = rel[0].get_content()
open(out_html, "w").write(raw_html)


class Report(html.parser.HTMLParser):
    VOID = {"img", "br", "meta", "hr", "input", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.servers, self.queues, self.alerts = [], {}, {}, []
        self.fields, self.unavailable, self.charts, self.attrs = {}, set(), {}, {}

    def ctx(self):
        for e in reversed(self.stack):
            if e["ctx"] is not None:
                return e["ctx"]
        return None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.charts[a.get("data-chart")] = a
        if tag in self.VOID:
            return
        e = {"tag": tag, "field": a.get("data-field"), "buf": [], "ctx": None}
        if "data-server" in a:
            e["ctx"] = self.servers.setdefault(a["data-server"], {})
        elif "data-queue" in a:
            e["ctx"] = self.queues.setdefault(a["data-queue"], {})
        elif "data-alert" in a:
            e["ctx"] = {}
            self.alerts.append(e["ctx"])
        if "data-unavailable" in a:
            self.unavailable.add(a["data-unavailable"])
        if "data-since" in a:
            self.ctx()["since_ts"] = int(a["data-since"])
        if "data-watchdog" in a:
            self.attrs["watchdog"] = a["data-watchdog"]
        if tag == "a" and a.get("data-field") == "grafana_url":
            self.attrs["grafana_href"] = a.get("href")
        self.stack.append(e)

    def handle_endtag(self, tag):
        while self.stack:
            e = self.stack.pop()
            if e["field"]:
                c = self.ctx()
                (c if c is not None else self.fields)[e["field"]] = "".join(e["buf"]).strip()
            if e["tag"] == tag:
                break

    def handle_data(self, d):
        for e in self.stack:
            if e["field"]:
                e["buf"].append(d)


r = Report()
r.feed(raw_html)
check("no section is marked unavailable", not r.unavailable, r.unavailable)
check("no script and no raw probe markup in the HTML",
      "<script" not in raw_html and "<b>caf" not in raw_html)


def query(expr, labels):
    u = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": T})
    j = json.load(urllib.request.urlopen(u, timeout=30))
    assert j["status"] == "success", j
    return {tuple(s["metric"].get(l, "") for l in labels): float(s["value"][1])
            for s in j["data"]["result"]}


def pct(v):
    return "n/a" if v is None or math.isnan(v) else "%.1f %%" % v


def count(v):
    return "n/a" if v is None or math.isnan(v) else "%.0f" % v


def at_least_now(mx, now):
    if mx is None:
        return now
    if now is None:
        return mx
    return max(mx, now)


# ---- infrastructure ----
FS = ('fstype!~"tmpfs|devtmpfs|ramfs|squashfs|overlay|nsfs|autofs|iso9660|fuse.*",'
      'mountpoint!~"/(run|var/lib/docker|snap)($|/.*)"')
CPU = '100 * (1 - avg by (server) (rate(node_cpu_seconds_total{job="node",mode="idle"}[5m])))'
RAM = ('100 * (1 - sum by (server) (node_memory_MemAvailable_bytes{job="node"})'
       ' / sum by (server) (node_memory_MemTotal_bytes{job="node"}))')
DISK = ('max by (server) (100 * (1 - node_filesystem_avail_bytes{job="node",' + FS + '}'
        ' / node_filesystem_size_bytes{job="node",' + FS + '}))')
up = query('max by (server) (up{job="node"})', ["server"])
check("the report lists exactly the servers Prometheus knows",
      set(r.servers) == {k[0] for k in up}, f"report {sorted(r.servers)} vs {sorted(up)}")
lines = []
for (server,), u in up.items():
    row = r.servers.get(server, {})
    want = {"status": "UP" if u >= 1 else "DOWN"}
    for name, q in (("cpu", CPU), ("ram", RAM), ("disk", DISK)):
        now = query(q, ["server"]).get((server,))
        mx = query("max_over_time((" + q + ")[24h:1m])", ["server"]).get((server,))
        want[name] = pct(now)
        want[name + "_max"] = pct(at_least_now(mx, now))
    got = {k: row.get(k) for k in want}
    check(f"server {server}: status, CPU, RAM and disk (now and 24 h max) equal Prometheus",
          got == want, f"report {got}\nprometheus {want}")
    lines.append(f"  {server}: {want['status']}, CPU {want['cpu']} (24 h max {want['cpu_max']}), "
                 f"RAM {want['ram']} (24 h max {want['ram_max']}), disk {want['disk']} "
                 f"(24 h max {want['disk_max']})")
check("the text part carries the same infrastructure lines", all(l in text for l in lines),
      "\n".join(lines) + "\n---\n" + text)
check("the summary counts the servers up",
      r.fields.get("servers_up") == str(sum(1 for v in up.values() if v >= 1))
      and r.fields.get("servers_total") == str(len(up)), r.fields)

# ---- queues ----
depth = query("sum by (queue, status) (supabase_queue_depth)", ["queue", "status"])
stuck = query("sum by (queue) (supabase_queue_stuck_jobs)", ["queue"])
failed = query("sum by (queue) (supabase_queue_failed_last_24h)", ["queue"])
queues = {k[0] for k in depth}
check("the report lists exactly the queues Prometheus knows", set(r.queues) == queues,
      f"{sorted(r.queues)} vs {sorted(queues)}")
for qn in sorted(queues):
    want = {"pending": count(depth.get((qn, "pending"))),
            "processing": count(depth.get((qn, "processing"))),
            "failed": count(depth.get((qn, "failed"))),
            "stuck": count(stuck.get((qn,))), "failed_24h": count(failed.get((qn,)))}
    got = {k: r.queues.get(qn, {}).get(k) for k in want}
    check(f"queue {qn}: depth by status, stuck and failed in 24 h equal Prometheus", got == want,
          f"report {got}\nprometheus {want}")
    line = (f"  {qn}: pending {want['pending']}, processing {want['processing']}, failed "
            f"{want['failed']}, stuck > 35 min {want['stuck']}, failed in the last 24 h "
            f"{want['failed_24h']}")
    check(f"queue {qn}: the text part says the same", line in text, line)

# ---- business, from the database as grafana_readonly, at the same instant ----
with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
    cur.execute("SET TIME ZONE 'UTC'")
    cur.execute("""
        SELECT count(*) FILTER (WHERE created_at > t - interval '24 hours'),
               count(*) FILTER (WHERE created_at <= t - interval '24 hours'),
               count(*) FILTER (WHERE created_at > t - interval '24 hours' AND severity = 'critical'),
               count(*) FILTER (WHERE created_at > t - interval '24 hours' AND severity = 'major'),
               count(*) FILTER (WHERE created_at > t - interval '24 hours' AND severity = 'minor')
        FROM incidents, (SELECT to_timestamp(%s) AS t) r
        WHERE created_at > t - interval '48 hours' AND created_at <= t""", (T,))
    inc = cur.fetchone()
    cur.execute("""SELECT count(*), count(*) FILTER (WHERE updated_at > to_timestamp(%s) - interval '10 minutes')
                   FROM fleet_positions""", (T,))
    fleet = cur.fetchone()
    fails = {}
    for table in ("pending_transcriptions", "pending_pdf_processing"):
        cur.execute(f"""SELECT count(*) FILTER (WHERE updated_at > to_timestamp(%s) - interval '24 hours'
                                                AND updated_at <= to_timestamp(%s)), count(*)
                        FROM {table} WHERE status = 'failed'""", (T, T))
        fails[table] = cur.fetchone()
want = {"incidents_24h": inc[0], "incidents_prev_24h": inc[1], "incidents_24h_critical": inc[2],
        "incidents_24h_major": inc[3], "incidents_24h_minor": inc[4], "fleet_total": fleet[0],
        "fleet_reporting": fleet[1],
        "transcriptions_failed_24h": fails["pending_transcriptions"][0],
        "transcriptions_failed_total": fails["pending_transcriptions"][1],
        "pdf_failed_24h": fails["pending_pdf_processing"][0],
        "pdf_failed_total": fails["pending_pdf_processing"][1]}
want = {k: str(v) for k, v in want.items()}
want["gps_coverage"] = pct(100.0 * fleet[1] / fleet[0]) if fleet[0] else "n/a"
got = {k: r.fields.get(k) for k in want}
check("business figures equal the SQL run at the report's time", got == want,
      f"report {got}\nsql    {want}")
check("the demo data is really exercised (incidents, failures, silent vehicles)",
      inc[0] > 0 and fleet[1] < fleet[0] and fails["pending_transcriptions"][0] > 0, want)
for line in (f"  Incidents, last 24 h: {inc[0]} (critical {inc[2]}, major {inc[3]}, minor {inc[4]})",
             f"  Incidents, previous 24 h: {inc[1]}",
             f"  GPS coverage: {fleet[1]} of {fleet[0]} vehicles reported in the last 10 min ({want['gps_coverage']})"):
    check("text part: " + line.strip(), line in text, text)

# ---- active alerts ----
def expected(path):
    out = set()
    for a in json.load(open(path)):
        lab = a["labels"]
        if a.get("status", {}).get("state", "active") != "active" or lab.get("severity") == "none":
            continue
        ts = datetime.datetime.fromisoformat(a["startsAt"].replace("Z", "+00:00"))
        out.add((lab.get("alertname", ""), lab.get("server", lab.get("instance", "")),
                 lab.get("severity", "") or "none", int(ts.timestamp())))
    return out


got = {(a.get("alertname"), a.get("server"), a.get("severity"), a.get("since_ts")) for a in r.alerts}
before, after = expected(am_before), expected(am_after)
check("the alerts equal Alertmanager's active, unsilenced alerts", got in (before, after),
      f"report {sorted(got)}\nbefore {sorted(before)}\nafter  {sorted(after)}")
check("the summary counts the alerts", r.fields.get("alerts_active") == str(len(r.alerts)), r.fields)
rank = {"critical": 0, "warning": 1, "info": 2}
order = [(rank.get(a.get("severity"), 3), a.get("since_ts")) for a in r.alerts]
check("alerts are sorted by severity, then oldest first", order == sorted(order), order)
probe = [a for a in r.alerts if a.get("alertname") == "DailyReportProbe"]
check("the probe alert is listed once", len(probe) == 1, r.alerts)
if probe:
    p = probe[0]
    check("its summary and server read back exactly as sent (escaped, not interpreted)",
          p.get("summary") == probe_summary and p.get("server") == "<F&B>", p)
    since = datetime.datetime.fromtimestamp(p["since_ts"], PARIS).strftime("%Y-%m-%d %H:%M %Z")
    check("its since-when is the local start time and the elapsed time",
          p.get("since", "").startswith(since) and "for 10 min" in p.get("since", ""), p)
check("the Watchdog is reported alive", r.attrs.get("watchdog") == "1", r.attrs)
check("the dashboards link is there", r.attrs.get("grafana_href") == "https://monitoring.example.test/",
      r.attrs)

# ---- charts ----
cids = {p["Content-ID"].strip("<>"): p for p in rel[1:]}
refs = {a["src"][4:] for a in r.charts.values() if a.get("src", "").startswith("cid:")}
check("every cid: in the HTML has its image part and vice versa", refs == set(cids) and len(refs) == 2,
      f"{refs} vs {set(cids)}")
for cid, part in sorted(cids.items()):
    data = part.get_payload(decode=True)
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
        ok = img.format == "PNG" and img.size == (640, 260)
        spread = ImageStat.Stat(img.convert("L")).stddev[0]
    except Exception as e:  # noqa: BLE001 - any decoding failure is the finding
        ok, spread = False, repr(e)
    check(f"{cid} decodes as a 640x260 PNG", ok, f"format/size wrong or undecodable: {spread}")
    check(f"{cid} is not a blank image", ok and spread > 5, spread)
    tag = [a for a in r.charts.values() if a.get("src") == "cid:" + cid]
    check(f"{cid}: the <img> announces the same size",
          tag and tag[0].get("width") == "640" and tag[0].get("height") == "260", tag)
PY
"$PY3" "$WORK/check.py" "$MSG" "$PROM_URL" "$GRAFANA_DB_DSN" "$WORK/am-before.json" \
    "$WORK/am-after.json" "$PROBE_SUMMARY" "$WORK/email.html" >"$WORK/check.out" 2>&1
cat "$WORK/check.out"
grep -q '^not ok' "$WORK/check.out" && TEST_FAILED=1
grep -q '^ok' "$WORK/check.out" || not_ok "the message checker ran" "$(tail -20 "$WORK/check.out")"

# ---- what a reader sees: the HTML rendered by Chromium ------------------------------
# Mail clients resolve cid: to the related parts; for the browser, inline
# them as data: URIs (exactly the bytes of the message's parts).
"$PY3" - "$MSG" "$WORK/email-inline.html" <<'PY'
import base64, email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
rel = list(list(m.iter_parts())[1].iter_parts())
html = rel[0].get_content()
for p in rel[1:]:
    uri = "data:image/png;base64," + base64.b64encode(p.get_payload(decode=True)).decode()
    html = html.replace("cid:" + p["Content-ID"].strip("<>"), uri)
open(sys.argv[2], "w").write(html)
PY
screenshot() { # HTML PNG
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$WORK/chromium.XXXXXX")" --screenshot="$2" \
        --window-size=1000,1400 "file://$1" >"$WORK/chromium.log" 2>&1
}
# not blank: real variance, and the green "UP" badges and the blue chart
# line are on screen (the report is not an error page)
judge_screenshot() { # PNG
    "$PY3" - "$1" <<'PY'
import sys
from PIL import Image, ImageStat
img = Image.open(sys.argv[1]).convert("RGB")
assert img.size == (1000, 1400), img.size
spread = ImageStat.Stat(img.convert("L")).stddev[0]
px = img.getdata()
green = sum(1 for r, g, b in px if abs(r - 0x15) < 40 and abs(g - 0x80) < 40 and abs(b - 0x3d) < 40)
blue = sum(1 for r, g, b in px if b - r > 60 and b > g)
print(f"stddev {spread:.1f}, green badge pixels {green}, blue chart pixels {blue}")
sys.exit(0 if spread > 20 and green > 200 and blue > 200 else 1)
PY
}
if screenshot "$WORK/email-inline.html" "$WORK/email.png"; then
    check "Chromium's screenshot of the emailed HTML is not blank" judge_screenshot "$WORK/email.png"
else
    not_ok "headless Chromium rendered the emailed HTML" "$(tail -5 "$WORK/chromium.log")"
fi

# ---- --dry-run writes, sends nothing --------------------------------------------------
before=$(messages_from "$FROM" | wc -l)
report_env "$BIN" --dry-run --out "$WORK/dry.html" >"$WORK/dry.log" 2>&1
assert_eq "--dry-run exits 0 with every source up" 0 "$?"
sleep 1
assert_eq "--dry-run sends nothing" "$before" "$(messages_from "$FROM" | wc -l)"
dry=$(cat "$WORK/dry.html" 2>/dev/null)
assert_contains "the file embeds the charts as data: URIs" "$dry" 'src="data:image/png;base64,'
assert_not_contains "the file has no cid: reference" "$dry" 'src="cid:'
check "both embedded charts decode as 640x260 PNGs" "$PY3" - "$WORK/dry.html" <<'PY'
import base64, io, re, sys
from PIL import Image
uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', open(sys.argv[1]).read())
assert len(uris) == 2, len(uris)
for u in uris:
    im = Image.open(io.BytesIO(base64.b64decode(u)))
    im.load()
    assert im.format == "PNG" and im.size == (640, 260), (im.format, im.size)
PY
if screenshot "$WORK/dry.html" "$WORK/dry.png"; then
    check "Chromium's screenshot of the --dry-run file is not blank" judge_screenshot "$WORK/dry.png"
else
    not_ok "headless Chromium rendered the --dry-run file" "$(tail -5 "$WORK/chromium.log")"
fi
check_fails "--dry-run without --out is a usage error" report_env "$BIN" --dry-run
report_env "$BIN" --dry-run --out /nonexistent-dir/x.html >"$WORK/dry2.log" 2>&1
assert_eq "--dry-run into an unwritable path exits 1" 1 "$?"
assert_contains "... and says which path" "$(cat "$WORK/dry2.log")" "/nonexistent-dir/x.html"
finish
