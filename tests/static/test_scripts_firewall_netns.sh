#!/usr/bin/env bash
# scripts/firewall.sh on real netfilter: real ufw, iptables/ip6tables (nf_tables),
# sshd, ss and node_exporter, in network namespaces this test creates. Each
# namespace is a "host" on a private LAN (10.77.0.0/24, fd77::/64, nothing
# routed outside); its file system is the host's with /etc/ssh, /etc/ufw and
# /etc/default/ufw replaced by the test's copies (tests/fixtures/netns/enter.sh).
#   A  a monitored server: node_exporter :9100, the cAdvisor stand-in :8080, sshd
#   F  Server F: scrapes A from 10.77.0.10 / fd77::10; in --server-f mode it also
#      carries the compose bridge (172.31.240.1/24) with a "Prometheus" and a
#      "cAdvisor" container namespace on it, and node_exporter on the gateway
#   X  any other address on the internet (10.77.0.99 / fd77::99)
# Every probe is printed ("# tried: ...") with its outcome. A dropped packet
# shows as curl's connect timeout (exit 28), told apart from "refused" (7), and
# each port is first shown reachable without the firewall.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

START=$SECONDS
P="fw${TEST_PORT_BASE:-29000}-" # every namespace this test makes starts with this
ENTER=$REPO/tests/fixtures/netns/enter.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/firewall-netns.XXXXXX")
PIDS=()
A4=10.77.0.11 A6=fd77::11 F4=10.77.0.10 F6=fd77::10 X4=10.77.0.99 X6=fd77::99

for tool in ip iptables-save ip6tables-save ufw sshd ssh-keyscan ss curl prometheus-node-exporter systemd-socket-activate; do
    command -v "$tool" >/dev/null || { not_ok "$tool is installed (tests/install-deps.sh)"; finish; }
done

# Only namespaces with our prefix, only processes we started (by PID).
cleanup() {
    local pid ns
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    PIDS=()
    for ns in $(ip netns list | awk '{print $1}' | grep "^$P" || true); do ip netns del "$ns"; done
}
trap 'cleanup; rm -rf "$T"' EXIT
cleanup # leftovers of an interrupted run with the same prefix

