#!/usr/bin/env bash
# Installs what the loopback stack and the tests need on a fresh Debian 12
# machine: Debian packages (needs root, or sudo) and the pinned npm test tools
# from package-lock.json. Safe to run again.
#   tests/install-deps.sh          everything (make test)
#   tests/install-deps.sh --demo   only what building and running the demo needs
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
MODE=${1:-all}

DEMO_PACKAGES=(
    make gcc pkg-config
    libmicrohttpd-dev libpq-dev libcurl4-openssl-dev libcjson-dev libjansson-dev
    libinih-dev libyaml-dev libcairo2-dev libpng-dev
    prometheus prometheus-alertmanager prometheus-node-exporter postgresql postgresql-client
    caddy python3-aiosmtpd curl jq ca-certificates openssl iproute2 procps bsdextrautils
    prometheus-blackbox-exporter
)
APT_PACKAGES=(
    # build
    make gcc pkg-config clang-format cppcheck valgrind
    libmicrohttpd-dev libpq-dev libcurl4-openssl-dev libcjson-dev libjansson-dev
    libinih-dev libyaml-dev libcairo2-dev libpng-dev libcmocka-dev
    # the real components run on loopback
    prometheus prometheus-alertmanager prometheus-node-exporter
    prometheus-postgres-exporter postgresql postgresql-client caddy
    prometheus-blackbox-exporter # external probes (local/probes.txt)
    python3-aiosmtpd python3-prometheus-client python3-psycopg2 python3-yaml
    openssh-server sudo
    # tools the tests call
    curl jq ca-certificates openssl iproute2 procps bsdextrautils shellcheck yamllint
    wrk hyperfine chromium poppler-utils file
    python3-pil fonts-dejavu-core # daily-report: decode PNGs/screenshots; the charts' font
    git util-linux # host-script tests: deploy ships git-tracked files; unshare for sshd -t
    docker.io docker-compose debootstrap # tests/engine: a private Docker engine
    ufw iptables openssh-client systemd # firewall.sh on real netfilter in network namespaces
    python3-seccomp # the node_exporter unit's clock filter, reproduced
)

[ "$MODE" = --demo ] && APT_PACKAGES=("${DEMO_PACKAGES[@]}")
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
done
# Node.js: any node/npm on PATH will do (a machine may carry its own build,
# which Debian's npm package would conflict with); Debian's otherwise.
if [ "$MODE" != --demo ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "installing from Debian's archive: ${missing[*]}"
    $SUDO apt-get update -qq
    # Debian's packages start their daemons under systemd; on a machine with
    # systemd we stop them again right away: the stack runs its own copies
    # on its own ports.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
        for s in prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter caddy postgresql; do
            $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
        done
        # The engine tests start a dockerd of their own; a system Docker that
        # this run just installed is stopped again (one already there is left alone).
        if [[ " ${missing[*]} " == *" docker.io "* ]]; then
            $SUDO systemctl disable --now docker.socket docker containerd >/dev/null 2>&1 || true
        fi
    fi
fi

if [ "$MODE" != --demo ] && { [ ! -d "$REPO/node_modules/ajv-cli" ] || [ ! -d "$REPO/node_modules/s3rver" ] ||
    [ ! -d "$REPO/node_modules/@grafana/schema" ]; }; then
    echo "installing the npm test tools (package-lock.json)"
    (cd "$REPO" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
echo "dependencies present"
