#!/bin/sh
# Renders the configuration pieces that cannot read the environment or the
# inventory by themselves. POSIX sh + awk only: it runs in the compose
# "config-init" container (busybox) and natively for the loopback stack.
#
#   render-config.sh targets INVENTORY OUTDIR
#       inventory -> OUTDIR/node.json, cadvisor.json, watcher.json (Prometheus file_sd)
#   render-config.sh caddy-auth OUTFILE
#       the basic-auth block of Caddy's /monitoring-api/ route (see
#       render_caddy_auth)
#   render-config.sh containers SERVERS CONTAINERS OUTFILE
#       the containers each server must run (CONTAINERS, next to the
#       inventory) -> recording rules inventory_expected_container{server,name}
#       for ContainerAbsent; every server named must be in SERVERS with the
#       cadvisor role
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

# smtp_port: the port of Alertmanager's smarthost. SMTP_PORT empty: the
# senders' default (src/common/smtpconf.h, SMTP_PORT_DEFAULT and _TLS: 587,
# 465 with SMTP_TLS=tls), so Alertmanager and the daily report talk to the
# same port; refused with the messages of the doctor and the programs.
smtp_port() {
    p=${SMTP_PORT:-}
    case ${SMTP_TLS:-} in
    '' | starttls | none) d=587 ;;
    tls) d=465 ;;
    *) fail "SMTP_TLS=$SMTP_TLS is not one of starttls, tls, none" ;;
    esac
    [ -n "$p" ] || { echo "$d"; return 0; }
    case $p in
    *[!0-9]* | ?????*?) fail "SMTP_PORT=$p is not a port number (1-65535)" ;;
    esac
    while [ "${p#0}" != "$p" ]; do p=${p#0}; done
    { [ -n "$p" ] && [ "$p" -le 65535 ]; } || fail "SMTP_PORT=$SMTP_PORT is not a port number (1-65535)"
    echo "$p"
}

# smtp_require_tls PORT: Alertmanager's smtp_require_tls for SMTP_TLS, PORT
# being the smarthost's (smtp_port). Alertmanager's email notifier (v0.27,
# compose.yaml's pin) chooses TLS by the port alone: TLS from the first
# byte on 465, plain TCP on any other, then STARTTLS when smtp_require_tls
# is true (and no mail when the server does not offer it). So:
#   starttls  true: STARTTLS or nothing, as the daily report does;
#   tls       false: on 465 the session is TLS from the first byte already,
#             and v0.27 would demand STARTTLS inside it (no smtps server
#             offers it: no mail); v0.31 skips that check itself;
#   none      false: plain SMTP, as the daily report does.
# SMTP_TLS unset: tls on 465, starttls elsewhere (smtp_tls_resolve). A pair
# Alertmanager cannot honour is refused with the doctor's message
# (src/common/smtpconf.c, smtp_check_alertmanager), so a .env the doctor
# passes renders.
smtp_require_tls() {
    t=${SMTP_TLS:-}
    if [ -z "$t" ]; then
        t=starttls
        [ "$1" != 465 ] || t=tls
    fi
    case $t in
    tls) how='' req=false ;;
    starttls) how=STARTTLS req=true ;;
    none) how='plain SMTP' req=false ;;
    *) fail "SMTP_TLS=$SMTP_TLS is not one of starttls, tls, none" ;;
    esac
    if [ "$t" = tls ] && [ "$1" != 465 ]; then
        fail "SMTP_TLS=tls with SMTP_PORT=$1: Alertmanager uses TLS from the first byte only on port 465 and STARTTLS on any other port; set SMTP_PORT=465 (or leave it empty), or SMTP_TLS=starttls"
    fi
    if [ "$t" != tls ] && [ "$1" = 465 ]; then
        fail "SMTP_TLS=$t with SMTP_PORT=465: Alertmanager uses TLS from the first byte on port 465, not $how; set SMTP_TLS=tls, or SMTP_PORT=587 (or leave it empty)"
    fi
    echo "$req"
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
    BEGIN { defport["node"] = 9100; defport["cadvisor"] = 8080; defport["watcher"] = 9202 }
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
                if (!(r in defport)) { err("unknown role \"" r "\" (known: node, cadvisor, watcher)"); continue }
                if (port == "") port = defport[r]
                if (port !~ /^[0-9]+$/ || port + 0 < 1 || port + 0 > 65535) { err("port \"" port "\" of role " r " is not 1-65535"); continue }
                if (addr == "self") { err("address \"self\" needs explicit endpoints (role@HOST:PORT)"); continue }
                target = host ":" port
            }
            if (!(r in defport)) { err("unknown role \"" r "\" (known: node, cadvisor, watcher)"); continue }
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
    for role in node cadvisor watcher; do
        mv "$out/$role.json.tmp" "$out/$role.json"
    done
}

