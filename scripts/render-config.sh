#!/bin/sh
# Renders the configuration pieces that cannot read the environment or the
# inventory by themselves. POSIX sh + awk only: it runs in the compose
# "config-init" container (busybox) and natively for the loopback stack.
#
#   render-config.sh targets INVENTORY OUTDIR
#       inventory -> OUTDIR/node.json, OUTDIR/cadvisor.json (Prometheus file_sd)
#   render-config.sh template IN OUT [DEFAULTS_FILE...]
#       copy IN to OUT replacing ${NAME} with the environment's value; a NAME
#       unset or empty in the environment is taken from the DEFAULTS_FILEs
#       (KEY=VALUE lines, first file wins), and one set nowhere is an error
#       naming IN and NAME.
#   render-config.sh compose
#       everything the compose stack needs, from the environment, into
#       $RENDER_OUT (default /rendered): see render_compose below.
set -eu
# POSIX sh has no local variables: each function uses names of its own.

prog=render-config.sh
fail() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

# ---- inventory -> file_sd -------------------------------------------------
render_targets() {
    inv=$1
    out=$2
    [ -f "$inv" ] || fail "$inv: inventory file not found"
    mkdir -p "$out"
    # awk validates every line and writes both files; errors name file:line.
    awk -v inv="$inv" -v out="$out" '
    function err(msg) { printf "%s:%d: %s\n", inv, NR, msg > "/dev/stderr"; bad = 1 }
    function add(role, target, server) {
        n[role]++
        t[role, n[role]] = sprintf("  {\"targets\": [\"%s\"], \"labels\": {\"server\": \"%s\"}}", target, server)
    }
    BEGIN { defport["node"] = 9100; defport["cadvisor"] = 8080 }
    /^[ \t]*(#|$)/ { next }
    {
        if (NF != 3) { err("expected 3 columns (name address roles), found " NF); next }
        name = $1; addr = $2
        if (name !~ /^[A-Za-z0-9_-]+$/) { err("server name \"" name "\" may only contain letters, digits, - and _"); next }
        if (name in seen) { err("server \"" name "\" is listed twice (first on line " seen[name] ")"); next }
        seen[name] = NR; nservers++
        if (addr !~ /^(self|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/) { err("address \"" addr "\" is not an IPv4 address, [IPv6] address or host name"); next }
        nr = split($3, roles, ",")
        for (i = 1; i <= nr; i++) {
            r = roles[i]; host = addr; port = ""
            if (index(r, "@") > 0) {
                ep = substr(r, index(r, "@") + 1); r = substr(r, 1, index(r, "@") - 1)
                if (ep !~ /^[A-Za-z0-9.-]+:[0-9]+$/ && ep !~ /^\[[0-9A-Fa-f:.]+\]:[0-9]+$/) { err("endpoint \"" ep "\" must be HOST:PORT"); continue }
                target = ep
            } else {
                if (index(r, ":") > 0) { port = substr(r, index(r, ":") + 1); r = substr(r, 1, index(r, ":") - 1) }
                if (!(r in defport)) { err("unknown role \"" r "\" (known: node, cadvisor)"); continue }
                if (port == "") port = defport[r]
                if (port !~ /^[0-9]+$/ || port + 0 < 1 || port + 0 > 65535) { err("port \"" port "\" of role " r " is not 1-65535"); continue }
                if (addr == "self") { err("address \"self\" needs explicit endpoints (role@HOST:PORT)"); continue }
                target = host ":" port
            }
            if (!(r in defport)) { err("unknown role \"" r "\" (known: node, cadvisor)"); continue }
            if ((r, name) in dup) { err("role " r " listed twice for server " name); continue }
            dup[r, name] = 1
            add(r, target, name)
        }
    }
    END {
        if (bad) exit 1
        if (nservers == 0) { printf "%s: no servers listed\n", inv > "/dev/stderr"; exit 1 }
        for (role in defport) {
            f = out "/" role ".json.tmp"
            printf "[\n" > f
            for (i = 1; i <= n[role]; i++) printf "%s%s\n", t[role, i], (i < n[role] ? "," : "") > f
            printf "]\n" > f
            close(f)
        }
    }' "$inv" || fail "$inv: inventory rejected (see above)"
    # Atomic replace: Prometheus watches these files and must never read half of one.
    for role in node cadvisor; do
        mv "$out/$role.json.tmp" "$out/$role.json"
    done
}

# ---- ${NAME} templates ------------------------------------------------------
render_template() {
    tmpl_in=$1
    tmpl_out=$2
    shift 2
    [ -f "$tmpl_in" ] || fail "$tmpl_in: template not found"
    # Export defaults for names the environment does not set.
    for defaults in "$@"; do
        [ -f "$defaults" ] || fail "$defaults: defaults file not found"
        while IFS= read -r line || [ -n "$line" ]; do
            case $line in '' | \#*) continue ;; esac
            key=${line%%=*}
            case $key in *[!A-Z0-9_]* | '') fail "$defaults: malformed line: $line" ;; esac
            # An empty value counts as unset: compose passes "${VAR:-}" for
            # optional .env entries, and the default must then apply.
            eval "current=\${$key:-}"
            # shellcheck disable=SC2154 # current is assigned by the eval above
            [ -n "$current" ] || export "$key=${line#*=}"
        done <"$defaults"
    done
    tmp="$tmpl_out.tmp.$$"
    awk -v src="$tmpl_in" '
    {
        line = $0; res = ""
        while (match(line, /\$\{[A-Z0-9_]+\}/)) {
            name = substr(line, RSTART + 2, RLENGTH - 3)
            if (!(name in ENVIRON)) {
                printf "%s:%d: ${%s} is not set (add it to .env)\n", src, NR, name > "/dev/stderr"
                bad = 1
            }
            res = res substr(line, 1, RSTART - 1) ENVIRON[name]
            line = substr(line, RSTART + RLENGTH)
        }
        print res line
    }
    END { exit bad }' "$tmpl_in" >"$tmp" || {
        rm -f "$tmp"
        fail "$tmpl_in: cannot render (see above)"
    }
    mv "$tmp" "$tmpl_out"
}

