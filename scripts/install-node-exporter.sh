#!/usr/bin/env bash
# Installs Prometheus node_exporter (a pinned release, SHA-256 checked
# against scripts/checksums/node_exporter.sha256) as a hardened systemd
# service. Idempotent: a second run changes nothing and says so. See
# docs/hosts.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

DEFAULT_VERSION=1.8.2
SERVICE=node_exporter.service
BIN=/usr/local/bin/node_exporter
UNIT=/etc/systemd/system/$SERVICE
# What this script installed last: "version tarball-sha256 binary-sha256".
# With it a second run knows it is up to date without downloading again.
MARKER=/var/lib/monitoring-scripts/node_exporter.release
SYSUSER=node_exporter

usage() {
    cat <<EOF
Usage: $0 --listen-address ADDR[:PORT] [options]

Installs node_exporter $DEFAULT_VERSION for linux-amd64/arm64 as the systemd
service $SERVICE, running as the system user $SYSUSER.

  --listen-address ADDR[:PORT]  required. This server's public IP (only Server F
                                may reach it: scripts/firewall.sh), or 0.0.0.0
                                behind the firewall. Port 9100 unless given.
                                IPv6: [2001:db8::1]:9100
  --version V                   release to install (default $DEFAULT_VERSION); its
                                SHA-256 must be in scripts/checksums/node_exporter.sha256
  --tarball FILE                use this downloaded release tarball instead of
                                fetching it from GitHub (checked just the same)
  --dry-run                     print every action, change nothing
  --root DIR                    operate on files under DIR (tests); env ROOT
  -h, --help                    this text

Environment: NODE_EXPORTER_BASE_URL (release mirror, https only),
NODE_EXPORTER_CHECKSUMS (alternative checksum file, for tests).
EOF
}

LISTEN=
VERSION=$DEFAULT_VERSION
TARBALL=
ROOT_OPT=${ROOT:-}
CHECKSUMS=${NODE_EXPORTER_CHECKSUMS:-$HERE/checksums/node_exporter.sha256}
BASE_URL=${NODE_EXPORTER_BASE_URL:-https://github.com/prometheus/node_exporter/releases/download}

while [ $# -gt 0 ]; do
    case $1 in
    --listen-address) need_arg "$1" "${2:-}"; LISTEN=$2; shift 2 ;;
    --listen-address=*) LISTEN=${1#*=}; shift ;;
    --version) need_arg "$1" "${2:-}"; VERSION=$2; shift 2 ;;
    --tarball) need_arg "$1" "${2:-}"; TARBALL=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --root) need_arg "$1" "${2:-}"; ROOT_OPT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
    esac
done
set_root "$ROOT_OPT"

# --- validate everything before touching anything ---------------------------
[ -n "$LISTEN" ] || usage_error "--listen-address is required: this server's public IP, or 0.0.0.0 behind the firewall"
# Split ADDR[:PORT]; IPv6 must be bracketed, as node_exporter expects.
split_listen_address "$LISTEN" 9100

[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || usage_error "--version '$VERSION' is not a release number like $DEFAULT_VERSION"
case $(uname -m) in
x86_64 | amd64) ARCH=amd64 ;;
aarch64 | arm64) ARCH=arm64 ;;
*) die "unsupported CPU architecture $(uname -m): node_exporter checksums are pinned for amd64 and arm64 only" ;;
esac
case $BASE_URL in https://*) ;; *) die "NODE_EXPORTER_BASE_URL=$BASE_URL: only https:// mirrors are accepted" ;; esac

NAME=node_exporter-$VERSION.linux-$ARCH
FILE=$NAME.tar.gz
[ -r "$CHECKSUMS" ] || die "checksum file $CHECKSUMS is missing or unreadable"
EXPECTED=$(awk -v f="$FILE" '$1 !~ /^#/ && ($2 == f || $2 == "*" f) { print $1; exit }' "$CHECKSUMS")
[ -n "$EXPECTED" ] || die "no pinned SHA-256 for $FILE in $CHECKSUMS: add the line from the release's sha256sums.txt (checked against a second source) before installing $VERSION"
[[ $EXPECTED =~ ^[0-9a-f]{64}$ ]] || die "$CHECKSUMS: the entry for $FILE is not a SHA-256 ('$EXPECTED')"
if [ -n "$TARBALL" ]; then
    if [ ! -f "$TARBALL" ] || [ ! -r "$TARBALL" ]; then die "--tarball $TARBALL: no such readable file"; fi
fi

require_root
make_workdir

step "node_exporter $VERSION ($ARCH), listening on $LISTEN"

# --- 1. the release: up to date, or downloaded and verified ----------------
bin_dest=$(rp "$BIN")
current_bin_sha=
[ -f "$bin_dest" ] && current_bin_sha=$(sha256_of "$bin_dest")
NEED_FETCH=1
if [ -f "$(rp "$MARKER")" ] && [ -n "$current_bin_sha" ]; then
    read -r m_version m_tar_sha m_bin_sha _ <"$(rp "$MARKER")" || true
    if [ "${m_version:-}" = "$VERSION" ] && [ "${m_tar_sha:-}" = "$EXPECTED" ] &&
        [ "${m_bin_sha:-}" = "$current_bin_sha" ]; then
        NEED_FETCH=0
        say "node_exporter $VERSION is installed (binary sha256 $current_bin_sha)"
    fi
fi

