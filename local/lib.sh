#!/usr/bin/env bash
# Shared helpers for the native loopback stack and the tests that use it.
# Sourced, never executed. Everything here binds 127.0.0.1 only and ends
# only processes whose PIDs it recorded itself.

# Port layout: every service sits at PORT_BASE + a fixed offset, so a demo
# (PORT_BASE=19000) and a test run (PORT_BASE=29000) can coexist with each
# other and with a developer's own Prometheus on 9090.
: "${PORT_BASE:=19000}"
port_of() {
    local off
    case "$1" in
    prometheus) off=90 ;;
    alertmanager) off=93 ;;
    node-f) off=100 ;;
    node-b) off=101 ;;
    cadvisor-fixture) off=180 ;;
    queue-exporter) off=200 ;;
    daily-report) off=201 ;;
    watcher) off=202 ;;
    smtp) off=25 ;;
    postgres) off=432 ;;
    caddy-https) off=443 ;;
    caddy-http) off=80 ;;
    caddy-metrics) off=181 ;;
    caddy-admin) off=19 ;;
    grafana) off=300 ;;
    blackbox) off=115 ;;
    *) echo "port_of: unknown service '$1'" >&2; return 1 ;;
    esac
    echo $((PORT_BASE + off))
}

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian's Python modules (aiosmtpd) live under /usr/bin/python3; the
# python3 first on PATH may be a pyenv one without them.
export PY3=/usr/bin/python3

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    return 1
}

# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        # From / : the postgres user may not be allowed into the caller's cwd.
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# pg_dir_for WANTED: where a cluster meant for WANTED can live. As root the
# server runs as the postgres user, which may not be able to traverse the
# checkout (a clone under /root, mode 700); then the cluster goes to a
# directory under /tmp derived from WANTED, so stop finds it again.
pg_dir_for() {
    local want=$1 parent
    parent=$(dirname "$want")
    mkdir -p "$parent"
    if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$parent" 2>/dev/null; then
        echo "$want"
    else
        echo "/tmp/pg-$(printf '%s' "$want" | md5sum | cut -c1-12)"
    fi
}

# pg_cluster_init DIR PORT: a fresh cluster listening on 127.0.0.1:PORT only,
# with its socket inside DIR. Trust auth for the local superuser; password
# (scram) auth for every other role over TCP so role passwords are exercised.
pg_cluster_init() {
    local dir=$1 port=$2 bin
    bin=$(pg_bindir) || return 1
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    # The superuser may connect over TCP without password only from loopback
    # (test fixtures load data that way); everyone else needs a password.
    cat >"$dir/data/pg_hba.conf" <<HBA
local all postgres trust
host  all postgres 127.0.0.1/32 trust
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
HBA
}

pg_cluster_start() {
    local dir=$1 bin
    bin=$(pg_bindir) || return 1
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 start >/dev/null ||
        { tail -20 "$dir/postgres.log" >&2; return 1; }
}

pg_cluster_stop() {
    local dir=$1 bin
    bin=$(pg_bindir) || return 1
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
}

# psql as the superuser over the cluster's socket: pg_psql DIR PORT [args]
# Runs as the caller (trust auth for user postgres on the socket), so -f can
# read files the postgres OS user could not.
pg_psql() {
    local dir=$1 port=$2
    shift 2
    psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres "$@"
}

# roles_verifier ROLE PASSWORD: the SCRAM-SHA-256 verifier sql/roles.sql
# takes (build/doctor --scram-verifier; the password goes on its stdin).
roles_verifier() {
    printf '%s\n' "$2" | "${DOCTOR:-$REPO/build/doctor}" --scram-verifier "$1"
}

# start_daemon PIDDIR NAME LOG cmd... : start cmd in the background, record its PID.
start_daemon() {
    local piddir=$1 name=$2 logf=$3
    shift 3
    mkdir -p "$piddir"
    "$@" >>"$logf" 2>&1 </dev/null &
    echo $! >"$piddir/$name.pid"
}

# A zombie (exited, not yet reaped by its parent) counts as ended.
pid_alive() {
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
    [ "$state" != Z ]
}

# stop_daemon PIDDIR NAME: TERM the recorded PID, wait up to 10 s, then KILL.
stop_daemon() {
    local piddir=$1 name=$2 pid
    [ -f "$piddir/$name.pid" ] || return 0
    pid=$(cat "$piddir/$name.pid")
    if pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 100); do
            pid_alive "$pid" || break
            sleep 0.1
        done
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$piddir/$name.pid"
}

# wait_http URL SECONDS [curl args]: poll until the URL answers 2xx.
wait_http() {
    local url=$1 secs=$2
    shift 2
    for _ in $(seq 1 $((secs * 5))); do
        curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

# wait_port PORT SECONDS: poll until something listens on 127.0.0.1:PORT.
wait_port() {
    local port=$1 secs=$2
    for _ in $(seq 1 $((secs * 5))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}
