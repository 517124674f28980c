#!/usr/bin/python3
"""The plan's original approach, for the benchmark only: a Python
prometheus_client exporter with psycopg2 (Debian's python3-prometheus-client
and python3-psycopg2). A background thread runs the same index-friendly
queries as queue-exporter every INTERVAL seconds on one persistent
connection; start_http_server serves the gauges from memory (the cached
path the benchmark compares).

    BENCH_DSN='host=... dbname=... user=... password=...' \
        python_exporter.py --listen 127.0.0.1:PORT [--interval 5]
"""
import argparse
import os
import sys
import threading
import time

import psycopg2
from prometheus_client import Gauge, start_http_server

QUEUES = ("pending_transcriptions", "pending_pdf_processing")
STATUSES = ("pending", "processing", "failed")
STUCK_SECONDS = 2100

DEPTH = Gauge("supabase_queue_depth", "Jobs per active status.", ["queue", "status"])
STUCK = Gauge("supabase_queue_stuck_jobs", "Processing longer than the threshold.", ["queue"])
AGE = Gauge("supabase_queue_oldest_age_seconds", "Age of the oldest job.", ["queue", "status"])
FAILED = Gauge("supabase_queue_failed_last_24h", "Failed in the last 24 h.", ["queue"])
DONE = Gauge("supabase_queue_completed_last_hour", "Completed in the last hour.", ["queue"])
UP = Gauge("queue_exporter_up", "Last collection reached the database.")
DURATION = Gauge("queue_exporter_collect_duration_seconds", "Duration of the last collection.")


def query_for(table):
    # Same shape as queue-exporter's statement: one aggregate per status value.
    return f"""
    SELECT (SELECT count(*) FROM {table} WHERE status = 'pending'),
           (SELECT count(*) FROM {table} WHERE status = 'processing'),
           (SELECT count(*) FROM {table} WHERE status = 'failed'),
           (SELECT count(*) FROM {table} WHERE status = 'processing'
                AND updated_at < now() - {STUCK_SECONDS} * interval '1 second'),
           (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) FROM {table} WHERE status = 'pending'),
           (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(updated_at)), 0) FROM {table} WHERE status = 'processing'),
           (SELECT count(*) FROM {table} WHERE status = 'failed' AND updated_at >= now() - interval '24 hours'),
           (SELECT count(*) FROM {table} WHERE status = 'completed' AND updated_at >= now() - interval '1 hour')
    """


def collect_forever(dsn, interval):
    conn = None
    while True:
        start = time.monotonic()
        try:
            if conn is None or conn.closed:
                conn = psycopg2.connect(dsn, application_name="python-exporter")
                conn.set_session(readonly=True, autocommit=False)
            with conn.cursor() as cur:
                for q in QUEUES:
                    cur.execute(query_for(q))
                    row = [float(v) for v in cur.fetchone()]
                    for i, s in enumerate(STATUSES):
                        DEPTH.labels(q, s).set(row[i])
                    STUCK.labels(q).set(row[3])
                    AGE.labels(q, "pending").set(row[4])
                    AGE.labels(q, "processing").set(row[5])
                    FAILED.labels(q).set(row[6])
                    DONE.labels(q).set(row[7])
            conn.rollback()
            UP.set(1)
        except psycopg2.Error as e:
            print(f"collection failed: {e}".strip(), file=sys.stderr, flush=True)
            UP.set(0)
            if conn is not None:
                conn.close()
            conn = None
        DURATION.set(time.monotonic() - start)
        time.sleep(interval)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True, help="ADDR:PORT")
    ap.add_argument("--interval", type=float, default=5.0)
    args = ap.parse_args()
    dsn = os.environ.get("BENCH_DSN")
    if not dsn:
        sys.exit("python_exporter.py: set BENCH_DSN")
    addr, port = args.listen.rsplit(":", 1)
    threading.Thread(target=collect_forever, args=(dsn, args.interval), daemon=True).start()
    start_http_server(int(port), addr=addr)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