# ---- the compose stack --------------------------------------------------------
# config-init mounts one volume per consumer, so each service sees only its
# own rendered files (Alertmanager never sees Prometheus' secrets, and so on):
#   $RENDER_OUT/prometheus/targets/{node,cadvisor,supabase}.json   file_sd
#   $RENDER_OUT/prometheus/secrets/supabase_service_key            basic-auth password
#   $RENDER_OUT/alertmanager/alertmanager.yml                      routing, .env addresses
#   $RENDER_OUT/alertmanager/smtp_password                         smtp_auth_password_file
#   $RENDER_OUT/thanos/objstore.yml      bucket, endpoint, region (the keys reach
#                                        Thanos as AWS_* env vars, not via this file)
#   $RENDER_OUT/daily-report/{smtp_password,pgpass}  SMTP_PASSWORD_FILE, libpq passfile
#   $RENDER_OUT/queue-exporter/pgpass    libpq passfile (PGPASSFILE)
# Secret files are 0440, owned by the user of their one consumer: 65534
# (nobody) for the Prometheus and Alertmanager images, 10002 for the daily
# report, 10001 for the queue exporter.
# The secrets come from the environment (loopback stack, tests) or else from
# the .env file named by DOTENV_FILE (compose mounts .env read-only there),
# so that no secret is in config-init's environment, i.e. in `docker inspect`.
# DOTENV_SECRETS names the keys read that way (and scripts/lib/deploy-remote.sh
# fingerprints exactly those).

