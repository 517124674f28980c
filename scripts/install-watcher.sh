#!/usr/bin/env bash
# Installs the watcher (build/watcher, Server F's dead-man's switch) on a
# monitored server as a hardened systemd service: the binary built elsewhere
# (docs/watcher.md: no build tools needed here), the shared libraries it
# needs from the distribution, its settings from Server F's .env, its two
# secrets handed over by systemd's LoadCredential (never in the
# environment), a state directory, and the UFW rule that lets only Server F
# reach its port. Idempotent: a second run changes nothing and says so.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

SERVICE=watcher.service
BIN=/usr/local/bin/watcher
UNIT=/etc/systemd/system/$SERVICE
CONF_DIR=/etc/watcher
SYSUSER=watcher
DEFAULT_PORT=9202

usage() {
    cat <<EOF
Usage: $0 --env-file FILE --listen-address IP[:PORT] [--binary FILE] [options]

Installs the watcher as the systemd service $SERVICE, running as the system
user $SYSUSER, its state in /var/lib/watcher.

  --env-file FILE               Server F's .env (copy it here with scp, delete it
                                after): SMTP_HOST, SMTP_PORT, SMTP_TLS, SMTP_USER,
                                SMTP_PASSWORD, SMTP_FROM, ALERT_EMAIL_TO,
                                MONITORING_CLUSTER, WATCHER_TOKEN and
                                SERVER_F_PUBLIC_IP are read from it, nothing else.
  --listen-address IP[:PORT]    this server's address that Server F reaches (port
                                $DEFAULT_PORT unless given); the inventory lists it
                                with role watcher. IPv6: [2001:db8::1]:$DEFAULT_PORT
  --binary FILE                 the watcher binary to install (built on Server F or
                                any Debian 12 / Ubuntu 24.04 machine: docs/watcher.md).
                                Optional once installed.
  --server-f-ip IP              the only source allowed to reach the port.
                                Default: SERVER_F_PUBLIC_IP of the env file
  --grace PERIOD                silence before the alert mail (default 10m)
  --dry-run                     print every action, change nothing
  --root DIR                    operate on files under DIR (tests); env ROOT
  -h, --help                    this text
EOF
}

ENV_FILE=
LISTEN=
BINARY=
SERVER_F=
GRACE=10m
ROOT_OPT=${ROOT:-}
while [ $# -gt 0 ]; do
    case $1 in
    --env-file) need_arg "$1" "${2:-}"; ENV_FILE=$2; shift 2 ;;
    --listen-address) need_arg "$1" "${2:-}"; LISTEN=$2; shift 2 ;;
    --binary) need_arg "$1" "${2:-}"; BINARY=$2; shift 2 ;;
    --server-f-ip) need_arg "$1" "${2:-}"; SERVER_F=$2; shift 2 ;;
    --grace) need_arg "$1" "${2:-}"; GRACE=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --root) need_arg "$1" "${2:-}"; ROOT_OPT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
    esac
done
set_root "$ROOT_OPT"

# --- validate everything before touching anything ---------------------------
[ -n "$ENV_FILE" ] || usage_error "--env-file is required: Server F's .env (SMTP settings, WATCHER_TOKEN, MONITORING_CLUSTER)"
[ -n "$LISTEN" ] || usage_error "--listen-address is required: this server's address that Server F reaches"
if [ ! -f "$ENV_FILE" ] || [ ! -r "$ENV_FILE" ]; then die "--env-file $ENV_FILE: no such readable file"; fi
split_listen_address "$LISTEN" $DEFAULT_PORT
[[ $GRACE =~ ^([0-9]+[dhms])+$ ]] || usage_error "--grace '$GRACE' is not a period such as 10m or 1h30m"