NEW_BIN=
if [ "$NEED_FETCH" = 1 ]; then
    tarball=$WORKDIR/$FILE
    if [ -n "$TARBALL" ]; then
        cp "$TARBALL" "$tarball"
    elif [ "$DRY_RUN" = 1 ]; then
        say "[dry-run] would download $BASE_URL/v$VERSION/$FILE and require sha256 $EXPECTED"
        tarball=
    else
        say "downloading $BASE_URL/v$VERSION/$FILE"
        curl -fsSL --proto '=https' --tlsv1.2 --retry 3 --connect-timeout 15 --max-time 600 \
            -o "$tarball" "$BASE_URL/v$VERSION/$FILE" ||
            die "download of $BASE_URL/v$VERSION/$FILE failed; nothing was installed (offline host? fetch it elsewhere and pass --tarball)"
    fi
    if [ -n "$tarball" ]; then
        actual=$(sha256_of "$tarball")
        if [ "$actual" != "$EXPECTED" ]; then
            die "SHA-256 mismatch for $FILE: expected $EXPECTED (pinned in $CHECKSUMS), got $actual. Nothing was installed."
        fi
        say "sha256 verified: $FILE $actual"
        mkdir "$WORKDIR/x"
        tar -xzf "$tarball" -C "$WORKDIR/x" --no-same-owner "$NAME/node_exporter" 2>"$WORKDIR/tar.err" ||
            die "$FILE does not contain $NAME/node_exporter: $(head -1 "$WORKDIR/tar.err")"
        NEW_BIN=$WORKDIR/x/$NAME/node_exporter
        if [ ! -f "$NEW_BIN" ] || [ -L "$NEW_BIN" ]; then die "$FILE: $NAME/node_exporter is not a regular file"; fi
    fi
fi

# --- 2. the system user ----------------------------------------------------
if [ -z "$(passwd_field "$SYSUSER" 3)" ]; then
    act useradd --system --user-group --no-create-home --home-dir / --shell /usr/sbin/nologin \
        --comment "Prometheus node_exporter" "$SYSUSER"
fi

# --- 3. the binary ---------------------------------------------------------
BIN_CHANGED=0
if [ -n "$NEW_BIN" ]; then
    put_file "$BIN" 0755 0:0 "$NEW_BIN" binary
    BIN_CHANGED=$FILE_CHANGED
    printf '%s %s %s\n' "$VERSION" "$EXPECTED" "$(sha256_of "$NEW_BIN")" >"$WORKDIR/marker"
    ensure_dir "$(dirname "$MARKER")" 0755 0:0
    put_file "$MARKER" 0644 0:0 "$WORKDIR/marker" quiet
elif [ "$NEED_FETCH" = 1 ]; then
    # Dry run without a tarball: the binary would be replaced.
    note_change "install $BIN from $FILE (after the SHA-256 check)"
    BIN_CHANGED=1
fi

# --- 4. the systemd unit ---------------------------------------------------
cat >"$WORKDIR/unit" <<EOF
# Managed by scripts/install-node-exporter.sh; local edits are overwritten.
[Unit]
Description=Prometheus node_exporter (host metrics for the monitoring stack)
Documentation=https://github.com/prometheus/node_exporter
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=$SYSUSER
Group=$SYSUSER
ExecStart=$BIN --web.listen-address=$LISTEN --collector.systemd
Restart=always
RestartSec=5s

# Hardening: node_exporter only reads /proc and /sys and answers HTTP.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
# read-only rather than yes: the filesystem collector must still statfs()
# /home when it is a separate mount, or its size would vanish.
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
# No ProtectClock: systemd implements it with a seccomp filter that denies
# the whole @clock group, adjtimex() included even when it only reads
# (modes=0). The timex collector reads the clock's offset and sync state
# that way; without it node_timex_* vanish and HostClockSkew and
# HostClockNotSynchronising can never fire. CapabilityBoundingSet= above
# already takes CAP_SYS_TIME away, so the clock cannot be set anyway.
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
# AF_NETLINK: the netdev/netclass collectors; AF_UNIX: D-Bus for the
# systemd collector.
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
UMask=0077

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
if [ "$BIN_CHANGED" = 1 ] || [ "$UNIT_CHANGED" = 1 ]; then
    act systemctl restart "$SERVICE"
elif ! systemctl is-active --quiet "$SERVICE"; then
    act systemctl start "$SERVICE"
fi

# Debian/Ubuntu's own package listens on the same port.
if systemctl is-active --quiet prometheus-node-exporter.service 2>/dev/null; then
    warn "the distribution's prometheus-node-exporter.service is running too and competes for port $port: systemctl disable --now prometheus-node-exporter"
fi
if [ "$host" = 0.0.0.0 ] || [ "$host" = :: ]; then
    if ! command -v ufw >/dev/null || ! grep -q '^Status: active' <<<"$(ufw status 2>/dev/null)"; then
        warn "node_exporter listens on all addresses but UFW is not active: port $port is open to anyone until scripts/firewall.sh runs"
    fi
fi

if [ "$DRY_RUN" = 0 ]; then
    state=
    for _ in $(seq 1 20); do
        state=$(systemctl is-active "$SERVICE" 2>/dev/null || true)
        [ "$state" = active ] && break
        sleep 0.5
    done
    [ "$state" = active ] || die "$SERVICE is '$state' after starting it: see journalctl -u $SERVICE"
    say "$SERVICE is active, listening on $LISTEN"
fi
finish_summary
