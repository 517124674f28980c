#!/usr/bin/python3
"""Stand-in for cAdvisor on the loopback stack.

THIS IS NOT cAdvisor. cAdvisor is not in Debian's archive and needs a Docker
engine, neither of which the test machine has. This small server replays a
cAdvisor exposition fixture (local/fixtures/cadvisor-metrics.txt: cAdvisor's
metric names, labels and cgroup ids, constructed for Server B's containers
n8n, flask-pdf, faster-whisper, postgres, caddy and cadvisor) so that
Prometheus scrapes the same series it would scrape from a real cAdvisor and
every container-dashboard query can be proven against real PromQL.

What it does to the snapshot on every GET /metrics:
  * container_start_time_seconds is rebased so each container appears to
    have been up, when this server started, as long as it was at capture time;
  * every counter of a container (an `id` label with a start time) grows at
    its average rate since that start: value(now) = snapshot * uptime(now) /
    uptime(capture), so rate() is non-zero and plausible;
  * container_last_seen is "now", and samples that carried a timestamp carry
    the current time in milliseconds (cAdvisor timestamps its usage samples);
  * gauges (memory, limits, ...) are served as captured.

POST /fixture/restart?name=NAME simulates Docker restarting that container
(NAME: its container name or its compose service)
(restart policy): its start time becomes now and its counters restart from
zero, as cAdvisor reports for the new cgroup. Used by the dashboard tests to
exercise the restart panels; answers 404 for an unknown name.

Usage: cadvisor-fixture.py --listen 127.0.0.1:PORT --fixture FILE
Binds the given address only (use 127.0.0.1). Logs one line per event to
stderr; stops cleanly on SIGTERM/SIGINT.
"""

import argparse
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
VERSION = "1.0.0"

# name{labels} value [timestamp]; label values may contain escaped quotes.
SAMPLE_RE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
    r'(?:\{(?P<labels>(?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?'
    r'\s+(?P<value>\S+)(?:\s+(?P<ts>-?\d+))?\s*$')
LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def log(msg):
    print("%s cadvisor-fixture: %s" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), msg),
          file=sys.stderr, flush=True)


def unescape(v):
    return v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def parse_labels(text, where):
    labels = {}
    pos = 0
    while pos < len(text):
        m = LABEL_RE.match(text, pos)
        if not m:
            raise ValueError("%s: malformed label set near %r" % (where, text[pos:pos + 40]))
        labels[m.group(1)] = unescape(m.group(2))
        pos = m.end()
    return labels


class Fixture:
    """The parsed snapshot plus the state that makes it advance in time."""

    def __init__(self, path, now):
        self.lines = []  # ("raw", text) or ("sample", dict)
        types = {}
        starts = {}  # id -> start time at capture
        names = {}  # id -> {container name, compose service}
        capture = None
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise ValueError("%s: cannot read the fixture: %s" % (path, e.strerror))
        for n, line in enumerate(text.splitlines(), 1):
            where = "%s:%d" % (path, n)
            if not line.strip() or line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 4 and parts[1] == "TYPE":
                    types[parts[2]] = parts[3].strip()
                self.lines.append(("raw", line))
                continue
            m = SAMPLE_RE.match(line)
            if not m:
                raise ValueError("%s: not a sample line: %r" % (where, line[:80]))
            try:
                value = float(m.group("value"))
            except ValueError:
                raise ValueError("%s: value %r is not a number" % (where, m.group("value")))
            labels = parse_labels(m.group("labels") or "", where)
            name = m.group("name")
            ts = int(m.group("ts")) if m.group("ts") else None
            if ts is not None:
                capture = max(capture or 0, ts / 1000.0)
            if name == "container_last_seen":
                capture = max(capture or 0, value)
            if name == "container_start_time_seconds" and "id" in labels:
                starts[labels["id"]] = value
                if labels.get("name"):
                    names[labels["id"]] = {labels["name"],
                                           labels.get("container_label_com_docker_compose_service") or labels["name"]}
            self.lines.append(("sample", {
                "name": name, "labels_text": "{%s}" % m.group("labels") if m.group("labels") is not None else "",
                "labels": labels, "value": value, "has_ts": ts is not None,
                "counter": types.get(name) == "counter"}))
        if capture is None:
            raise ValueError("%s: no sample timestamps and no container_last_seen: cannot tell when "
                             "the snapshot was taken" % path)
        if not starts:
            raise ValueError("%s: no container_start_time_seconds{id=...} samples" % path)
        self.capture_age = {}  # id -> uptime at capture (seconds)
        for cid, start in starts.items():
            age = capture - start
            if age <= 0:
                raise ValueError("%s: container %s started after the snapshot was taken" % (path, cid))
            self.capture_age[cid] = age
        self.names = names
        self.lock = threading.Lock()
        # Rebased start times: each container has been up, at server start, as
        # long as it had been up at capture time.
        self.start = {cid: now - age for cid, age in self.capture_age.items()}
        self.n_samples = sum(1 for kind, _ in self.lines if kind == "sample")

    def restart(self, name, now):
        ids = [cid for cid, n in self.names.items() if name in n]
        with self.lock:
            for cid in ids:
                self.start[cid] = now
        return ids

    def render(self, now):
        with self.lock:
            start = dict(self.start)
        ts_ms = " %d" % int(now * 1000)
        out = []
        for kind, item in self.lines:
            if kind == "raw":
                out.append(item)
                continue
            s = item
            value = s["value"]
            cid = s["labels"].get("id")
            if s["name"] == "container_last_seen":
                value = float(int(now))
            elif s["name"] == "container_start_time_seconds" and cid in start:
                value = float(int(start[cid]))
            elif s["counter"] and cid in start:
                uptime = max(0.0, now - start[cid])
                value = s["value"] * uptime / self.capture_age[cid]
            out.append("%s%s %s%s" % (s["name"], s["labels_text"], format_value(value),
                                      ts_ms if s["has_ts"] else ""))
        return ("\n".join(out) + "\n").encode("utf-8")