host_sum() { sha256sum /etc/ufw/*.rules /etc/ufw/ufw.conf /etc/default/ufw 2>/dev/null | sha256sum; }
HOST_BEFORE=$(host_sum)
HOST_RULES_BEFORE=$(iptables-save 2>/dev/null | grep -c '^-A' || true)

# --- the LAN and its hosts -----------------------------------------------------------
ip netns add "${P}lan"
ip -n "${P}lan" link add br0 type bridge
ip -n "${P}lan" link set br0 up
# add_host NAME IPV4 IPV6: a namespace with eth0 on the LAN.
add_host() {
    local n=$1 mac
    # One fixed MAC per host name: a re-created host keeps its address, so
    # its neighbours' caches stay right.
    mac=$(printf '%s' "$n" | sha256sum | sed 's/^\(..\)\(..\)\(..\).*/02:77:00:\1:\2:\3/')
    ip netns add "$P$n"
    # A re-created host: the kernel tears a deleted namespace down in the
    # background, and until then its veth's LAN end still holds the name
    # (under load "File exists", then a host without eth0 whose sshd cannot
    # bind its address). Deleting that end removes both at once.
    if ip -n "${P}lan" link show "v$n" >/dev/null 2>&1; then ip -n "${P}lan" link del "v$n"; fi
    ip link add eth0 address "$mac" netns "$P$n" type veth peer name "v$n" netns "${P}lan"
    ip -n "${P}lan" link set "v$n" master br0 up
    ip -n "$P$n" link set lo up
    ip -n "$P$n" addr add "$2/24" dev eth0
    ip -n "$P$n" addr add "$3/64" dev eth0 nodad
    ip -n "$P$n" link set eth0 up
    ip -n "$P$n" -br addr show dev eth0 | grep -q "$2/24.*$3/64" ||
        not_ok "host $n has eth0 with $2 and $3" "$(ip -n "$P$n" -br addr 2>&1)"
}
# make_root NAME: the host's file system copies: sshd and ufw configuration.
make_root() {
    local r=$T/$1
    rm -rf "$r"
    mkdir -p "$r/etc/ssh/sshd_config.d" "$r/etc/default"
    cp -a /etc/ufw "$r/etc/ufw"
    # ufw as the package ships it: no rules, disabled.
    cp /usr/share/ufw/user.rules /usr/share/ufw/user6.rules "$r/etc/ufw/"
    cp /usr/share/ufw/ufw.conf "$r/etc/ufw/ufw.conf"
    cp /etc/default/ufw "$r/etc/default/ufw"
    sed -i 's/^DEFAULT_INPUT_POLICY=.*/DEFAULT_INPUT_POLICY="DROP"/; s/^IPV6=.*/IPV6=yes/' "$r/etc/default/ufw"
    touch "$r/etc/ufw/.netns-test-root" "$r/etc/ssh/.netns-test-root"
    ssh-keygen -q -t ed25519 -N '' -C "host $1" -f "$r/etc/ssh/ssh_host_ed25519_key"
    cat >"$r/etc/ssh/sshd_config" <<'EOF'
Include /etc/ssh/sshd_config.d/*.conf
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
EOF
}
# on NAME CMD...: run CMD on that host.
on() { local n=$1; shift; ip netns exec "$P$n" bash "$ENTER" "$T/$n" "$@"; }
# start NAME CMD...: a background process on that host; its PID is recorded.
start() {
    local n=$1; shift
    ip netns exec "$P$n" bash "$ENTER" "$T/$n" "$@" >>"$T/$n.log" 2>&1 &
    PIDS+=($!)
}
listening() { ip netns exec "$P$1" ss -Hltn "sport = :$2" | grep -q .; }
wait_listen() {
    eventually 20 listening "$1" "$2" || { not_ok "$1 listens on $2" "$(tail -5 "$T/$1.log")"; return 1; }
}

# --- probes -----------------------------------------------------------------------------------
# http_rc FROM ADDR PORT: curl's exit status (0 reached, 7 refused, 28 timed out).
http_rc() {
    local host=$2
    [[ $host == *:* ]] && host="[$host]"
    ip netns exec "$P$1" curl -s -o /dev/null --connect-timeout 3 --max-time 10 "http://$host:$3/metrics"
    echo $?
}
expect_http() { # open|dropped FROM FROM_ADDR ADDR PORT WHAT
    local want=$1 rc
    rc=$(http_rc "$2" "$4" "$5")
    echo "# tried: from $2 ($3) to $4 port $5 ($6): curl exit $rc ($(case $rc in 0) echo reached ;; 7) echo refused ;; 28) echo 'timed out: dropped' ;; *) echo other ;; esac))"
    if [ "$want" = open ]; then
        assert_eq "$6: $4:$5 reachable from $2 ($3)" 0 "$rc"
    else
        assert_eq "$6: $4:$5 dropped for $2 ($3)" 28 "$rc"
    fi
}
# expect_ssh FROM ADDR PORT HOST: ssh-keyscan completes the key exchange and
# gets that host's key.
expect_ssh() {
    local out='' key try
    # Up to three attempts (a busy machine): a firewall that drops SSH fails all three.
    for try in 1 2 3; do
        out=$(ip netns exec "$P$1" ssh-keyscan -T 10 -t ed25519 -p "$3" "$2" 2>/dev/null)
        [ -n "$out" ] && break
        echo "# ssh-keyscan attempt $try from $1 to $2 port $3: no answer"
    done
    key=$(cut -d' ' -f2 "$T/$4/etc/ssh/ssh_host_ed25519_key.pub")
    echo "# tried: ssh-keyscan from $1 to $2 port $3: $([ -n "$out" ] && echo 'host key received' || echo 'no answer')"
    assert_contains "SSH on $4 reachable from $1 at $2 port $3 (host key of $4)" "$out$(tail -3 "$T/$4.log")" "$key"
}
# ruleset NAME: the firewall as netfilter has it (v4 and v6), without counters.
ruleset() { ip netns exec "$P$1" sh -c 'iptables-save; ip6tables-save' | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'; }
# firewall NAME ARGS...: run the script on that host; OUT, RC.
firewall() {
    local n=$1; shift
    echo "# run on $n: scripts/firewall.sh $*"
    RC=0
    OUT=$(on "$n" timeout 120 bash "$REPO/scripts/firewall.sh" "$@" 2>&1) || RC=$?
    printf '%s\n' "$OUT" | grep -E '^(SSH:|\+ ufw|firewall: )' | sed 's/^/#   /'
}

add_host F $F4 $F6
add_host X $X4 $X6
make_root F
make_root X
ssh_port_conf() { printf '%s\n' "$2" >"$T/$1/etc/ssh/sshd_config.d/10-port.conf"; }

# new_A CASE: a fresh host A (namespace, files, exporters).
new_A() {
    ip netns list | grep -q "^${P}A\b" && ip netns del "${P}A"
    add_host A $A4 $A6
    # The new A has a new MAC: forget the old one's (else the first packets
    # go to a port that no longer exists until neighbour discovery times out).
    ip -n "${P}X" neigh flush all
    ip -n "${P}F" neigh flush all
    make_root A
    start A prometheus-node-exporter --web.listen-address=:9100 --collector.disable-defaults --collector.time
    start A /usr/bin/python3 "$REPO/local/cadvisor-fixture.py" --listen "[::]:8080" --fixture "$REPO/local/fixtures/cadvisor-metrics.txt"
    wait_listen A 9100 && wait_listen A 8080
}
stop_A() {
    cleanup_pids
    # The veth first (synchronous), then the namespace (torn down later).
    ip -n "${P}lan" link del vA 2>/dev/null
    ip netns del "${P}A"
}
cleanup_pids() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    PIDS=()
}

# === 1. a monitored server, sshd on 22 ===================================================
echo "# --- A: sshd on 22, firewall --server-f-ip $F4 --scrape-source $F6"
new_A
start A /usr/sbin/sshd -D -e
wait_listen A 22
expect_http open X $X4 $A4 9100 "before the firewall (control)"
expect_http open X $X6 $A6 8080 "before the firewall (control)"
firewall A --server-f-ip $F4 --scrape-source $F6
assert_eq "firewall.sh on A exits 0" 0 "$RC"
assert_contains "ufw is active on A" "$(on A ufw status)" "Status: active"
for pair in "$F4 $A4" "$F6 $A6"; do
    read -r src dst <<<"$pair"
    expect_http open F "$src" "$dst" 9100 "node_exporter from Server F"
    expect_http open F "$src" "$dst" 8080 "cAdvisor from Server F"
done
for pair in "$X4 $A4" "$X6 $A6"; do
    read -r src dst <<<"$pair"
    expect_http dropped X "$src" "$dst" 9100 "node_exporter from elsewhere"
    expect_http dropped X "$src" "$dst" 8080 "cAdvisor from elsewhere"
done
expect_ssh X $A4 22 A
expect_ssh X $A6 22 A
before=$(ruleset A)
firewall A --server-f-ip $F4 --scrape-source $F6
assert_eq "second run exits 0" 0 "$RC"
assert_contains "second run: no changes" "$OUT" "firewall: no changes"
assert_eq "second run: netfilter rules identical (IPv4 and IPv6)" "$before" "$(ruleset A)"

# An unapplied Port change while UFW is active: refused, nothing changes.
echo "# --- A: Port 2222 written to sshd_config.d, sshd not restarted (still on 22), UFW active"
ssh_port_conf A "Port 2222"
firewall A --server-f-ip $F4 --scrape-source $F6
assert_eq "active UFW, sshd on 22, config 2222: refused" 1 "$RC"
assert_contains "the refusal names both ports" "$OUT" "sshd listens on port(s) 22 (ss -ltnp) but its configuration says 2222"
assert_eq "refusal: netfilter rules unchanged" "$before" "$(ruleset A)"
expect_ssh X $A4 22 A
stop_A

# === 2. SSH on other ports ===================================================================
# ssh_case NAME PORT CONF LAUNCH...: UFW inactive, sshd started by LAUNCH with
# CONF; the firewall must keep SSH reachable over IPv4 and IPv6, twice.
ssh_case() {
    local name=$1 port=$2 conf=$3
    shift 3
    echo "# --- A: $name"
    new_A
    ssh_port_conf A "$conf"
    start A "$@"
    wait_listen A "$port" || return
    expect_ssh X $A4 "$port" A
    firewall A --server-f-ip $F4 --scrape-source $F6
    assert_eq "$name: firewall.sh exits 0" 0 "$RC"
    assert_contains "$name: the SSH rule is for port $port" "$OUT" "+ ufw allow $port/tcp comment 'monitoring: ssh'"
    expect_ssh X $A4 "$port" A
    expect_ssh X $A6 "$port" A
    expect_http dropped X $X4 $A4 9100 "$name: node_exporter from elsewhere"
    local before
    before=$(ruleset A)
    firewall A --server-f-ip $F4 --scrape-source $F6
    assert_contains "$name: second run changes nothing" "$OUT" "firewall: no changes"
    assert_eq "$name: second run: netfilter rules identical" "$before" "$(ruleset A)"
    stop_A
}
ssh_case "Port 2222" 2222 "Port 2222" /usr/sbin/sshd -D -e
ssh_case "ListenAddress host:port (2200), Port unset" 2200 "ListenAddress $A4:2200
ListenAddress [$A6]:2200" /usr/sbin/sshd -D -e
# Socket activation as Ubuntu 24.04's ssh.socket does it: another process
# holds the listening socket and starts sshd per connection.
ssh_case "socket-activated sshd on 2022 (systemd-socket-activate, sshd -i)" 2022 "Port 2022" \
    systemd-socket-activate --accept --inetd -l 2022 /usr/sbin/sshd -i -e

# An unapplied change with UFW inactive: refused before anything is changed.
echo "# --- A: sshd on 22, configuration says 2222, UFW inactive"
new_A
start A /usr/sbin/sshd -D -e
wait_listen A 22
ssh_port_conf A "Port 2222"
before=$(ruleset A)
firewall A --server-f-ip $F4
assert_eq "inactive UFW, sshd on 22, config 2222: refused" 1 "$RC"
assert_eq "refusal: netfilter untouched" "$before" "$(ruleset A)"
assert_contains "refusal: ufw still inactive" "$(on A ufw status)" "Status: inactive"
expect_ssh X $A4 22 A
stop_A

# === 3. Server F itself ===================================================================
echo "# --- F: compose bridge 172.31.240.1/24, node_exporter on the gateway, firewall --server-f"
# The compose network as Docker builds it: a bridge with the gateway address,
# one veth per container, forwarding on, br_netfilter on, and Docker 20.10's
# FORWARD rules for the bridge (dockerd cannot run inside this namespace).
ip -n "${P}F" link add br-mon type bridge
ip -n "${P}F" addr add 172.31.240.1/24 dev br-mon
ip -n "${P}F" link set br-mon up
ip netns exec "${P}F" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "${P}F" sh -c 'echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables' 2>/dev/null || true
echo "# F: bridge-nf-call-iptables=$(ip netns exec "${P}F" cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo absent)"
add_container() { # NAME ADDR
    ip netns add "$P$1"
    ip link add eth0 netns "$P$1" type veth peer name "v$1" netns "${P}F"
    ip -n "${P}F" link set "v$1" master br-mon up
    ip -n "$P$1" link set lo up
    ip -n "$P$1" addr add "$2/24" dev eth0
    ip -n "$P$1" link set eth0 up
    ip -n "$P$1" route add default via 172.31.240.1
    make_root "$1"
}
add_container Fprom 172.31.240.2
add_container Fcadv 172.31.240.3
ip netns exec "${P}F" sh -e -c '
    iptables -N DOCKER
    iptables -I FORWARD -o br-mon -j DOCKER
    iptables -I FORWARD -o br-mon -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    iptables -A FORWARD -i br-mon ! -o br-mon -j ACCEPT
    iptables -A FORWARD -i br-mon -o br-mon -j ACCEPT'
# X reaches F's compose addresses only through F (as a neighbour on F's LAN could).
ip -n "${P}X" route add 172.31.240.0/24 via $F4
start F prometheus-node-exporter --web.listen-address=172.31.240.1:9100 --collector.disable-defaults --collector.time
start Fcadv /usr/bin/python3 "$REPO/local/cadvisor-fixture.py" --listen 0.0.0.0:8080 --fixture "$REPO/local/fixtures/cadvisor-metrics.txt"
start F /usr/sbin/sshd -D -e
start F /usr/bin/python3 -m http.server --bind :: 443 # Caddy's 80/443 (a stand-in: only the port matters)
wait_listen F 9100 && wait_listen Fcadv 8080 && wait_listen F 22 && wait_listen F 443
expect_http open X $X4 172.31.240.1 9100 "F before the firewall (control)"
expect_http open X $X4 172.31.240.3 8080 "F before the firewall (control)"
firewall F --server-f
assert_eq "firewall.sh --server-f exits 0" 0 "$RC"
expect_http open Fprom 172.31.240.2 172.31.240.1 9100 "Server F: node_exporter on the gateway from the Prometheus container"
expect_http open Fprom 172.31.240.2 172.31.240.3 8080 "Server F: cAdvisor from the Prometheus container"
expect_http dropped X $X4 172.31.240.1 9100 "Server F: node_exporter from elsewhere"
expect_http dropped X $X4 172.31.240.3 8080 "Server F: cAdvisor from elsewhere"
expect_http dropped X $X6 $F6 9100 "Server F: nothing else open over IPv6"
rc=$(ip netns exec "${P}X" curl -s -o /dev/null --connect-timeout 3 "http://[$F6]:443/"; echo $?)
echo "# tried: from X to [$F6]:443: curl exit $rc"
assert_eq "Server F: 443 open over IPv6" 0 "$rc"
rc=$(ip netns exec "${P}X" curl -s -o /dev/null --connect-timeout 3 "http://$F4:443/"; echo $?)
echo "# tried: from X to $F4:443: curl exit $rc"
assert_eq "Server F: 443 open over IPv4" 0 "$rc"
expect_ssh X $F4 22 F
expect_ssh X $F6 22 F
before=$(ruleset F)
firewall F --server-f
assert_contains "Server F: second run changes nothing" "$OUT" "firewall: no changes"
assert_eq "Server F: second run: netfilter rules identical" "$before" "$(ruleset F)"

cleanup_pids
assert_eq "the machine's own /etc/ufw and /etc/default/ufw are untouched" "$HOST_BEFORE" "$(host_sum)"
assert_eq "the machine's own iptables rules are untouched" "$HOST_RULES_BEFORE" "$(iptables-save 2>/dev/null | grep -c '^-A' || true)"
echo "# duration: $((SECONDS - START)) s"
finish
