#!/usr/bin/env bash
# A private Docker engine for tests/engine/test_*.sh. Sourced, never executed.
#
# Why a network namespace: compose.yaml fixes its network's subnet
# (172.31.240.0/24, node-exporter listens on its gateway) and publishes
# 80/443. Two checkouts testing at once, or a Docker already on the machine,
# would collide on that subnet, on the docker0 bridge and on iptables chains.
# So this dockerd runs in a network namespace of its own (eng<PORT_BASE>):
# its bridges, iptables rules and published ports live there and nowhere
# else. One veth pair (a /30 derived from PORT_BASE) and one MASQUERADE rule
# on the host let `docker build` reach the Debian mirror apt already uses;
# the default route is removed again before the stack starts, so at run
# time no container can address anything outside the machine.
#
# Layout (both git-ignored):
#   $REPO/.test-engine-<PORT_BASE>/   socket, pidfile, exec-root, logs: removed
#                                     at the end of every run
#   $REPO/.engine-cache/              the debootstrap base image tarball and the
#                                     engine's data-root (image layers only: the
#                                     harness removes every container, volume
#                                     and network at the start and at the end),
#                                     so a warm run rebuilds nothing unchanged.
#                                     ENGINE_CACHE=0 wipes it first.
# Debian's binaries are called by full path (/usr/sbin/dockerd, /usr/bin/docker,
# /usr/bin/docker-compose) with DOCKER_HOST set to our socket: another docker
# client on PATH, or another engine on the machine, is never used.
# Needs root (network namespace, dockerd). SKIP_ENGINE=1 skips the part,
# visibly (tests/engine/test_engine.sh prints a "skip" line and fails nothing).

# Variables set here are read by the scripts that source this file.
# shellcheck disable=SC2034

PORT_BASE=${PORT_BASE:-${TEST_PORT_BASE:-29000}}
ENGINE_DIR=${ENGINE_DIR:-$REPO/.test-engine-$PORT_BASE}
ENGINE_CACHE_DIR=${ENGINE_CACHE_DIR:-$REPO/.engine-cache}
ENGINE_NS=eng$PORT_BASE
ENGINE_SOCK=$ENGINE_DIR/docker.sock
export DOCKER_HOST=unix://$ENGINE_SOCK
# The veth pair's /30, from PORT_BASE: 10.213.<PORT_BASE/100 mod 256>.0/30.
ENGINE_NET_OCTET=$(((PORT_BASE / 100) % 256))
ENGINE_HOST_IP=10.213.$ENGINE_NET_OCTET.1
ENGINE_NS_IP=10.213.$ENGINE_NET_OCTET.2
ENGINE_VETH=vh$PORT_BASE
ENGINE_NAT_COMMENT="engine-test-$PORT_BASE"
# Inside the namespace only; chosen away from compose.yaml's 172.31.240.0/24.
ENGINE_BIP=172.29.0.1/24
ENGINE_POOL=172.30.0.0/16
# Published host ports of the engine part: PORT_BASE+800 .. +809 (read by
# the scripts that source this file).
# shellcheck disable=SC2034
ENGINE_PORT_PROMETHEUS=$((PORT_BASE + 800))
ENGINE_PORT_ALERTMANAGER=$((PORT_BASE + 801))
ENGINE_PORT_HTTP=$((PORT_BASE + 802))
ENGINE_PORT_HTTPS=$((PORT_BASE + 803))
ENGINE_PORT_SSH=$((PORT_BASE + 804))

DOCKER=(/usr/bin/docker)
COMPOSE=(/usr/bin/docker-compose)

elog() { printf '# %s\n' "$*"; }

# in_ns CMD...: run CMD inside the engine's network namespace (nsenter, not
# "ip netns exec", which remounts /sys and so hides the cgroup hierarchies
# dockerd needs; reaches the
# ports the engine publishes, and container addresses).
in_ns() { nsenter --net="/run/netns/$ENGINE_NS" "$@"; }