def format_value(v):
    if v == int(v) and abs(v) < 1e15:
        return "%d" % v
    return repr(v)


def make_handler(fixture):
    class Handler(BaseHTTPRequestHandler):
        server_version = "cadvisor-fixture/" + VERSION

        def log_message(self, fmt, *args):  # one line per event, not per scrape
            pass

        def send(self, code, body, ctype="text/plain; charset=utf-8"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            path = urlsplit(self.path).path
            if path == "/metrics":
                self.send(200, fixture.render(time.time()), CONTENT_TYPE)
            elif path in ("/", "/healthz"):
                self.send(200, b"cadvisor-fixture: stand-in for cAdvisor, metrics on /metrics\n")
            else:
                self.send(404, b"not found\n")

        do_HEAD = do_GET

        def do_POST(self):
            url = urlsplit(self.path)
            if url.path != "/fixture/restart":
                self.send(404, b"not found\n")
                return
            name = (parse_qs(url.query).get("name") or [""])[0]
            ids = fixture.restart(name, time.time()) if name else []
            if not ids:
                self.send(404, ("no container named %r in the fixture\n" % name).encode())
                return
            log("simulated restart of container %s (%d cgroup)" % (name, len(ids)))
            self.send(200, ("restarted %s\n" % name).encode())

    return Handler


def parse_listen(value):
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError("--listen wants HOST:PORT or [IPV6]:PORT, e.g. 127.0.0.1:19180 (got %r)" % value)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


class Server6(ThreadingHTTPServer):
    """[::]:PORT also accepts IPv4 (dual stack), as cAdvisor's own listener does."""
    address_family = socket.AF_INET6


def main():
    ap = argparse.ArgumentParser(
        description="Stand-in for cAdvisor: replays a cAdvisor /metrics fixture with advancing "
                    "counters (the real cAdvisor cannot run on the test machine).")
    ap.add_argument("--listen", required=True, type=parse_listen, metavar="HOST:PORT")
    ap.add_argument("--fixture", required=True, metavar="FILE", help="cAdvisor exposition snapshot")
    ap.add_argument("--version", action="version", version="cadvisor-fixture " + VERSION)
    args = ap.parse_args()

    try:
        fixture = Fixture(args.fixture, time.time())
    except ValueError as e:
        print("cadvisor-fixture: error: %s" % e, file=sys.stderr)
        return 1
    try:
        cls = Server6 if ":" in args.listen[0] else ThreadingHTTPServer
        server = cls(args.listen, make_handler(fixture))
    except OSError as e:
        print("cadvisor-fixture: error: cannot listen on %s:%d: %s" % (args.listen[0], args.listen[1], e.strerror),
              file=sys.stderr)
        return 1
    server.daemon_threads = True

    def stop(signum, _frame):
        log("received %s, stopping" % signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("serving %d samples from %s (%d containers) on http://%s:%d/metrics - a stand-in for cAdvisor"
        % (fixture.n_samples, args.fixture, len(fixture.names), args.listen[0], args.listen[1]))
    server.serve_forever()
    server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