# ---- inventory -> expected containers (recording rules) ---------------------
render_containers() {
    cinv=$1
    ccont=$2
    cout=$3
    [ -f "$cinv" ] || fail "$cinv: inventory file not found"
    [ -e "$ccont" ] || fail "$ccont: containers file not found (an empty file means: no container is expected)"
    mkdir -p "$(dirname "$cout")"
    awk -v inv="$cinv" -v cf="$ccont" -v out="$cout.tmp" '
    function err(msg) { printf "%s:%d: %s\n", cf, FNR, msg > "/dev/stderr"; bad = 1 }
    # The inventory first: which servers exist, which run cAdvisor.
    FILENAME == inv {
        if ($0 ~ /^[ \t]*(#|$)/) next
        known[$1] = 1
        if ($3 ~ /(^|,)cadvisor([:@,]|$)/) cadv[$1] = 1
        next
    }
    /^[ \t]*(#|$)/ { next }
    {
        if (NF < 2) { err("expected a server name and at least one container"); next }
        if (!($1 in known)) { err("server \"" $1 "\" is not in " inv); next }
        if (!($1 in cadv)) { err("server \"" $1 "\" has no cadvisor role in " inv ": nothing could report its containers"); next }
        if ($1 in seen) { err("server \"" $1 "\" is listed twice (first on line " seen[$1] ")"); next }
        seen[$1] = FNR
        for (i = 2; i <= NF; i++) {
            if ($i ~ /^#/) break
            if ($i !~ /^[A-Za-z0-9][A-Za-z0-9_.-]*$/) { err("container \"" $i "\" is not a compose service or container name"); continue }
            rule[++n] = sprintf("      - record: inventory_expected_container\n        expr: vector(1)\n        labels:\n          server: \"%s\"\n          name: \"%s\"", $1, $i)
        }
    }
    END {
        if (bad) exit 1
        printf "# Rendered by scripts/render-config.sh from %s: the containers each\n", cf > out
        printf "# server must run (ContainerAbsent in prometheus/rules/containers.yml).\n" > out
        if (n == 0) { printf "groups: []\n" > out; exit 0 }
        printf "groups:\n  - name: inventory\n    rules:\n" > out
        for (i = 1; i <= n; i++) printf "%s\n", rule[i] > out
    }' "$cinv" "$ccont" || { rm -f "$cout.tmp"; fail "$ccont: expected containers rejected (see above)"; }
    mv "$cout.tmp" "$cout"
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

# ---- secrets: read from the .env file, never from a container's environment ---
# docker inspect shows every container's environment, exited ones included,
# so compose.yaml gives config-init no secret by `environment:`: it mounts
# the deployment's .env read-only and names it in SECRETS_ENV_FILE. A
# variable already set in the environment wins (the tests and the loopback
# stack pass values so).
# env_file_value FILE NAME: NAME's value in FILE, read the way compose reads
# .env: KEY=VALUE, optional "export ", "..." or '...' quoting, and for an
# unquoted value an inline " # comment" dropped. The last assignment wins.
env_file_value() {
    awk -v k="$2" '
    /^[ \t]*(#|$)/ { next }
    {
        line = $0
        sub(/^[ \t]*(export[ \t]+)?/, "", line)
        eq = index(line, "=")
        if (eq == 0) next
        key = substr(line, 1, eq - 1)
        sub(/[ \t]+$/, "", key)
        if (key != k) next
        v = substr(line, eq + 1)
        sub(/^[ \t]+/, "", v)
        q = substr(v, 1, 1)
        if (q == "\"" || q == "\047") {
            v = substr(v, 2)
            e = index(v, q)
            if (e > 0) v = substr(v, 1, e - 1)
        } else {
            sub(/[ \t]+#.*$/, "", v)
            sub(/[ \t]+$/, "", v)
        }
        val = v
    }
    END { printf "%s", val }' "$1"
}

# load_secret NAME [optional]: NAME from the environment or SECRETS_ENV_FILE;
# a required one that is empty in both stops the render, naming it.
load_secret() {
    eval "secret_cur=\${$1:-}"
    if [ -z "$secret_cur" ] && [ -n "${SECRETS_ENV_FILE:-}" ]; then
        [ -r "$SECRETS_ENV_FILE" ] || fail "$SECRETS_ENV_FILE: cannot read the deployment's .env (mounted into config-init by compose.yaml)"
        secret_cur=$(env_file_value "$SECRETS_ENV_FILE" "$1")
        export "$1=$secret_cur"
    fi
    [ -n "$secret_cur" ] || [ "${2:-}" = optional ] || fail "$1 is not set (add it to .env)"
}

# conninfo_to_service NAME DSN: a libpq service file section from a key=value
# connection string (values may be '...' quoted with \' and \\ escapes).
# libpq reads the file at every connection, so the password stays in a file.
conninfo_to_service() {
    case $2 in
    postgres://* | postgresql://*) fail "QUEUE_EXPORTER_DSN: write it as key=value pairs (host=... port=... user=... password=...), not as a URI" ;;
    esac
    printf '%s' "$2" | awk -v name="$1" '
    function bad(msg) { printf "render-config.sh: QUEUE_EXPORTER_DSN: %s\n", msg > "/dev/stderr"; exit 1 }
    {
        s = s (NR > 1 ? " " : "") $0
    }
    END {
        print "[" name "]"
        while (1) {
            sub(/^[ \t]+/, "", s)
            if (s == "") break
            eq = index(s, "=")
            if (eq == 0) bad("expected key=value, found \"" substr(s, 1, 20) "\"")
            key = substr(s, 1, eq - 1)
            sub(/[ \t]+$/, "", key)
            if (key !~ /^[a-z_]+$/) bad("\"" key "\" is not a connection keyword")
            s = substr(s, eq + 1)
            sub(/^[ \t]+/, "", s)
            val = ""
            if (substr(s, 1, 1) == "\047") {
                s = substr(s, 2)
                closed = 0
                while (s != "") {
                    c = substr(s, 1, 1)
                    if (c == "\\") { val = val substr(s, 2, 1); s = substr(s, 3); continue }
                    s = substr(s, 2)
                    if (c == "\047") { closed = 1; break }
                    val = val c
                }
                if (!closed) bad("unterminated quoted value of " key)
            } else {
                match(s, /^[^ \t]*/)
                val = substr(s, 1, RLENGTH)
                s = substr(s, RLENGTH + 1)
            }
            print key "=" val
        }
    }'
}

# supabase_tls: sets SUPABASE_TLS_MODE and SUPABASE_CA_SRC. With a CA
# certificate (SUPABASE_CA_CERT, a path relative to the repository, which
# compose mounts at /run/deploy) verify-full is the default: require is
# upgraded (with a root certificate libpq would verify the chain anyway),
# verify-ca is kept when asked for.
supabase_tls() {
    SUPABASE_CA_SRC=
    SUPABASE_TLS_MODE=${SUPABASE_SSLMODE:-require}
    [ -n "${SUPABASE_CA_CERT:-}" ] || return 0
    case $SUPABASE_CA_CERT in
    /*) SUPABASE_CA_SRC=$SUPABASE_CA_CERT ;;
    *) SUPABASE_CA_SRC=${DEPLOY_DIR:-/run/deploy}/${SUPABASE_CA_CERT#./} ;;
    esac
    [ -r "$SUPABASE_CA_SRC" ] || fail "SUPABASE_CA_CERT=$SUPABASE_CA_CERT: file not found (put Supabase's CA certificate in the repository directory and name it relative to it)"
    grep -q -- '-----BEGIN CERTIFICATE-----' "$SUPABASE_CA_SRC" ||
        fail "SUPABASE_CA_CERT=$SUPABASE_CA_CERT: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)"
    case $SUPABASE_TLS_MODE in require | '') SUPABASE_TLS_MODE=verify-full ;; esac
}

# render_secrets DEST: one volume per consumer, each file 0440 and owned by
# the user its image runs as, so a service reads only its own secrets.
#   DEST/grafana/admin_password, supabase_password   (Grafana, uid 472)
#   DEST/queue-exporter/pg_service.conf               ([queue_exporter], uid 10001)
#   DEST/daily-report/pg_service.conf, smtp_password  ([daily_report], uid 10002)
#   DEST/thanos/objstore.yml gets the Wasabi keys     (uid 65534)
#   DEST/{grafana,queue-exporter,daily-report}/supabase-ca.crt with SUPABASE_CA_CERT
render_secrets() {
    sdest=$1
    for v in GRAFANA_ADMIN_PASSWORD SUPABASE_GRAFANA_PASSWORD WASABI_ACCESS_KEY WASABI_SECRET_KEY QUEUE_EXPORTER_DSN; do
        load_secret "$v"
    done
    [ -n "${SUPABASE_DB_HOST:-}" ] || fail "SUPABASE_DB_HOST is not set (add it to .env)"
    for v in "$WASABI_ACCESS_KEY" "$WASABI_SECRET_KEY"; do
        case $v in *[\"\\]* | *"
"*) fail "WASABI_ACCESS_KEY/WASABI_SECRET_KEY: a key with a quote, backslash or newline cannot be right" ;; esac
    done
    mkdir -p "$sdest/grafana" "$sdest/queue-exporter" "$sdest/daily-report"
    supabase_tls
    # The CA certificate goes next to each consumer's secrets, mounted at
    # /run/monitoring; Grafana reads the mode and the path from files
    # (provisioning cannot branch on whether a CA is configured).
    ca_in=/run/monitoring/supabase-ca.crt
    for c in grafana queue-exporter daily-report; do
        rm -f "$sdest/$c/supabase-ca.crt"
        [ -z "$SUPABASE_CA_SRC" ] || cp "$SUPABASE_CA_SRC" "$sdest/$c/supabase-ca.crt"
    done
    printf '%s' "$SUPABASE_TLS_MODE" >"$sdest/grafana/supabase_sslmode"
    if [ -n "$SUPABASE_CA_SRC" ]; then printf '%s' "$ca_in" >"$sdest/grafana/supabase_ca_path"; else : >"$sdest/grafana/supabase_ca_path"; fi
    umask 027
    printf '%s' "$GRAFANA_ADMIN_PASSWORD" >"$sdest/grafana/admin_password"
    printf '%s' "$SUPABASE_GRAFANA_PASSWORD" >"$sdest/grafana/supabase_password"
    conninfo_to_service queue_exporter "$QUEUE_EXPORTER_DSN" >"$sdest/queue-exporter/pg_service.conf.tmp" ||
        fail "QUEUE_EXPORTER_DSN: cannot be turned into a libpq service file (see above)"
    # The DSN's own sslmode/sslrootcert are kept, except that a CA upgrades
    # require to verify-full; what it lacks comes from SUPABASE_SSLMODE/_CA_CERT.
    awk -v mode="$SUPABASE_TLS_MODE" -v ca="${SUPABASE_CA_SRC:+$ca_in}" '
        /^sslmode=/ { m = 1; if (ca != "" && $0 == "sslmode=require") $0 = "sslmode=verify-full" }
        /^sslrootcert=/ { r = 1 }
        { print }
        END { if (!m) print "sslmode=" mode; if (!r && ca != "") print "sslrootcert=" ca }' \
        "$sdest/queue-exporter/pg_service.conf.tmp" >"$sdest/queue-exporter/pg_service.conf"
    rm -f "$sdest/queue-exporter/pg_service.conf.tmp"
    {
        echo "[daily_report]"
        echo "host=$SUPABASE_DB_HOST"
        echo "port=${SUPABASE_DB_PORT:-5432}"
        echo "dbname=postgres"
        echo "user=${SUPABASE_GRAFANA_USER:-grafana_readonly}"
        echo "password=$SUPABASE_GRAFANA_PASSWORD"
        echo "sslmode=$SUPABASE_TLS_MODE"
        [ -z "$SUPABASE_CA_SRC" ] || echo "sslrootcert=$ca_in"
        echo "connect_timeout=10"
    } >"$sdest/daily-report/pg_service.conf"
    printf '%s' "$SMTP_PASSWORD" >"$sdest/daily-report/smtp_password"
    umask 022
    chmod 0444 "$sdest"/*/supabase-ca.crt "$sdest/grafana/supabase_sslmode" "$sdest/grafana/supabase_ca_path" 2>/dev/null || true
    chown -R 472:0 "$sdest/grafana" 2>/dev/null || true
    chown -R 10001:10001 "$sdest/queue-exporter" 2>/dev/null || true
    chown -R 10002:10002 "$sdest/daily-report" 2>/dev/null || true
    chmod 0440 "$sdest/grafana/admin_password" "$sdest/grafana/supabase_password" \
        "$sdest/queue-exporter/pg_service.conf" "$sdest/daily-report/pg_service.conf" "$sdest/daily-report/smtp_password"
}

# ---- the compose stack --------------------------------------------------------
# config-init mounts one volume per consumer, so each service sees only its
# own rendered files (Alertmanager never sees Prometheus' secrets, and so on):
#   $RENDER_OUT/prometheus/targets/{node,cadvisor,supabase}.json   file_sd
#   $RENDER_OUT/prometheus/rules/inventory.yml                     expected containers
#   $RENDER_OUT/prometheus/secrets/supabase_service_key            basic-auth password
#   $RENDER_OUT/alertmanager/alertmanager.yml                      routing, .env addresses
#   $RENDER_OUT/alertmanager/smtp_password                         smtp_auth_password_file
#   $RENDER_OUT/alertmanager/watcher_token                         the watcher's bearer token
#   $RENDER_OUT/thanos/objstore.yml      bucket, endpoint, region and the keys
#   $RENDER_OUT/{grafana,queue-exporter,daily-report}/...   see render_secrets
# Secret files are 0440, owned by the user the consuming image runs as
# (65534 for Prometheus, Alertmanager and Thanos).
# ---- Caddy: the n8n report route's basic-auth account -------------------------
# render_caddy_auth OUTFILE: the basicauth block caddy/Caddyfile imports on
# /monitoring-api/ (MONITORING_API=on), from MONITORING_API_USER and
# MONITORING_API_PASSWORD_HASH (environment, else SECRETS_ENV_FILE). Always
# written: without them the block names what is missing, which Caddy rejects
# at start (it cannot decode it as a hash), so the route never opens without
# an account; a malformed value stops the render here.
render_caddy_auth() {
    cadest=$1
    load_secret MONITORING_API_USER optional
    load_secret MONITORING_API_PASSWORD_HASH optional
    causer=${MONITORING_API_USER:-MONITORING_API_USER-is-not-set}
    cahash=${MONITORING_API_PASSWORD_HASH:-MONITORING_API_PASSWORD_HASH-is-not-set}
    case $causer in
    *[!A-Za-z0-9_.-]*) fail "MONITORING_API_USER=$causer: use letters, digits, '.', '-' and '_'" ;;
    esac
    if [ -n "${MONITORING_API_PASSWORD_HASH:-}" ]; then
        # What caddy hash-password prints: $2a$, $2b$ or $2y$, 60 characters.
        cabad=1
        case $cahash in
        ?2[aby]?*) [ ${#cahash} -eq 60 ] && [ "$(printf '%s' "$cahash" | cut -c1)" = '$' ] && cabad=0 ;;
        esac
        [ "$cabad" = 0 ] || fail "MONITORING_API_PASSWORD_HASH is not a bcrypt hash (60 characters): use the output of caddy hash-password, in single quotes in .env"
    fi
    mkdir -p "$(dirname "$cadest")"
    (
        umask 077
        printf '# Rendered by config-init from .env (MONITORING_API_USER, MONITORING_API_PASSWORD_HASH).\nbasicauth {\n\t%s %s\n}\n' \
            "$causer" "$cahash" >"$cadest.tmp"
    )
    mv "$cadest.tmp" "$cadest"
}

render_compose() {
    src=${REPO_DIR:-/repo}
    rdest=${RENDER_OUT:-/rendered}
    prom=$rdest/prometheus
    am=$rdest/alertmanager
    mkdir -p "$prom/targets" "$prom/secrets" "$prom/rules" "$am" "$rdest/thanos"
    # INVENTORY_DIR: inventory (production) or inventory/test-vps.
    invdir=$src/${INVENTORY_DIR:-inventory}
    render_targets "$invdir/servers.txt" "$prom/targets"
    render_containers "$invdir/servers.txt" "$invdir/containers.txt" "$prom/rules/inventory.yml"
    # External probes: file_sd for the blackbox job, and blackbox_exporter's
    # modules; from the same inventory, so a test VPS never probes production.
    sh "$src/scripts/render-probes.sh" "$invdir/probes.txt" "$prom/targets" \
        "$rdest/blackbox/blackbox.yml" blackbox:9115

    load_secret SMTP_PASSWORD
    load_secret SUPABASE_SERVICE_KEY optional
    load_secret WATCHER_TOKEN optional
    render_secrets "$rdest"
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
    # The watcher's bearer token (credentials_file of watchdog-watcher). An
    # empty one makes the watcher answer 401: AlertmanagerNotificationsFailing
    # then says so, and build/doctor names WATCHER_TOKEN.
    printf '%s' "${WATCHER_TOKEN:-}" >"$am/watcher_token"
    umask 022

    [ -n "${SMTP_HOST:-}" ] || fail "SMTP_HOST is not set (add it to .env)"
    [ -n "${GRAFANA_DOMAIN:-}" ] || fail "GRAFANA_DOMAIN is not set (add it to .env)"
    smtp_port=$(smtp_port) || exit 1
    smtp_tls_req=$(smtp_require_tls "$smtp_port") || exit 1
    SMTP_SMARTHOST="$SMTP_HOST:$smtp_port" \
        SMTP_REQUIRE_TLS=$smtp_tls_req \
        SMTP_PASSWORD_FILE=/etc/alertmanager/rendered/smtp_password \
        WATCHER_CREDENTIALS_FILE=/etc/alertmanager/rendered/watcher_token \
        ALERTMANAGER_TEMPLATES_DIR=/etc/alertmanager/templates \
        GRAFANA_URL="https://$GRAFANA_DOMAIN" \
        ALERTMANAGER_URL="${ALERTMANAGER_EXTERNAL_URL:-http://127.0.0.1:9093}" \
        render_template "$src/alertmanager/alertmanager.yml" "$am/alertmanager.yml" \
        "$src/alertmanager/defaults.env"
    render_caddy_auth "$rdest/caddy/monitoring-api-auth.caddy"
    # It holds the Wasabi keys: readable by the Thanos user only.
    (umask 077 && render_template "$src/thanos/objstore.yml" "$rdest/thanos/objstore.yml")

    chown -R 65534:65534 "$prom" "$am" "$rdest/thanos" 2>/dev/null || true
    chmod 0440 "$am/smtp_password" "$am/watcher_token" "$prom/secrets/supabase_service_key" "$rdest/thanos/objstore.yml"
    echo "$prog: rendered targets, Alertmanager, Thanos, Grafana, queue exporter, daily report and Caddy files into $rdest"
}

case ${1:-} in
targets)
    [ $# -eq 3 ] || fail "usage: $prog targets INVENTORY OUTDIR"
    render_targets "$2" "$3"
    ;;
caddy-auth)
    [ $# -eq 2 ] || fail "usage: $prog caddy-auth OUTFILE"
    render_caddy_auth "$2"
    ;;
containers)
    [ $# -eq 4 ] || fail "usage: $prog containers SERVERS CONTAINERS OUTFILE"
    render_containers "$2" "$3" "$4"
    ;;
template)
    [ $# -ge 3 ] || fail "usage: $prog template IN OUT [DEFAULTS_FILE...]"
    shift
    render_template "$@"
    ;;
compose) render_compose ;;
*) fail "usage: $prog targets INVENTORY OUTDIR | caddy-auth OUTFILE | containers SERVERS CONTAINERS OUTFILE | template IN OUT [DEFAULTS...] | compose" ;;
esac
