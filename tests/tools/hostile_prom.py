#!/usr/bin/env python3
"""A hostile Prometheus and Alertmanager for the daily report's tests.

    hostile_prom.py PORT

The first path segment picks the misbehaviour, so one server covers every
case: PROMETHEUS_URL=http://127.0.0.1:PORT/MODE.

    ok        plausible data (2 servers, 2 queues)
    inf       CPU "+Inf", RAM "-Inf", disk "-12345.6"
    huge      every value "1e308", chart values too
    hex       values as hex floats ("0x1p6")
    s500      HTTP 500 carrying a "success" envelope with data
    s302      HTTP 302 carrying a "success" envelope with data
    badutf8   server and queue names of invalid UTF-8 (surrogates, bytes
              cut inside a character), 40 bytes long so the legend cuts them
    many      N series per query and N alerts (N from the second segment:
              /many/3000); a query wrapped in topk(16, ...) gets 16

/MODE/api/v2/alerts answers as Alertmanager: hostile labels for badutf8,
N alerts for many, two plausible alerts otherwise. Runs until killed.
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

NOW = time.time()


def names(mode, n):
    if mode == "badutf8":
        # Raw bytes; JSON cannot carry invalid UTF-8 except as lone
        # surrogate escapes, which is what a broken exporter produces.
        return ["srv-" + "x" * 31 + "\u00e9\u00e9", "bad-\udcff-\ud800-name"][:n]
    return [f"server-{i:05d}" for i in range(n)]


def value_for(mode, query):
    if mode == "inf":
        if "idle" in query:
            return "+Inf"
        if "MemAvailable" in query:
            return "-Inf"
        return "-12345.6"
    if mode == "huge":
        return "1e308"
    if mode == "hex":
        return "0x1p6"
    return "42"


def vector(mode, query, n):
    label = "queue" if "supabase_queue" in query else "server"
    rows = []
    for name in names(mode, n):
        metric = {label: name}
        if "status" in query and "supabase_queue_depth" in query:
            for st in ("pending", "processing", "failed"):
                rows.append({"metric": dict(metric, status=st), "value": [NOW, value_for(mode, query)]})
            continue
        rows.append({"metric": metric, "value": [NOW, "1" if query.startswith("max by (server) (up") else value_for(mode, query)]})
    return {"resultType": "vector", "result": rows}


def matrix(mode, query, n, start, end, step):
    label = "queue" if "supabase_queue" in query else "server"
    if query.startswith("topk(16,"):
        n = min(n, 16)  # what Prometheus would return
    pts = []
    t = start
    while t <= end and len(pts) < 800:
        pts.append([t, value_for(mode, query)])
        t += step
    return {"resultType": "matrix", "result": [{"metric": {label: nm}, "values": pts} for nm in names(mode, n)]}


def alerts(mode, n):
    out = []
    for i in range(n):
        name = "Bad\udcffAlert\ud800" if mode == "badutf8" else f"Alert{i:05d}"
        out.append({"labels": {"alertname": name, "severity": "critical", "server": f"s{i}"},
                    "annotations": {"summary": "x" * 64}, "startsAt": "2026-01-01T00:00:00Z",
                    "status": {"state": "active"}})
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, code, body):
        data = json.dumps(body, ensure_ascii=True).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code == 302:
            self.send_header("Location", "/nowhere")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlparse(self.path)
        parts = u.path.strip("/").split("/")
        mode = parts[0]
        n = 2
        if mode == "many" and len(parts) > 1 and parts[1].isdigit():
            n = int(parts[1])
        q = parse_qs(u.query)
        code = {"s500": 500, "s302": 302}.get(mode, 200)
        if u.path.endswith("/api/v2/alerts"):
            return self.send_json(code, alerts(mode, n if mode == "many" else 2))
        query = q.get("query", [""])[0]
        if u.path.endswith("/api/v1/query"):
            return self.send_json(code, {"status": "success", "data": vector(mode, query, n)})
        if u.path.endswith("/api/v1/query_range"):
            start = float(q.get("start", [NOW - 86400])[0])
            end = float(q.get("end", [NOW])[0])
            step = float(q.get("step", [120])[0])
            return self.send_json(code, {"status": "success", "data": matrix(mode, query, n, start, end, step)})
        self.send_json(404, {"status": "error", "error": "not found"})


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
