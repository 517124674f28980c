#!/bin/sh
# initdb on first start (password from POSTGRES_PASSWORD_FILE, never from
# the environment; TLS on with a self-signed certificate), the init scripts
# once, then postgres in the foreground.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    [ -r "${POSTGRES_PASSWORD_FILE:-}" ] || { echo "postgres stand-in: POSTGRES_PASSWORD_FILE is not readable" >&2; exit 1; }
    initdb -D "$PGDATA" -U postgres --pwfile="$POSTGRES_PASSWORD_FILE" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    # TLS as Supabase has it (clients use sslmode=require): a self-signed
    # certificate made here, private to this data directory.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=supabase-db" \
        -keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
    chmod 600 "$PGDATA/server.key"
    printf "listen_addresses = '*'\nssl = on\n" >>"$PGDATA/postgresql.conf"
    printf 'hostssl all all 0.0.0.0/0 scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    for f in /docker-entrypoint-initdb.d/*.sql; do
        [ -f "$f" ] || continue
        echo "postgres stand-in: running $f" >&2
        psql -v ON_ERROR_STOP=1 -q -U postgres -d postgres -f "$f"
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$@" -D "$PGDATA"