# engine_preflight: why this machine cannot run the engine, or nothing.
engine_preflight() {
    [ "$(id -u)" = 0 ] || { echo "the engine part needs root (dockerd, network namespace); SKIP_ENGINE=1 skips it"; return 1; }
    local b
    for b in /usr/sbin/dockerd /usr/bin/docker /usr/bin/docker-compose /usr/sbin/debootstrap /usr/bin/containerd /usr/sbin/runc; do
        [ -x "$b" ] || { echo "$b is missing: tests/install-deps.sh installs docker.io, docker-compose and debootstrap"; return 1; }
    done
    mkdir -p "$ENGINE_CACHE_DIR"
    local free_mb
    free_mb=$(df -Pm "$ENGINE_CACHE_DIR" | awk 'NR == 2 { print $4 }')
    [ "${free_mb:-0}" -ge 4096 ] || { echo "only ${free_mb} MB free under $ENGINE_CACHE_DIR: the engine part needs 4 GB (images, base rootfs)"; return 1; }
    # The /30 must not overlap anything routed on this machine.
    if ip -4 addr show | grep -q "inet 10\.213\.$ENGINE_NET_OCTET\." && ! ip link show "$ENGINE_VETH" >/dev/null 2>&1; then
        echo "10.213.$ENGINE_NET_OCTET.0/30 (derived from PORT_BASE=$PORT_BASE) is already in use on this machine; choose another TEST_PORT_BASE"
        return 1
    fi
    return 0
}

# engine_net_up: the namespace, the veth pair, NAT for `docker build`.
engine_net_up() {
    ip netns add "$ENGINE_NS" || return 1
    in_ns ip link set lo up || return 1
    ip link add "$ENGINE_VETH" type veth peer name eth0 netns "$ENGINE_NS" || return 1
    ip addr add "$ENGINE_HOST_IP/30" dev "$ENGINE_VETH" && ip link set "$ENGINE_VETH" up || return 1
    in_ns ip addr add "$ENGINE_NS_IP/30" dev eth0 && in_ns ip link set eth0 up || return 1
    engine_route_out on || return 1
    # Forwarding on the host (what any dockerd sets too), and NAT for the /30 only.
    sysctl -q -w net.ipv4.ip_forward=1 >/dev/null || return 1
    iptables -t nat -A POSTROUTING -s "$ENGINE_NS_IP/32" ! -o "$ENGINE_VETH" \
        -m comment --comment "$ENGINE_NAT_COMMENT" -j MASQUERADE || return 1
    iptables -I FORWARD -i "$ENGINE_VETH" -m comment --comment "$ENGINE_NAT_COMMENT" -j ACCEPT || return 1
    iptables -I FORWARD -o "$ENGINE_VETH" -m conntrack --ctstate ESTABLISHED,RELATED \
        -m comment --comment "$ENGINE_NAT_COMMENT" -j ACCEPT || return 1
}

# engine_route_out on|off: the namespace's way out (to the Debian mirror
# during builds). Off while the stack runs: nothing leaves the machine.
engine_route_out() {
    if [ "$1" = on ]; then
        in_ns ip route replace default via "$ENGINE_HOST_IP" dev eth0
    else
        in_ns ip route del default 2>/dev/null || true
    fi
}

engine_net_down() {
    local spec
    for spec in "-t nat -D POSTROUTING -s $ENGINE_NS_IP/32 ! -o $ENGINE_VETH -m comment --comment $ENGINE_NAT_COMMENT -j MASQUERADE" \
        "-D FORWARD -i $ENGINE_VETH -m comment --comment $ENGINE_NAT_COMMENT -j ACCEPT" \
        "-D FORWARD -o $ENGINE_VETH -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment $ENGINE_NAT_COMMENT -j ACCEPT"; do
        # shellcheck disable=SC2086 # one rule spec, split on purpose
        while iptables $spec 2>/dev/null; do :; done
    done
    ip link del "$ENGINE_VETH" 2>/dev/null
    ip netns del "$ENGINE_NS" 2>/dev/null
    return 0
}

# engine_start: dockerd in the namespace; waits (bounded) until it answers.
engine_start() {
    mkdir -p "$ENGINE_DIR" "$ENGINE_CACHE_DIR"
    [ "${ENGINE_CACHE:-1}" = 0 ] && rm -rf "$ENGINE_CACHE_DIR/docker"
    mkdir -p "$ENGINE_CACHE_DIR/docker"
    engine_net_up || { echo "cannot set up network namespace $ENGINE_NS"; return 1; }
    # The socket's group is "docker": the deploy test's user reaches it through that.
    getent group docker >/dev/null || groupadd --system docker
    # Its own mount namespace too, with / shared as on a systemd host:
    # node-exporter mounts / with rslave, which a private / refuses; and
    # every mount dockerd makes vanishes with it. The exec chain keeps $!
    # dockerd's own PID.
    # shellcheck disable=SC2016 # $0/$@ expand in the inner shell
    unshare --mount --propagation private sh -c 'mount --make-rshared / && exec "$0" "$@"' \
        nsenter --net="/run/netns/$ENGINE_NS" /usr/sbin/dockerd \
        --data-root "$ENGINE_CACHE_DIR/docker" --exec-root "$ENGINE_DIR/exec" \
        -H "unix://$ENGINE_SOCK" --pidfile "$ENGINE_DIR/dockerd.pid" --group docker \
        --storage-driver overlay2 --bip "$ENGINE_BIP" \
        --default-address-pool "base=$ENGINE_POOL,size=24" \
        --log-level warn >"$ENGINE_DIR/dockerd.log" 2>&1 &
    echo $! >"$ENGINE_DIR/dockerd.launch-pid"
    local i
    for i in $(seq 1 120); do
        if "${DOCKER[@]}" version >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$(cat "$ENGINE_DIR/dockerd.launch-pid")" 2>/dev/null || break
        sleep 0.5
    done
    echo "dockerd did not start (log $ENGINE_DIR/dockerd.log):"
    tail -20 "$ENGINE_DIR/dockerd.log"
    return 1
}