# env_value KEY: the value of KEY in the env file, as docker compose reads
# it (quotes removed; an unquoted value ends at " #"). Empty when absent.
env_value() {
    local line v
    line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?$1=" "$ENV_FILE" | tail -1) || true
    v=${line#*=}
    case $v in
    \"*\") v=${v#\"}; v=${v%\"} ;;
    \'*\') v=${v#\'}; v=${v%\'} ;;
    *) v=${v%%[[:space:]]#*}; v=${v%"${v##*[![:space:]]}"} ;;
    esac
    printf '%s' "$v"
}
SMTP_HOST=$(env_value SMTP_HOST)
SMTP_PORT=$(env_value SMTP_PORT)
SMTP_TLS=$(env_value SMTP_TLS)
SMTP_USER=$(env_value SMTP_USER)
SMTP_PASSWORD=$(env_value SMTP_PASSWORD)
SMTP_FROM=$(env_value SMTP_FROM)
ALERT_EMAIL_TO=$(env_value ALERT_EMAIL_TO)
CLUSTER=$(env_value MONITORING_CLUSTER)
TOKEN=$(env_value WATCHER_TOKEN)
[ -n "$SERVER_F" ] || SERVER_F=$(env_value SERVER_F_PUBLIC_IP)
for v in SMTP_HOST SMTP_FROM ALERT_EMAIL_TO; do
    [ -n "${!v}" ] || die "$ENV_FILE: $v is not set (the watcher mails with the stack's SMTP settings)"
done
case $SMTP_FROM$ALERT_EMAIL_TO in *\"* | *\\*) die "$ENV_FILE: SMTP_FROM and ALERT_EMAIL_TO must not contain double quotes or backslashes" ;; esac
[ -n "$CLUSTER" ] || die "$ENV_FILE: MONITORING_CLUSTER is not set (the watcher accepts only that cluster's Watchdog)"
[[ $CLUSTER =~ ^[A-Za-z0-9._-]{1,100}$ ]] || die "$ENV_FILE: MONITORING_CLUSTER must be letters, digits, '.', '_' or '-'"
[ ${#TOKEN} -ge 16 ] || die "$ENV_FILE: WATCHER_TOKEN must be 16+ random characters (openssl rand -hex 32)"
[[ $TOKEN =~ ^[[:graph:]]+$ ]] || die "$ENV_FILE: WATCHER_TOKEN must not contain spaces or control characters"
if [ -n "$SMTP_USER" ] && [ -z "$SMTP_PASSWORD" ]; then die "$ENV_FILE: SMTP_USER is set but SMTP_PASSWORD is not"; fi
[ -n "$SERVER_F" ] || usage_error "--server-f-ip is required (or SERVER_F_PUBLIC_IP in $ENV_FILE)"
valid_ip "$SERVER_F" || usage_error "Server F's address '$SERVER_F' is not an IP address"
if [ -n "$BINARY" ]; then
    if [ ! -f "$BINARY" ] || [ ! -r "$BINARY" ]; then die "--binary $BINARY: no such readable file"; fi
elif [ ! -f "$(rp "$BIN")" ]; then
    usage_error "--binary is required: $BIN is not installed yet (docs/watcher.md says how to build it)"
fi

require_root
make_workdir
step "watcher on $LISTEN, watching cluster $CLUSTER, reachable from $SERVER_F only"

# --- 1. the shared libraries the binary needs ------------------------------
# Debian 12 and Ubuntu 24.04 name them differently (the t64 transition);
# the sonames are the same, so one binary serves both.
lib_package() {
    local p
    for p in "$@"; do
        if apt-cache show "$p" >/dev/null 2>&1; then printf '%s' "$p"; return 0; fi
    done
    printf '%s' "$1"
}
if [ -n "$BINARY" ]; then
    missing=$(ldd "$BINARY" 2>/dev/null | awk '/not found/ {print $1}' || true)
    pkgs=()
    for so in $missing; do
        case $so in
        libmicrohttpd.so.12) pkgs+=("$(lib_package libmicrohttpd12t64 libmicrohttpd12)") ;;
        libcurl.so.4) pkgs+=("$(lib_package libcurl4t64 libcurl4)") ;;
        libcjson.so.1) pkgs+=("$(lib_package libcjson1)") ;;
        *) die "--binary $BINARY needs $so, which this script does not know how to install: build the watcher on a machine of the same distribution" ;;
        esac
    done
    if [ ${#pkgs[@]} -gt 0 ]; then
        act apt-get update -qq
        act env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
    fi
    if [ "$DRY_RUN" = 0 ] || [ ${#pkgs[@]} -eq 0 ]; then
        version=$("$BINARY" --version 2>&1) || die "--binary $BINARY does not run here: $version"
        [[ $version == watcher\ * ]] || die "--binary $BINARY is not the watcher (--version said: $version)"
        say "binary: $version"
    fi
fi

# --- 2. the system user ----------------------------------------------------
if [ -z "$(passwd_field "$SYSUSER" 3)" ]; then
    act useradd --system --user-group --no-create-home --home-dir / --shell /usr/sbin/nologin \
        --comment "monitoring watcher (dead-man's switch for Server F)" "$SYSUSER"
fi

# --- 3. binary, settings and secrets ---------------------------------------
BIN_CHANGED=0
if [ -n "$BINARY" ]; then
    put_file "$BIN" 0755 0:0 "$BINARY" binary
    BIN_CHANGED=$FILE_CHANGED
fi
ensure_dir "$CONF_DIR" 0700 0:0
{
    echo "# Managed by scripts/install-watcher.sh from Server F's .env; local edits are overwritten."
    echo "# Secrets are not here: systemd hands token and smtp_password over (LoadCredential)."
    echo "WATCHER_LISTEN=$LISTEN"
    echo "WATCHER_CLUSTER=$CLUSTER"
    echo "WATCHER_GRACE=$GRACE"
    echo "SMTP_HOST=$SMTP_HOST"
    [ -z "$SMTP_PORT" ] || echo "SMTP_PORT=$SMTP_PORT"
    [ -z "$SMTP_TLS" ] || echo "SMTP_TLS=$SMTP_TLS"
    [ -z "$SMTP_USER" ] || echo "SMTP_USER=$SMTP_USER"
    echo "SMTP_FROM=\"$SMTP_FROM\""
    echo "ALERT_EMAIL_TO=$ALERT_EMAIL_TO"
} >"$WORKDIR/watcher.env"
put_file "$CONF_DIR/watcher.env" 0600 0:0 "$WORKDIR/watcher.env"
SETTINGS_CHANGED=$FILE_CHANGED
printf '%s\n' "$TOKEN" >"$WORKDIR/token"
put_file "$CONF_DIR/token" 0600 0:0 "$WORKDIR/token" quiet
SECRETS_CHANGED=$FILE_CHANGED
CRED_SMTP=
if [ -n "$SMTP_PASSWORD" ]; then
    printf '%s' "$SMTP_PASSWORD" >"$WORKDIR/smtp_password"
    put_file "$CONF_DIR/smtp_password" 0600 0:0 "$WORKDIR/smtp_password" quiet
    [ "$FILE_CHANGED" = 0 ] || SECRETS_CHANGED=1
    CRED_SMTP="LoadCredential=smtp_password:$CONF_DIR/smtp_password
Environment=SMTP_PASSWORD_FILE=%d/smtp_password"
fi

# --- 4. the systemd unit ---------------------------------------------------
cat >"$WORKDIR/unit" <<EOF
# Managed by scripts/install-watcher.sh; local edits are overwritten.
[Unit]
Description=Watcher: mails when Server F's monitoring goes silent (dead-man's switch)
Documentation=https://github.com/ecotrans/monitoring/blob/main/docs/watcher.md
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=$SYSUSER
Group=$SYSUSER
EnvironmentFile=$CONF_DIR/watcher.env
# Secrets as credentials: readable by this service only, never in its
# environment (systemctl show, /proc/PID/environ).
LoadCredential=token:$CONF_DIR/token
Environment=WATCHER_TOKEN_FILE=%d/token
$CRED_SMTP
StateDirectory=watcher
StateDirectoryMode=0750
Environment=WATCHER_STATE_FILE=/var/lib/watcher/state
ExecStartPre=$BIN --check-config
ExecStart=$BIN
Restart=always
RestartSec=5s
TimeoutStopSec=20s

# Hardening: the watcher answers HTTP, writes its state file and talks SMTP.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
UMask=0077
MemoryMax=64M

[Install]
WantedBy=multi-user.target
EOF
put_file "$UNIT" 0644 0:0 "$WORKDIR/unit"
UNIT_CHANGED=$FILE_CHANGED

# --- 5. systemd --------------------------------------------------------------
[ "$UNIT_CHANGED" = 1 ] && act systemctl daemon-reload
if [ "$(systemctl is-enabled "$SERVICE" 2>/dev/null || true)" != enabled ]; then
    act systemctl enable "$SERVICE"
fi
if [ "$BIN_CHANGED" = 1 ] || [ "$UNIT_CHANGED" = 1 ] || [ "$SETTINGS_CHANGED" = 1 ] || [ "$SECRETS_CHANGED" = 1 ]; then
    # The state file survives: a restart mid-outage sends no second alert.
    act systemctl restart "$SERVICE"
elif ! systemctl is-active --quiet "$SERVICE"; then
    act systemctl start "$SERVICE"
fi

# --- 6. the firewall: Server F only ---------------------------------------------
# The same conventions as scripts/firewall.sh (comments "monitoring: ...");
# that script leaves this port alone, and enables UFW with its SSH guard.
case $host in
127.* | ::1) say "listening on loopback only: no firewall rule needed" ;;
*)
    step "UFW rule"
    if ! command -v ufw >/dev/null; then
        warn "ufw is not installed: port $port is open to whoever can reach $host; install ufw and run scripts/firewall.sh"
    else
        rule="allow from $SERVER_F to any port $port proto tcp"
        ufw show added >"$WORKDIR/added" 2>&1 || die "'ufw show added' failed: $(head -1 "$WORKDIR/added")"
        if sed -n "s/^ufw //p" "$WORKDIR/added" | sed "s/ comment '.*'\$//" | grep -qxF -- "$rule"; then
            say "present: $rule"
        else
            # shellcheck disable=SC2086 # the rule is a list of ufw words
            act ufw $rule comment "monitoring: watcher, reached by Server F"
        fi
        if ! ufw status 2>/dev/null | grep -q '^Status: active'; then
            warn "UFW is not active: port $port is open to anyone until scripts/firewall.sh --server-f-ip $SERVER_F enables it"
        fi
    fi ;;
esac

if [ "$DRY_RUN" = 0 ]; then
    state=
    for _ in $(seq 1 20); do
        state=$(systemctl is-active "$SERVICE" 2>/dev/null || true)
        [ "$state" = active ] && break
        sleep 0.5
    done
    [ "$state" = active ] || die "$SERVICE is '$state' after starting it: see journalctl -u $SERVICE"
    say "$SERVICE is active on $LISTEN; from Server F: build/doctor --only watcher"
fi
finish_summary
