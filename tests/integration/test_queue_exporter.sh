#!/usr/bin/env bash
# queue-exporter (build/asan/queue-exporter, ASan+UBSan) against a real
# PostgreSQL that this script starts, owns, stops and restarts:
#   every metric equals a ground truth computed in SQL; the planner uses the
#   partial indexes (auto_explain on the exporter's own statement); 200
#   concurrent scrapes cause one collection (exporter counter and the
#   server's statement log); PostgreSQL stopped -> 200 with up 0 and no queue
#   value; restarted -> values return without restarting the exporter; a slow
#   collection is bounded by X-Prometheus-Scrape-Timeout-Seconds (SET LOCAL
#   statement_timeout); malformed requests get 4xx; slow clients cannot
#   starve a scrape; sslmode=require by default, verify-full works; IPv6 and
#   URI DSNs; hostile identifiers from a config file; invalid configuration
#   exits before listening; the password never reaches the log.
# Ports: PORT_BASE + 610..617 (the loopback stack does not use them).
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

BIN=$REPO/build/asan/queue-exporter
PGP=$((PORT_BASE + 610))
P_MAIN=$((PORT_BASE + 611))
P_SLOW=$((PORT_BASE + 612))
P_WEIRD=$((PORT_BASE + 613))
P_V6=$((PORT_BASE + 614))
P_SSL=$((PORT_BASE + 615))
P_BAD=$((PORT_BASE + 616))
P_BURST=$((PORT_BASE + 617))
T=$(mktemp -d /tmp/qe-it.XXXXXX)
chmod 755 "$T" # PostgreSQL runs as postgres and must reach its directory inside
PGDIR=$T/pg
PIDS=$T/pids
PGLOG=$PGDIR/postgres.log
# ASan: report leaks at exit, abort on the first error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE PGAPPNAME QUEUE_EXPORTER_LISTEN QUEUE_EXPORTER_CONFIG