# engine_clean_state: no container, volume or network survives a run (the
# image layers in the data-root are the cache).
engine_clean_state() {
    local ids
    ids=$("${DOCKER[@]}" ps -aq 2>/dev/null)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && "${DOCKER[@]}" rm -f -v $ids >/dev/null 2>&1
    "${DOCKER[@]}" volume prune -f >/dev/null 2>&1
    "${DOCKER[@]}" network prune -f >/dev/null 2>&1
    return 0
}

# engine_stop: dockerd stopped by its PID (bounded wait, then SIGKILL), the
# namespace and the run directory removed.
engine_stop() {
    local pid=''
    [ -f "$ENGINE_DIR/dockerd.pid" ] && pid=$(cat "$ENGINE_DIR/dockerd.pid")
    [ -z "$pid" ] && [ -f "$ENGINE_DIR/dockerd.launch-pid" ] && pid=$(cat "$ENGINE_DIR/dockerd.launch-pid")
    engine_sshd_stop
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        "${DOCKER[@]}" version >/dev/null 2>&1 && engine_clean_state
        kill -TERM "$pid"
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    # dockerd's own containerd (its pid file lives in the exec-root).
    local cpid f=$ENGINE_DIR/exec/containerd/containerd.pid
    if [ -f "$f" ]; then
        cpid=$(cat "$f")
        if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
            kill -TERM "$cpid"
            for _ in $(seq 1 20); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.5; done
        fi
    fi
    # Mounts dockerd may leave behind under its directories.
    grep -oE " ($ENGINE_DIR|$ENGINE_CACHE_DIR/docker)[^ ]*" /proc/mounts | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    engine_net_down
    rm -rf "$ENGINE_DIR"
}

# ---- images ---------------------------------------------------------------

# The Debian mirror apt uses on this machine (first deb.debian.org-style URI
# for bookworm in /etc/apt/sources.list*).
engine_mirror() {
    local m
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
    if [ -z "$m" ]; then
        m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
            /^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") s = 1 }
            /^$/ { if (s && u) { print u; exit } u = ""; s = 0 }
            END { if (s && u) print u }' | head -1)
    fi
    printf '%s' "${m:-http://deb.debian.org/debian}"
}

