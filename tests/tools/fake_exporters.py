#!/usr/bin/env python3
"""Two fake node_exporters on loopback for the doctor's targets group
(tests/integration/test_hostile_inputs.sh, issue 14 item 11).

Usage: fake_exporters.py PORT_SMALL PORT_ENDLESS
  PORT_SMALL    /metrics: a short node_exporter-like body (the marker
                metric node_exporter_build_info and a few samples);
  PORT_ENDLESS  /metrics: the marker, then sample lines without end (a
                hostile or broken target: the doctor must keep only its cap).
Both bind 127.0.0.1 only, serve each connection in a thread, and accept a
deep listen backlog so hundreds of concurrent probes are not dropped.
Counts the most connections open at once on PORT_SMALL and prints it on
stdout on SIGTERM ("max_concurrent N")."""
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SMALL = (b"# HELP node_exporter_build_info A metric with a constant '1' value.\n"
         b"# TYPE node_exporter_build_info gauge\n"
         b'node_exporter_build_info{version="1.5.0"} 1\n'
         b"node_load1 0.5\nnode_load5 0.25\n")
lock = threading.Lock()
state = {"open": 0, "max": 0}


class Small(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def setup(self):
        with lock:
            state["open"] += 1
            state["max"] = max(state["max"], state["open"])
        super().setup()

    def finish(self):
        super().finish()
        with lock:
            state["open"] -= 1

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(SMALL)))
        self.end_headers()
        self.wfile.write(SMALL)

    def log_message(self, *args):
        pass


class Endless(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        chunk = b"".join(b"node_filler{i=\"%d\"} 1\n" % i for i in range(4096))
        try:
            self.wfile.write(SMALL)
            while True:  # ends when the client hangs up
                self.wfile.write(chunk)
        except OSError:
            pass

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 4096
    daemon_threads = True


def main():
    servers = [Server(("127.0.0.1", int(sys.argv[1])), Small),
               Server(("127.0.0.1", int(sys.argv[2])), Endless)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    print("listening", flush=True)
    done.wait()
    print("max_concurrent %d" % state["max"], flush=True)


if __name__ == "__main__":
    main()