# dotenv_get KEY: KEY's value in $DOTENV_FILE, read as data (never sourced):
# surrounding quotes removed, an unquoted value ends at " #".
dotenv_get() {
    [ -n "${DOTENV_FILE:-}" ] && [ -f "$DOTENV_FILE" ] || return 0
    awk -v k="$1" '
    {
        line = $0; sub(/\r$/, "", line)
        if (line !~ "^[ \t]*(export[ \t]+)?" k "[ \t]*=") next
        v = substr(line, index(line, "=") + 1); sub(/^[ \t]+/, "", v)
        q = substr(v, 1, 1)
        if (q == "\"" || q == "\047") { v = substr(v, 2); i = index(v, q); if (i) v = substr(v, 1, i - 1) }
        else { sub(/[ \t]+#.*$/, "", v); sub(/[ \t]+$/, "", v) }
        val = v
    }
    END { printf "%s", val }' "$DOTENV_FILE"
}

# pgpass_line PASSWORD: a libpq password file line valid for any server,
# database and user (the file serves one program); ":" and "\" escaped.
pgpass_line() {
    printf '*:*:*:*:%s\n' "$(printf '%s' "$1" | sed 's/[\\:]/\\&/g')"
}

render_compose() {
    src=${REPO_DIR:-/repo}
    rdest=${RENDER_OUT:-/rendered}
    prom=$rdest/prometheus
    am=$rdest/alertmanager
    dr=$rdest/daily-report
    qe=$rdest/queue-exporter
    for key in ${DOTENV_SECRETS:-}; do
        eval "cur=\${$key:-}"
        # shellcheck disable=SC2154 # cur is assigned by the eval above
        [ -n "$cur" ] || export "$key=$(dotenv_get "$key")"
    done
    mkdir -p "$prom/targets" "$prom/secrets" "$am" "$rdest/thanos" "$dr" "$qe"
    render_targets "$src/inventory/servers.txt" "$prom/targets"

    umask 027
    # Supabase's own metrics endpoint: on only when both variables are set.
    if [ -n "${SUPABASE_URL:-}" ] && [ -n "${SUPABASE_SERVICE_KEY:-}" ]; then
        host=${SUPABASE_URL#https://}
        host=${host%%/*}
        case $host in
        *.supabase.co) ;;
        *) fail "SUPABASE_URL=$SUPABASE_URL: expected https://<project-ref>.supabase.co" ;;
        esac
        printf '[\n  {"targets": ["%s"], "labels": {"server": "supabase"}}\n]\n' "$host" >"$prom/targets/supabase.json"
        printf '%s' "$SUPABASE_SERVICE_KEY" >"$prom/secrets/supabase_service_key"
    else
        printf '[]\n' >"$prom/targets/supabase.json"
        : >"$prom/secrets/supabase_service_key"
    fi
    [ -n "${SMTP_PASSWORD:-}" ] || fail "SMTP_PASSWORD is not set (add it to .env)"
    printf '%s' "$SMTP_PASSWORD" >"$am/smtp_password"
    printf '%s' "$SMTP_PASSWORD" >"$dr/smtp_password"
    # The report's database password (the DSN names no password).
    if [ -n "${SUPABASE_GRAFANA_PASSWORD:-}" ]; then pgpass_line "$SUPABASE_GRAFANA_PASSWORD" >"$dr/pgpass"; else : >"$dr/pgpass"; fi
    # The exporter's, when .env gives it apart from QUEUE_EXPORTER_DSN.
    if [ -n "${QUEUE_EXPORTER_DB_PASSWORD:-}" ]; then pgpass_line "$QUEUE_EXPORTER_DB_PASSWORD" >"$qe/pgpass"; else : >"$qe/pgpass"; fi
    umask 022

    [ -n "${SMTP_HOST:-}" ] || fail "SMTP_HOST is not set (add it to .env)"
    [ -n "${GRAFANA_DOMAIN:-}" ] || fail "GRAFANA_DOMAIN is not set (add it to .env)"
    SMTP_SMARTHOST="$SMTP_HOST:${SMTP_PORT:-587}" \
        SMTP_PASSWORD_FILE=/etc/alertmanager/rendered/smtp_password \
        ALERTMANAGER_TEMPLATES_DIR=/etc/alertmanager/templates \
        GRAFANA_URL="https://$GRAFANA_DOMAIN" \
        ALERTMANAGER_URL="${ALERTMANAGER_EXTERNAL_URL:-http://127.0.0.1:9093}" \
        render_template "$src/alertmanager/alertmanager.yml" "$am/alertmanager.yml" \
        "$src/alertmanager/defaults.env"
    render_template "$src/thanos/objstore.yml" "$rdest/thanos/objstore.yml"

    chown -R 65534:65534 "$prom" "$am" "$rdest/thanos" 2>/dev/null || true
    chown -R 10002:10002 "$dr" 2>/dev/null || true
    chown -R 10001:10001 "$qe" 2>/dev/null || true
    chmod 0440 "$am/smtp_password" "$prom/secrets/supabase_service_key" "$dr/smtp_password"
    # libpq ignores a password file that group or others can read.
    chmod 0400 "$dr/pgpass" "$qe/pgpass"
    echo "$prog: rendered targets, Alertmanager and Thanos configuration into $rdest"
}

case ${1:-} in
targets)
    [ $# -eq 3 ] || fail "usage: $prog targets INVENTORY OUTDIR"
    render_targets "$2" "$3"
    ;;
template)
    [ $# -ge 3 ] || fail "usage: $prog template IN OUT [DEFAULTS_FILE...]"
    shift
    render_template "$@"
    ;;
compose) render_compose ;;
*) fail "usage: $prog targets INVENTORY OUTDIR | template IN OUT [DEFAULTS...] | compose" ;;
esac