# engine_base_image: debian:12-slim in this engine = Debian 12 minbase from
# debootstrap (a stand-in for the official slim image, which cannot be
# pulled here), tagged also as every debian:* the Dockerfiles' FROM lines
# name. The rootfs tarball is cached in $ENGINE_CACHE_DIR.
engine_base_image() {
    local mirror tar=$ENGINE_CACHE_DIR/debian12-minbase.tar root
    mirror=$(engine_mirror)
    if [ ! -s "$tar" ] || [ "$(cat "$tar.mirror" 2>/dev/null)" != "$mirror" ]; then
        elog "debootstrap --variant=minbase bookworm from $mirror (cached afterwards in $tar)"
        root=$ENGINE_CACHE_DIR/rootfs.tmp
        rm -rf "$root"
        debootstrap --variant=minbase bookworm "$root" "$mirror" >"$ENGINE_DIR/debootstrap.log" 2>&1 ||
            { tail -20 "$ENGINE_DIR/debootstrap.log"; rm -rf "$root"; return 1; }
        # What the official image adds: the same suites, no daemons started
        # by package scripts, no apt caches kept.
        printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$root/etc/apt/sources.list"
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 755 "$root/usr/sbin/policy-rc.d"
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
        tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar" && printf '%s' "$mirror" >"$tar.mirror"
        rm -rf "$root"
    fi
    local want have
    want=$(sha256sum "$tar" | cut -c1-16)
    have=$("${DOCKER[@]}" image inspect -f '{{index .Config.Labels "engine.rootfs"}}' debian:12-slim 2>/dev/null)
    if [ "$want" != "$have" ]; then
        "${DOCKER[@]}" import -c 'CMD ["bash"]' -c "LABEL engine.rootfs=$want" "$tar" debian:12-slim >/dev/null || return 1
    fi
    "${DOCKER[@]}" tag debian:12-slim engine-standin/debian12-minbase
    # Every debian:* base the project's Dockerfiles name (a pinned snapshot tag).
    local from
    while read -r from; do
        "${DOCKER[@]}" tag debian:12-slim "$from" || return 1
    done < <(awk '$1 == "FROM" && $2 ~ /^debian:/ { print $2 }' "$REPO"/src/*/Dockerfile | sort -u)
}

# The images compose.yaml names, and the stand-in each one is built as.
ENGINE_STANDINS=(prometheus alertmanager node-exporter caddy config-init postgres smtp-sink nodata)

# engine_tls: the test CA and the SMTP sink's certificate (name smtp-sink),
# made once and cached, so the images that carry them stay cached too.
engine_tls() {
    local d=$ENGINE_CACHE_DIR/tls
    [ -s "$d/smtp-sink.crt" ] && return 0
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=engine test CA" \
            -keyout test-ca.key -out test-ca.crt &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=smtp-sink" -keyout smtp-sink.key -out smtp-sink.csr &&
            printf 'subjectAltName=DNS:smtp-sink\n' >san.ext &&
            openssl x509 -req -in smtp-sink.csr -CA test-ca.crt -CAkey test-ca.key -CAcreateserial \
                -days 3650 -extfile san.ext -out smtp-sink.crt
    ) >"$ENGINE_DIR/tls.log" 2>&1 || { cat "$ENGINE_DIR/tls.log"; return 1; }
}

# engine_build_images: the project's Dockerfiles and the stand-ins; docker
# build's own layer cache (kept in the data-root) makes a warm run quick.
engine_build_images() {
    local s ctx
    engine_tls || return 1
    # Every src/*/Dockerfile, tagged as compose.yaml's service that builds it
    # names its image (queue-exporter, daily-report, and the doctor of the
    # "tools" profile).
    local df tag
    for df in "$REPO"/src/*/Dockerfile; do
        df=${df#"$REPO"/}
        tag=$(awk -v df="$df" '$1 == "dockerfile:" && $2 == df { f = 1; next }
            f && $1 == "image:" { print $2; exit }' "$REPO/compose.yaml")
        [ -n "$tag" ] || { echo "no compose.yaml service builds $df (dockerfile: then image:)"; return 1; }
        "${DOCKER[@]}" build -q -f "$REPO/$df" -t "$tag" "$REPO" >"$ENGINE_DIR/build.log" 2>&1 ||
            { tail -30 "$ENGINE_DIR/build.log"; echo "docker build $df failed"; return 1; }
    done
    for s in "${ENGINE_STANDINS[@]}"; do
        ctx=$ENGINE_DIR/ctx/$s
        rm -rf "$ctx" && mkdir -p "$ctx" && cp -a "$REPO/tests/engine/images/$s/." "$ctx/"
        case $s in
        alertmanager) cp "$ENGINE_CACHE_DIR/tls/test-ca.crt" "$ctx/" ;;
        smtp-sink)
            cp "$REPO/local/smtp-sink.py" "$ENGINE_CACHE_DIR/tls/smtp-sink.crt" "$ENGINE_CACHE_DIR/tls/smtp-sink.key" "$ctx/"
            ;;
        esac
        # Same mtime every run: the layer cache keys COPY on content and metadata.
        find "$ctx" -exec touch -h -d @0 {} +
        "${DOCKER[@]}" build -q -t "engine-standin/$s" "$ctx" >"$ENGINE_DIR/build.log" 2>&1 ||
            { tail -30 "$ENGINE_DIR/build.log"; echo "docker build tests/engine/images/$s failed"; return 1; }
    done
}

# ---- a loopback "Server F" for scripts/deploy.sh -------------------------------------

ENGINE_SSH_USER=engd$PORT_BASE
ENGINE_SSH_DIR=$ENGINE_DIR/ssh

# engine_adapter TEST_DIR: $ENGINE_DIR/bin/docker, the test harness's
# `docker compose` -> docker-compose 1.29 adapter (the deploy user's PATH
# finds it first). It hands every other command to Debian's docker, and
# for compose: runs the file given with -f through derive-compose.py (the
# test's image/port changes, nothing else), and answers `config --format
# json` (a Compose v2 form) from 1.29's YAML, volumes in v2's long syntax.
engine_adapter() {
    local test_dir=$1
    mkdir -p "$ENGINE_DIR/bin"
    cat >"$ENGINE_DIR/bin/docker" <<ADAPTER
#!/bin/bash
# Test harness only (tests/engine/engine.sh): docker compose -> docker-compose 1.29.
[ "\${1:-}" = compose ] || exec /usr/bin/docker "\$@"
shift
args=() file=''
while [ \$# -gt 0 ]; do
    case \$1 in
    -f | --file) file=\$2; shift 2 ;;
    -p | --project-name | --project-directory | --env-file | --profile) args+=("\$1" "\$2"); shift 2 ;;
    *) break ;;
    esac
done
if [ "\${1:-}" = version ]; then echo "docker-compose \$(/usr/bin/docker-compose version --short) (test adapter)"; exit 0; fi
tmp=\$(mktemp -d)
trap 'rm -rf "\$tmp"' EXIT
if [ -n "\$file" ]; then
    /usr/bin/python3 $REPO/tests/engine/derive-compose.py derive "\$file" $PORT_BASE $test_dir >"\$tmp/c.yml" 2>/dev/null || exit 1
    args+=(-f "\$tmp/c.yml")
fi
if [ "\${1:-}" = config ] && [ "\${2:-}" = --format ]; then
    /usr/bin/docker-compose "\${args[@]}" config | /usr/bin/python3 $REPO/tests/engine/derive-compose.py v2json
    exit "\${PIPESTATUS[0]}"
fi
/usr/bin/docker-compose "\${args[@]}" "\$@"
ADAPTER
    chmod 755 "$ENGINE_DIR/bin/docker"
}

# engine_sshd: Debian's sshd on 127.0.0.1:$ENGINE_PORT_SSH, key-only, one
# test user (no password: "*", not locked) in the docker group whose sessions get DOCKER_HOST and the
# adapter on PATH. Prints nothing; the client key is $ENGINE_SSH_DIR/id.
engine_sshd() {
    mkdir -p "$ENGINE_SSH_DIR" /run/sshd
    chmod 755 "$ENGINE_SSH_DIR"
    id "$ENGINE_SSH_USER" >/dev/null 2>&1 ||
        useradd --password '*' --no-create-home --home-dir "$ENGINE_DIR/home" --shell /bin/bash --groups docker "$ENGINE_SSH_USER" || return 1
    mkdir -p "$ENGINE_DIR/home" "$ENGINE_DIR/srv"
    chown "$ENGINE_SSH_USER:" "$ENGINE_DIR/home" "$ENGINE_DIR/srv"
    ssh-keygen -q -t ed25519 -N '' -f "$ENGINE_SSH_DIR/host_key" || return 1
    ssh-keygen -q -t ed25519 -N '' -f "$ENGINE_SSH_DIR/id" || return 1
    cp "$ENGINE_SSH_DIR/id.pub" "$ENGINE_SSH_DIR/authorized_keys"
    chmod 644 "$ENGINE_SSH_DIR/authorized_keys"
    cat >"$ENGINE_SSH_DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $ENGINE_PORT_SSH
HostKey $ENGINE_SSH_DIR/host_key
PidFile $ENGINE_SSH_DIR/sshd.pid
AuthorizedKeysFile $ENGINE_SSH_DIR/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $ENGINE_SSH_USER
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=$DOCKER_HOST PATH=$ENGINE_DIR/bin:/usr/bin:/bin
CONF
    /usr/sbin/sshd -t -f "$ENGINE_SSH_DIR/sshd_config" || return 1
    /usr/sbin/sshd -D -e -f "$ENGINE_SSH_DIR/sshd_config" >"$ENGINE_SSH_DIR/sshd.log" 2>&1 &
    echo $! >"$ENGINE_SSH_DIR/sshd.launch-pid"
    local _
    for _ in $(seq 1 40); do
        ssh -i "$ENGINE_SSH_DIR/id" -p "$ENGINE_PORT_SSH" -o BatchMode=yes -o StrictHostKeyChecking=no \
            -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$ENGINE_SSH_USER@127.0.0.1" true 2>/dev/null && return 0
        sleep 0.5
    done
    cat "$ENGINE_SSH_DIR/sshd.log"
    return 1
}

engine_sshd_stop() {
    local pid
    pid=$(cat "$ENGINE_SSH_DIR/sshd.launch-pid" 2>/dev/null) || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    # The test user's session processes are children of that sshd; the user goes too.
    id "$ENGINE_SSH_USER" >/dev/null 2>&1 && userdel "$ENGINE_SSH_USER" 2>/dev/null
    return 0
}