LOCK_HOLDER='' LOCK_PID=''
cleanup() {
    local n
    [ -n "$LOCK_HOLDER" ] && kill "$LOCK_HOLDER" 2>/dev/null
    [ -n "$LOCK_PID" ] && kill "$LOCK_PID" 2>/dev/null
    for n in main burst slow weird v6 ssl; do stop_daemon "$PIDS" "qe-$n"; done
    pg_cluster_stop "$PGDIR" >/dev/null 2>&1
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

psql_su() { pg_psql "$PGDIR" "$PGP" "$@"; }
metrics() { curl -sS --max-time 15 "http://127.0.0.1:$1/metrics"; }
metric_value() { # PORT SERIES -> value (empty when absent)
    metrics "$1" | awk -v s="$2" '$1 == s { print $2 }'
}
exporter_log() { cat "$T/qe-$1.log"; }

# lock_table TABLE: a psql session this script controls takes an ACCESS
# EXCLUSIVE lock on TABLE and keeps it until unlock_table (call it directly,
# not through check: it must run in this shell; then wait for lock_granted). Tests release it when their condition holds, never after
# a fixed time.
lock_table() {
    rm -f "$T/lock.fifo"
    mkfifo "$T/lock.fifo"
    psql_su <"$T/lock.fifo" >"$T/lock.log" 2>&1 &
    LOCK_PID=$!
    # The FIFO's one long-lived writer, ended by PID in unlock_table. No
    # descriptor of it stays open in this shell, so daemons started while
    # the lock is held cannot keep psql from seeing the end of its input.
    sleep 3600 >"$T/lock.fifo" &
    LOCK_HOLDER=$!
    printf 'BEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n' "$1" >"$T/lock.fifo"
}
lock_granted() {
    [ "$(psql_su -At -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE c.relname = '$1' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]
}
unlock_table() {
    printf 'COMMIT;\n' >"$T/lock.fifo"
    kill "$LOCK_HOLDER"
    wait "$LOCK_HOLDER" 2>/dev/null
    wait "$LOCK_PID"
    LOCK_HOLDER='' LOCK_PID=''
}
# A queue-exporter statement waits for a lock.
collection_waits_on_lock() {
    [ "$(psql_su -At -c "SELECT count(*) FROM pg_stat_activity
        WHERE application_name = 'queue-exporter' AND wait_event_type = 'Lock'")" -ge 1 ]
}
# connections_at_least PORT N: N client sockets (any state, SYN-SENT too:
# the kernel's accept queue may be full) are connecting or connected to PORT.
connections_at_least() {
    [ "$(ss -Htan exclude time-wait "( dport = :$1 )" | wc -l)" -ge "$2" ]
}

# start_exporter NAME PORT DSN [args...]: start, wait until it answers.
start_exporter() {
    local name=$1 port=$2 dsn=$3
    shift 3
    QUEUE_EXPORTER_DSN=$dsn start_daemon "$PIDS" "qe-$name" "$T/qe-$name.log" \
        "$BIN" --listen "127.0.0.1:$port" "$@"
    wait_http "http://127.0.0.1:$port/healthz" 15
}

# stop_exporter NAME: SIGTERM, wait for the exit status (0 = clean, which
# under ASan also means no leak and no error).
stop_exporter() {
    local name=$1 pid rc
    pid=$(cat "$PIDS/qe-$name.pid")
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    rm -f "$PIDS/qe-$name.pid"
    return "$rc"
}

# ---------------------------------------------------------------- setup
pg_cluster_init "$PGDIR" "$PGP" || { not_ok "PostgreSQL cluster init"; finish; }
# TLS for the sslmode checks: a throwaway CA-less self-signed certificate
# for localhost / 127.0.0.1 / ::1, and a second unrelated one.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    -keyout "$PGDIR/server.key" -out "$PGDIR/server.crt" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other" \
    -keyout "$T/other.key" -out "$T/other.crt" >/dev/null 2>&1
chown postgres:postgres "$PGDIR/server.key" "$PGDIR/server.crt" 2>/dev/null
chmod 600 "$PGDIR/server.key"
cat >>"$PGDIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1,::1'
ssl = on
ssl_cert_file = '$PGDIR/server.crt'
ssl_key_file = '$PGDIR/server.key'
# The exporter's statements and their plans, to prove what it sends.
log_line_prefix = '%m [%p] app=%a '
log_statement = 'all'
session_preload_libraries = 'auto_explain'
auto_explain.log_min_duration = 0
CONF
echo "host all all ::1/128 scram-sha-256" >>"$PGDIR/data/pg_hba.conf"
pg_cluster_start "$PGDIR" || { not_ok "PostgreSQL start"; finish; }

PW=$(openssl rand -hex 16)
psql_su -f "$REPO/sql/schema.sql" >/dev/null &&
    psql_su -f "$REPO/sql/demo-data.sql" >/dev/null &&
    psql_su -v grafana_verifier="$(roles_verifier grafana_readonly "$(openssl rand -hex 16)")" -v exporter_verifier="$(roles_verifier queue_exporter "$PW")" \
        -f "$REPO/sql/roles.sql" >/dev/null &&
    psql_su -f "$REPO/sql/indexes.sql" >/dev/null
check "schema, demo data, roles and indexes load" test $? -eq 0
check "sql/indexes.sql is idempotent" psql_su -f "$REPO/sql/indexes.sql"
check "every index is valid" test "$(psql_su -Atc "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 0
psql_su -c "VACUUM ANALYZE" >/dev/null

# Ground truth, computed independently of the exporter's query: one full
# scan per table grouped by status (no index needed, no per-status filter).
psql_su >/dev/null <<'SQL'
CREATE SCHEMA qe_test;
CREATE FUNCTION qe_test.truth(label text, tbl text, scol text, ccol text, ucol text,
                              depth text[], pending text, processing text, completed text,
                              failed text, stuck_s float8)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n jsonb := '{}';
    lbl text := replace(replace(replace(label, '\', '\\'), '"', '\"'), E'\n', '\n');
    s text;
BEGIN
    FOR r IN EXECUTE format(
        'SELECT %1$I::text AS st, count(*) AS n,
                coalesce(extract(epoch FROM now() - min(%2$I)), 0) AS age_c,
                coalesce(extract(epoch FROM now() - min(%3$I)), 0) AS age_u,
                count(*) FILTER (WHERE %3$I < now() - make_interval(secs => $1)) AS older,
                count(*) FILTER (WHERE %3$I >= now() - interval ''24 hours'') AS d1,
                count(*) FILTER (WHERE %3$I >= now() - interval ''1 hour'') AS h1
         FROM %4$s GROUP BY 1', scol, ccol, ucol, tbl) USING stuck_s
    LOOP
        n := n || jsonb_build_object(r.st, to_jsonb(r));
    END LOOP;
    FOREACH s IN ARRAY depth LOOP
        RETURN NEXT format('supabase_queue_depth{queue="%s",status="%s"} %s', lbl,
                           replace(replace(s, '\', '\\'), '"', '\"'), coalesce(n->s->>'n', '0'));
    END LOOP;
    RETURN NEXT format('supabase_queue_stuck_jobs{queue="%s"} %s', lbl, coalesce(n->processing->>'older', '0'));
    RETURN NEXT format('supabase_queue_oldest_age_seconds{queue="%s",status="%s"} %s', lbl, pending, coalesce(n->pending->>'age_c', '0'));
    RETURN NEXT format('supabase_queue_oldest_age_seconds{queue="%s",status="%s"} %s', lbl, processing, coalesce(n->processing->>'age_u', '0'));
    RETURN NEXT format('supabase_queue_failed_last_24h{queue="%s"} %s', lbl, coalesce(n->failed->>'d1', '0'));
    RETURN NEXT format('supabase_queue_completed_last_hour{queue="%s"} %s', lbl, coalesce(n->completed->>'h1', '0'));
END $$;
SQL

TRUTH_DEFAULT="SELECT qe_test.truth(t, t, 'status', 'created_at', 'updated_at',
    ARRAY['pending','processing','failed'], 'pending', 'processing', 'completed', 'failed', 2100)
    FROM unnest(ARRAY['pending_transcriptions','pending_pdf_processing']) AS t"
truth() { psql_su -At -c "SELECT 'truth_time ' || extract(epoch FROM now())" -c "$1"; }

# compare_truth PORT TRUTH_SQL DESC: fresh collection bracketed by two
# ground truths; counts must equal one of them (equal unless a row crossed a
# time boundary in between), ages must lie between them.
compare_truth() {
    local port=$1 sql=$2 desc=$3 line
    sleep "${TTL_WAIT:-2.2}" # past the exporter's cache TTL: the scrape collects anew
    truth "$sql" >"$T/gt1"
    metrics "$port" >"$T/scrape"
    truth "$sql" >"$T/gt2"
    while IFS= read -r line; do
        case $line in
        PASS\|*) line=${line#PASS|}; ok "${line%%|*}" ;;
        FAIL\|*) line=${line#FAIL|}; not_ok "${line%%|*}" "${line#*|}" ;;
        esac
    done < <("$PY3" - "$T/gt1" "$T/scrape" "$T/gt2" "$desc" <<'PY'
import re, sys
def parse(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^(.*) (\S+)$', line)
        out[m.group(1)] = float(m.group(2))
    return out
gt1, got, gt2, desc = parse(sys.argv[1]), parse(sys.argv[2]), parse(sys.argv[3]), sys.argv[4]
t1, t2 = gt1.pop("truth_time"), gt2.pop("truth_time")
last = got.get("queue_exporter_last_success_timestamp_seconds", 0)
print(("PASS|" if last >= t1 else "FAIL|") + f"{desc}: the scrape carries a collection newer than the first truth|last success {last}, truth at {t1}")
labels = {re.search(r'queue="((?:[^"\\]|\\.)*)"', k).group(1) for k in gt1}
for series in sorted(gt1):
    a, b = gt1[series], gt2.get(series)
    v = got.get(series)
    if v is None:
        print(f"FAIL|{desc}: {series} present|absent from the scrape")
    elif "oldest_age" in series:
        ok = min(a, b) - 0.05 <= v <= max(a, b) + 0.05
        print(("PASS|" if ok else "FAIL|") + f"{desc}: {series} = {v:.3f} lies within the SQL truth [{a:.3f}, {b:.3f}]|")
    else:
        ok = v in (a, b)
        print(("PASS|" if ok else "FAIL|") + f"{desc}: {series} = {v:g} equals the SQL truth|truth {a:g} / {b:g}")
extra = [k for k in got if k.startswith("supabase_") and re.search(r'queue="((?:[^"\\]|\\.)*)"', k).group(1) in labels and k not in gt1]
print(("PASS|" if not extra else "FAIL|") + f"{desc}: no queue series beyond the ground truth|{extra}")
PY
    )
}

# ------------------------------------------------------ the main exporter
# No sslmode in the DSN: the default (require) must apply. High connection
# limits for the 200-scrape burst; a short TTL and backoff keep the test fast.
cat >"$T/main.ini" <<'INI'
; integration test configuration
[exporter]
cache_ttl_seconds = 2
collect_timeout_seconds = 5
reconnect_max_seconds = 1
http_max_connections = 512
http_max_connections_per_ip = 256
INI
DSN_MAIN="host=127.0.0.1 port=$PGP dbname=postgres user=queue_exporter password=$PW"
start_exporter main "$P_MAIN" "$DSN_MAIN" --config "$T/main.ini"
check "exporter answers /healthz" curl -fsS "http://127.0.0.1:$P_MAIN/healthz"
check "/readyz becomes 200 once the database answered" wait_http "http://127.0.0.1:$P_MAIN/readyz" 10
MAIN_PID=$(cat "$PIDS/qe-main.pid")

hdrs=$(curl -sS -D - -o "$T/body" "http://127.0.0.1:$P_MAIN/metrics")
assert_contains "/metrics: HTTP 200" "$hdrs" "HTTP/1.1 200"
assert_contains "/metrics: exposition content type 0.0.4" "$hdrs" "Content-Type: text/plain; version=0.0.4; charset=utf-8"
check "promtool check metrics reports nothing" bash -c "out=\$(promtool check metrics <'$T/body' 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
assert_contains "HELP states the cache TTL" "$(grep '^# HELP supabase_queue_depth' "$T/body")" "Cached for up to 2 s"
assert_contains "build info carries the version" "$(cat "$T/body")" "queue_exporter_build_info{version=\"$(cat "$REPO/VERSION")\"} 1"
check "up is 1" grep -qx 'queue_exporter_up 1' "$T/body"

compare_truth "$P_MAIN" "$TRUTH_DEFAULT" "demo data"

# Persistent connection over TLS (sslmode=require by default), named.
sleep 2.3
metrics "$P_MAIN" >/dev/null
conns=$(psql_su -At -c "SELECT count(*) || ' ' || bool_and(s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'queue-exporter'")
assert_eq "one persistent connection, application_name queue-exporter, over TLS by default" "1 true" "$conns"
assert_eq "queue_exporter_db_connects_total stays 1 across collections" "1" "$(metric_value "$P_MAIN" queue_exporter_db_connects_total)"
assert_contains "the log says the connection uses TLS" "$(exporter_log main)" "user=queue_exporter ssl=on"

# What the exporter sends: unnamed statements only (transaction poolers),
# the timeout as SET LOCAL inside a read-only transaction, never a session SET.
applog=$(grep 'app=queue-exporter ' "$PGLOG")
assert_contains "statements are unnamed (no prepared statement to leak through a pooler)" "$applog" "execute <unnamed>: /* queue-exporter collection */"
assert_not_contains "no named prepared statement" "$(grep -E 'LOG:  (execute|parse) [^<]' <<<"$applog")" "execute"
assert_contains "statement timeout set with SET LOCAL inside a read-only transaction" "$applog" "statement: BEGIN READ ONLY; SET LOCAL statement_timeout = "
assert_not_contains "no session-level SET" "$(grep -E 'statement: SET ' <<<"$applog")" "SET"

# The planner uses the partial indexes for the exporter's own statement.
plan=$(awk '/Query Text: \/\* queue-exporter collection/ { p = ""; f = 1 }
            f && /^[0-9]{4}-[0-9]{2}-/ && !/Query Text/ { f = 0; last = p }
            f { p = p $0 "\n" }
            END { print (f ? p : last) }' "$PGLOG")
for idx in pending_transcriptions_queue_active_idx pending_transcriptions_queue_pending_idx \
    pending_transcriptions_queue_completed_idx pending_pdf_processing_queue_active_idx \
    pending_pdf_processing_queue_pending_idx pending_pdf_processing_queue_completed_idx; do
    assert_contains "auto_explain: the collection uses $idx" "$plan" "using $idx"
done
assert_not_contains "auto_explain: no sequential scan of a queue table" "$plan" "Seq Scan on pending_"

# ------------------------------------------- 200 concurrent scrapes, 1 collection
# A second exporter, whose first collection waits on a table lock that this
# script holds and releases itself: the 200 scrapes are all in flight while
# that collection waits, and they must share it. Its cache TTL (10 min) is
# far longer than the burst can take, so scrapes that reach a worker thread
# only after the collection ended are answered from its result: how fast the
# machine spawns 200 curl processes or drains them changes nothing.
cat >"$T/burst.ini" <<'INI'
[exporter]
cache_ttl_seconds = 600
collect_timeout_seconds = 300
http_max_connections = 512
http_max_connections_per_ip = 256
INI
n0=$(grep -c 'app=queue-exporter .*execute <unnamed>: /\* queue-exporter collection' "$PGLOG")
lock_table pending_transcriptions
check "a test session holds an exclusive lock on pending_transcriptions" eventually 30 lock_granted pending_transcriptions
start_exporter burst "$P_BURST" "$DSN_MAIN" --config "$T/burst.ini"
check "the burst exporter's first collection waits on the lock" eventually 60 collection_waits_on_lock
mkdir -p "$T/burst"
seq 1 200 | xargs -P 200 -I{} curl -sS -o "$T/burst/{}" -w '%{http_code}\n' --max-time 600 \
    "http://127.0.0.1:$P_BURST/metrics" >"$T/burst-codes" 2>&1 &
burstpid=$!
check "200 concurrent scrapes: all 200 in flight at once while the collection waits" \
    eventually 120 connections_at_least "$P_BURST" 200
assert_eq "200 concurrent scrapes: none answered while the collection waits" 0 "$(find "$T/burst" -type f -size +0 | wc -l)"
unlock_table
wait "$burstpid"
assert_eq "200 concurrent scrapes: all answered 200" "200" "$(grep -c '^200$' "$T/burst-codes")"
assert_eq "200 concurrent scrapes: all carry fresh queue values (waited, not timed out)" "200" \
    "$(grep -l '^supabase_queue_depth{queue="pending_transcriptions",status="pending"} 42$' "$T"/burst/* | wc -l)"
# The counter as the 200 answers carried it (no further scrape needed).
c1=$(awk '$1 == "queue_exporter_collections_total" { print $2 }' "$T"/burst/* | sort -u)
assert_eq "200 concurrent scrapes: every answer reports the one collection (queue_exporter_collections_total 1)" "1" "$c1"
n1=$(grep -c 'app=queue-exporter .*execute <unnamed>: /\* queue-exporter collection' "$PGLOG")
assert_eq "200 concurrent scrapes: PostgreSQL executed the collection query exactly once" "1" "$((n1 - n0))"
stop_exporter burst
assert_eq "burst exporter: clean SIGTERM exit (ASan: no leak, no error)" 0 $?

# ------------------------------------------ bounded by the scrape timeout
# The lock is held until the scrape has been answered, so only the scrape
# timeout can have ended the wait. Its effect is read from the server's log
# (the SET LOCAL statement_timeout derived from the header), not from a clock.
sleep 2.3
e0=$(metric_value "$P_MAIN" queue_exporter_collect_errors_total)
sleep 2.3
lock_table pending_pdf_processing
check "a test session holds an exclusive lock on pending_pdf_processing" eventually 30 lock_granted pending_pdf_processing
curl -sS --max-time 300 -H 'X-Prometheus-Scrape-Timeout-Seconds: 2' -o "$T/slow" -w '%{http_code}' \
    "http://127.0.0.1:$P_MAIN/metrics" >"$T/slow-code"
check "blocked database: answered while the lock is still held" lock_granted pending_pdf_processing
unlock_table
assert_eq "blocked database: the scrape still answers 200" "200" "$(cat "$T/slow-code")"
check "blocked database: up 0" grep -qx 'queue_exporter_up 0' "$T/slow"
assert_eq "blocked database: no queue value" 0 "$(grep -c '^supabase_' "$T/slow")"
assert_eq "blocked database: the failed collection is counted" "$((e0 + 1))" "$(awk '$1 == "queue_exporter_collect_errors_total" { print $2 }' "$T/slow")"
check "the server cancelled the collection by its SET LOCAL statement_timeout" \
    grep -q 'app=queue-exporter ERROR:  canceling statement due to statement timeout' "$PGLOG"
st=$(grep -o 'app=queue-exporter .*SET LOCAL statement_timeout = [0-9]*' "$PGLOG" | tail -1 | grep -o '[0-9]*$')
check "the collection's statement_timeout (${st:-none} ms) ends it inside the 2 s scrape timeout" \
    test "${st:-99999}" -lt 2000
check "values return after the lock" eventually 10 bash -c "curl -s http://127.0.0.1:$P_MAIN/metrics | grep -q '^queue_exporter_up 1$'"

# --------------------------------------------------- malformed requests
"$PY3" - "$P_MAIN" >"$T/raw" <<'PY'
import socket, sys
port = int(sys.argv[1])
def ask(name, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    buf = b""
    try:
        s.sendall(data)  # the server may answer and close before reading it all
    except OSError:
        pass
    try:
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except OSError:
        pass
    s.close()
    head = buf.split(b"\r\n\r\n")[0].decode("latin-1")
    status = head.split("\r\n")[0] if head else "(closed)"
    allow = [h for h in head.split("\r\n") if h.lower().startswith("allow:")]
    print(f"{name}|{status}|{allow[0] if allow else ''}")
ask("post", b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
ask("unknown-method", b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
ask("not-found", b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
ask("root", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
ask("bad-header-line", b"GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
ask("huge-header", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
ask("huge-uri", b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
ask("bad-timeout", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: soon\r\n\r\n")
ask("negative-timeout", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: -5\r\n\r\n")
ask("get-with-body", b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
ask("bad-chunked", b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
ask("no-uri", b"GARBAGE\r\n\r\n")
PY
raw() { awk -F'|' -v n="$1" '$1 == n { print $2 }' "$T/raw"; }
assert_contains "POST /metrics -> 405" "$(raw post)" " 405 "
assert_contains "405 names the allowed methods" "$(grep '^post|' "$T/raw")" "Allow: GET, HEAD"
assert_contains "unknown method -> 405" "$(raw unknown-method)" " 405 "
assert_contains "unknown path -> 404" "$(raw not-found)" " 404 "
assert_contains "/ -> 404" "$(raw root)" " 404 "
assert_contains "malformed header line -> 400" "$(raw bad-header-line)" " 400 "
assert_contains "40 kB header -> 431" "$(raw huge-header)" " 431 "
assert_contains "40 kB URI -> 414" "$(raw huge-uri)" " 414 "
assert_contains "non-numeric X-Prometheus-Scrape-Timeout-Seconds -> 400" "$(raw bad-timeout)" " 400 "
assert_contains "negative X-Prometheus-Scrape-Timeout-Seconds -> 400" "$(raw negative-timeout)" " 400 "
assert_contains "GET with a body -> 400" "$(raw get-with-body)" " 400 "
assert_contains "broken chunked encoding -> 400" "$(raw bad-chunked)" " 400 "
# libmicrohttpd 0.9.75 drops a request line without a URI without answering.
assert_not_contains "request line without a URI gets no 2xx" "$(raw no-uri)" " 200 "
check "the exporter survived all of them" curl -fsS "http://127.0.0.1:$P_MAIN/healthz"
check "HEAD /metrics answers 200" curl -fsS -I "http://127.0.0.1:$P_MAIN/metrics"

# ------------------------------------------- PostgreSQL stopped, restarted
last_ok=$(metric_value "$P_MAIN" queue_exporter_last_success_timestamp_seconds)
pg_cluster_stop "$PGDIR"
sleep 2.3
code=$(curl -sS -o "$T/down" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$P_MAIN/metrics")
assert_eq "PostgreSQL stopped: /metrics answers 200" "200" "$code"
check "PostgreSQL stopped: queue_exporter_up 0" grep -qx 'queue_exporter_up 0' "$T/down"
assert_eq "PostgreSQL stopped: no stale queue value is served (no supabase_ sample)" 0 "$(grep -c '^supabase_' "$T/down")"
assert_eq "PostgreSQL stopped: no supabase_ family either" 0 "$(grep -c '^# TYPE supabase_' "$T/down")"
assert_eq "PostgreSQL stopped: last success timestamp keeps the last real success" "$last_ok" \
    "$(awk '$1 == "queue_exporter_last_success_timestamp_seconds" { print $2 }' "$T/down")"
check "PostgreSQL stopped: promtool still clean" bash -c "out=\$(promtool check metrics <'$T/down' 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
assert_eq "PostgreSQL stopped: /readyz 503" "503" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_MAIN/readyz")"
assert_eq "PostgreSQL stopped: /healthz 200" "200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_MAIN/healthz")"
errs=$(awk '$1 == "queue_exporter_collect_errors_total" { print $2 }' "$T/down")
check "PostgreSQL stopped: collect errors counted" test "${errs:-0}" -ge 1
pg_cluster_start "$PGDIR"
check "PostgreSQL restarted: up returns to 1 without restarting the exporter" \
    eventually 15 bash -c "curl -s http://127.0.0.1:$P_MAIN/metrics | grep -q '^queue_exporter_up 1$'"
assert_eq "PostgreSQL restarted: same exporter process" "$MAIN_PID" "$(cat "$PIDS/qe-main.pid")"
check "PostgreSQL restarted: exporter process alive" kill -0 "$MAIN_PID"
check "PostgreSQL restarted: a new connection was opened" test "$(metric_value "$P_MAIN" queue_exporter_db_connects_total)" -ge 2
compare_truth "$P_MAIN" "$TRUTH_DEFAULT" "after restart"

# -------------------------------------------- slow clients cannot starve
# Limits: 8 connections per IP. 30 slow clients from 127.0.0.2 trickle
# header bytes; scrapes from 127.0.0.1 must still be answered at once.
cat >"$T/slow.ini" <<'INI'
[exporter]
cache_ttl_seconds = 2
http_max_connections = 64
http_max_connections_per_ip = 8
http_idle_timeout_seconds = 3
http_threads = 2
INI
start_exporter slow "$P_SLOW" "$DSN_MAIN application_name=qe-slow" --config "$T/slow.ini"
"$PY3" - "$P_SLOW" >"$T/slowloris" <<'PY'
import socket, sys, threading, time, urllib.request
port = int(sys.argv[1])
held, refused = [], 0
for i in range(30):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(0.3)
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never finished
        refused += s.recv(1) == b""  # closed at once: over the per-IP limit
    except socket.timeout:
        held.append(s)
    except OSError:
        refused += 1
print(f"held {len(held)}")
print(f"refused {refused}")
stop = False
def trickle():
    while not stop:
        for s in held:
            try:
                s.sendall(b"X")
            except OSError:
                pass
        time.sleep(0.5)
t = threading.Thread(target=trickle)
t.start()
worst = 0
for i in range(10):
    t0 = time.monotonic()
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60).read()
    worst = max(worst, time.monotonic() - t0)
    assert b"queue_exporter_up 1" in body
    time.sleep(0.2)
print(f"worst {worst:.3f}")
stop = True
t.join()
# An idle connection is closed by the server after its idle timeout (3 s).
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(60)
t0 = time.monotonic()
closed = s.recv(1) == b""
print(f"idle_closed {int(closed)} {time.monotonic() - t0:.1f}")
PY
assert_eq "slow clients: 8 held (the per-IP limit)" "held 8" "$(grep '^held' "$T/slowloris")"
assert_eq "slow clients: the other 22 refused at once" "refused 22" "$(grep '^refused' "$T/slowloris")"
worst=$(awk '/^worst/ { print $2 }' "$T/slowloris")
# Starved scrapes would hang for as long as the slow clients trickle; the
# figure is printed, the assertion is that every scrape was answered.
check "slow clients: 10 scrapes from another address all answered while they trickle (worst ${worst:-none} s)" \
    test -n "$worst"
read -r _ closed after < <(grep '^idle_closed' "$T/slowloris")
check "an idle connection is closed by the 3 s idle timeout, not before (after ${after:-?} s)" \
    awk -v c="${closed:-0}" -v t="${after:-0}" 'BEGIN { exit !(c == 1 && t >= 2.5) }'
stop_exporter slow
assert_eq "slow exporter: clean SIGTERM exit (ASan: no leak, no error)" 0 $?

# ------------------------------ hostile identifiers, renamed columns/statuses
psql_su >/dev/null <<SQL
CREATE SCHEMA "Queue Schema";
CREATE TABLE "Queue Schema"."we""ird; table" ("State" text, "made at" timestamptz, touched timestamptz);
INSERT INTO "Queue Schema"."we""ird; table" VALUES
  ('queued', now() - interval '10 minutes', now()), ('queued', now() - interval '3 minutes', now()),
  ('queued', now() - interval '1 minute', now()),
  ('running', now() - interval '30 minutes', now() - interval '20 minutes'),
  ('running', now() - interval '5 minutes', now() - interval '2 minutes'),
  ('retrying', now(), now()),
  ('broken', now() - interval '2 days', now() - interval '47 hours'),
  ('broken', now() - interval '2 days', now() - interval '30 hours'),
  ('broken', now() - interval '5 hours', now() - interval '4 hours'),
  ('broken', now() - interval '1 hour', now() - interval '50 minutes'),
  ('done', now() - interval '3 hours', now() - interval '2 hours'),
  ('done', now() - interval '2 hours', now() - interval '90 minutes'),
  ('done', now() - interval '40 minutes', now() - interval '30 minutes'),
  ('done', now() - interval '20 minutes', now() - interval '10 minutes'),
  ('done', now() - interval '5 minutes', now() - interval '1 minute');
GRANT USAGE ON SCHEMA "Queue Schema" TO queue_exporter;
GRANT SELECT ON "Queue Schema"."we""ird; table" TO queue_exporter;
SQL
cat >"$T/weird.ini" <<'INI'
[exporter]
cache_ttl_seconds = 2

[queue pending_pdf_processing]
enabled = false

[queue ops "mail" \ queue]
schema = Queue Schema
table = we"ird; table
status_column = State
created_column = made at
updated_column = touched
pending_status = queued
processing_status = running
completed_status = done
failed_status = broken
extra_statuses = retrying, paused
stuck_after_seconds = 600
INI
start_exporter weird "$P_WEIRD" "$DSN_MAIN application_name=qe-weird" --config "$T/weird.ini"
check "weird config: the database answers" eventually 10 bash -c "curl -s http://127.0.0.1:$P_WEIRD/metrics | grep -q '^queue_exporter_up 1$'"
compare_truth "$P_WEIRD" "SELECT qe_test.truth('ops \"mail\" \\ queue', '\"Queue Schema\".\"we\"\"ird; table\"', 'State',
    'made at', 'touched', ARRAY['queued','running','broken','retrying','paused'], 'queued',
    'running', 'done', 'broken', 600)" "renamed queue"
metrics "$P_WEIRD" >"$T/weird.prom"
assert_contains "renamed queue: label value escaped (quote, backslash)" "$(cat "$T/weird.prom")" \
    'supabase_queue_depth{queue="ops \"mail\" \\ queue",status="paused"} 0'
assert_not_contains "disabled built-in queue is absent" "$(cat "$T/weird.prom")" "pending_pdf_processing"
assert_contains "built-in queue kept" "$(cat "$T/weird.prom")" 'supabase_queue_depth{queue="pending_transcriptions",status="pending"} 42'
check "renamed queue: promtool clean" bash -c "out=\$(promtool check metrics <'$T/weird.prom' 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
stop_exporter weird
assert_eq "weird exporter: clean SIGTERM exit" 0 $?

# --------------------------------------------------- IPv6, URI DSN
URI="postgresql://queue_exporter:$PW@[::1]:$PGP/postgres?application_name=qe-v6&sslmode=disable"
QUEUE_EXPORTER_DSN=$URI start_daemon "$PIDS" qe-v6 "$T/qe-v6.log" "$BIN" --listen "[::1]:$P_V6"
check "IPv6 listener answers" wait_http "http://[::1]:$P_V6/healthz" 15
check "IPv6 database via a URI DSN: up 1" eventually 10 bash -c "curl -s 'http://[::1]:$P_V6/metrics' | grep -q '^queue_exporter_up 1$'"
assert_eq "URI DSN: sslmode=disable honoured (no TLS)" "f" \
    "$(psql_su -At -c "SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'qe-v6'")"
assert_eq "IPv6 database: the connection comes from ::1" "::1" \
    "$(psql_su -At -c "SELECT client_addr FROM pg_stat_activity WHERE application_name = 'qe-v6'")"
check "--probe reaches an IPv6 listener" "$BIN" --probe --listen "[::1]:$P_V6"
stop_exporter v6
assert_eq "IPv6 exporter: clean SIGTERM exit" 0 $?

# --------------------------------------------------- sslmode verify-full
start_exporter ssl "$P_SSL" "host=localhost port=$PGP dbname=postgres user=queue_exporter password=$PW sslmode=verify-full sslrootcert=$PGDIR/server.crt application_name=qe-ssl"
check "verify-full with the right CA: up 1" eventually 10 bash -c "curl -s http://127.0.0.1:$P_SSL/metrics | grep -q '^queue_exporter_up 1$'"
stop_exporter ssl
assert_eq "verify-full exporter: clean SIGTERM exit" 0 $?
: >"$T/qe-ssl.log"
start_exporter ssl "$P_SSL" "host=localhost port=$PGP dbname=postgres user=queue_exporter password=$PW sslmode=verify-full sslrootcert=$T/other.crt application_name=qe-ssl"
check "verify-full with a wrong CA: up 0" eventually 10 bash -c "curl -s http://127.0.0.1:$P_SSL/metrics | grep -q '^queue_exporter_up 0$'"
assert_contains "verify-full with a wrong CA: the log says why" "$(exporter_log ssl)" "certificate verify failed"
stop_exporter ssl
assert_eq "wrong-CA exporter: clean SIGTERM exit" 0 $?

# ------------------------------------------- startup errors, before listening
printf '[exporter]\ncache_ttl_seconds = 5\nbogus = 1\n' >"$T/bad.ini"
out=$(QUEUE_EXPORTER_DSN=$DSN_MAIN timeout 10 "$BIN" --listen "127.0.0.1:$P_BAD" --config "$T/bad.ini" 2>&1)
rc=$?
assert_eq "invalid config: exit status 1" "1" "$rc"
assert_contains "invalid config: file, line and reason" "$out" "$T/bad.ini:3: unknown key 'bogus' in [exporter]"
check_fails "invalid config: never listened" wait_port "$P_BAD" 1
out=$(QUEUE_EXPORTER_DSN="host=x password $PW" timeout 10 "$BIN" --listen "127.0.0.1:$P_BAD" 2>&1)
rc=$?
assert_eq "invalid DSN: exit status 1" "1" "$rc"
assert_contains "invalid DSN: names QUEUE_EXPORTER_DSN" "$out" "QUEUE_EXPORTER_DSN is not a valid libpq connection string"
assert_not_contains "invalid DSN: the password is not echoed" "$out" "$PW"
out=$(timeout 10 "$BIN" --dsn "$DSN_MAIN" 2>&1)
assert_eq "--dsn on the command line is refused (usage error 2)" "2" "$?"
assert_not_contains "--dsn refusal does not echo the password" "$out" "$PW"
out=$(QUEUE_EXPORTER_DSN=$DSN_MAIN timeout 10 "$BIN" --listen "127.0.0.1:$P_MAIN" 2>&1)
assert_eq "port already in use: exit status 1" "1" "$?"
assert_contains "port already in use: the reason" "$out" "cannot listen on 127.0.0.1:$P_MAIN: bind: Address already in use"
check "--check-config accepts the test configuration" env QUEUE_EXPORTER_DSN="$DSN_MAIN" "$BIN" --check-config --config "$T/weird.ini"
check "--check-config accepts sql/queue-exporter.example.ini" "$BIN" --check-config --config "$REPO/sql/queue-exporter.example.ini"
# The example with its commented-out queue switched on.
sed -e 's/^;\[queue invoices\]/[queue invoices]/' -e '/^;[a-z_]* = /s/^;//' \
    "$REPO/sql/queue-exporter.example.ini" >"$T/example-all.ini"
out=$("$BIN" --check-config --config "$T/example-all.ini" 2>&1)
assert_contains "the example's invoices queue parses" "$out" "queue invoices: table billing.invoice_jobs, status column state, statuses queued/running/done/error (+2 extra), stuck after 600 s"
check "--help exits 0" "$BIN" --help
assert_eq "--version prints the version" "queue-exporter $(cat "$REPO/VERSION")" "$("$BIN" --version)"
check "--probe succeeds against a live exporter" "$BIN" --probe --listen "127.0.0.1:$P_MAIN"
check "--probe=/readyz succeeds when the database answers" "$BIN" --probe=/readyz --listen "127.0.0.1:$P_MAIN"
check_fails "--probe fails when nothing listens" "$BIN" --probe --listen "127.0.0.1:$P_BAD"
check_fails "--probe fails on a 404" "$BIN" --probe=/nope --listen "127.0.0.1:$P_MAIN"

# ------------------------------------------------------ logs, shutdown
stop_exporter main
assert_eq "main exporter: clean SIGTERM exit (ASan: no leak, no error)" 0 $?
logs=$(cat "$T"/qe-*.log)
assert_not_contains "no log line contains the password" "$logs" "$PW"
assert_not_contains "no sanitizer report" "$logs" "Sanitizer"
assert_not_contains "no UBSan runtime error" "$logs" "runtime error:"
assert_contains "the shutdown is logged" "$(exporter_log main)" "received SIGTERM, shutting down"
assert_contains "recovery logged as an event" "$(exporter_log main)" "database connection lost"
bad_lines=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z queue-exporter (debug|info|warn|error): ' "$T/qe-main.log")
assert_eq "every log line is one timestamped event" "0" "$bad_lines"
finish
