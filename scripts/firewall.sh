#!/usr/bin/env bash
# The plan's UFW policy for a server of the monitoring stack: 22, 80 and
# 443 open; node_exporter (9100) and cAdvisor (8080) from Server F only;
# Prometheus (9090) and Alertmanager (9093) from Server B only when the n8n
# report option is chosen. On Server F itself (--server-f): 22/80/443 open,
# node_exporter reachable from the compose network only. Idempotent, never
# locks SSH out. docs/hosts.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

MANAGED_PORTS=(9100 8080 9090 9093)

usage() {
    cat <<EOF
Usage: $0 --server-f-ip IP [options]     (a monitored server, A-E)
       $0 --server-f [options]           (Server F itself)

  --server-f-ip IP        Server F's public IP, the only source allowed to
                          scrape 9100 (node_exporter) and 8080 (cAdvisor).
                          Default: \$SERVER_F_PUBLIC_IP
  --server-f              this host IS Server F: 22, 80, 443 open; 9100 only
                          from the compose network to its gateway address,
                          where compose's host-network node-exporter listens
  --compose-subnet CIDR   the compose network (default 172.31.240.0/24)
  --compose-gateway IP    its gateway, node-exporter's address (default
                          172.31.240.1); both as in compose.yaml
  --scrape-source CIDR    one more source allowed to reach 9100 and 8080
                          (repeatable), e.g. Server F's IPv6 address
  --n8n-report            also allow 9090 and 9093 from Server B (the plan's
                          n8n report; see docs/hosts.md before using it)
  --server-b-ip IP        Server B's public IP. Default: \$SERVER_B_PUBLIC_IP
  --ssh-port N            the SSH port you expect; refuses when sshd does not
                          listen there (default: what sshd listens on, found
                          with ss -ltnp and checked against sshd -T)
  --allow PORT[/PROTO]    another port this host must keep open to everyone
                          (repeatable), e.g. --allow 25/tcp
  --prune                 delete other rules for 9100/8080/9090/9093 (older
                          Server F addresses, rules open to everyone)
  --dry-run               print every action, change nothing
  --root DIR              read config files under DIR (tests); env ROOT
  -h, --help              this text
EOF
}

SERVER_F=${SERVER_F_PUBLIC_IP:-}
SERVER_B=${SERVER_B_PUBLIC_IP:-}
SCRAPE_SOURCES=()
EXTRA_ALLOW=()
N8N=0
PRUNE=0
SSH_PORT=
SERVER_F_MODE=0
COMPOSE_SUBNET=172.31.240.0/24
COMPOSE_GATEWAY=172.31.240.1
ROOT_OPT=${ROOT:-}
while [ $# -gt 0 ]; do
    case $1 in
    --server-f-ip) need_arg "$1" "${2:-}"; SERVER_F=$2; shift 2 ;;
    --server-b-ip) need_arg "$1" "${2:-}"; SERVER_B=$2; shift 2 ;;
    --server-f) SERVER_F_MODE=1; shift ;;
    --compose-subnet) need_arg "$1" "${2:-}"; COMPOSE_SUBNET=$2; shift 2 ;;
    --compose-gateway) need_arg "$1" "${2:-}"; COMPOSE_GATEWAY=$2; shift 2 ;;
    --scrape-source) need_arg "$1" "${2:-}"; SCRAPE_SOURCES+=("$2"); shift 2 ;;
    --n8n-report) N8N=1; shift ;;
    --ssh-port) need_arg "$1" "${2:-}"; SSH_PORT=$2; shift 2 ;;
    --allow) need_arg "$1" "${2:-}"; EXTRA_ALLOW+=("$2"); shift 2 ;;
    --prune) PRUNE=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --root) need_arg "$1" "${2:-}"; ROOT_OPT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
    esac
done
set_root "$ROOT_OPT"

# ufw prints a single host without its /32 or /128.
norm_source() {
    case $1 in
    */32 | */128) printf '%s' "${1%/*}" ;;
    *) printf '%s' "$1" ;;
    esac
}

SOURCES=()
if [ "$SERVER_F_MODE" = 1 ]; then
    # Prometheus scrapes this host's node_exporter through the compose
    # bridge, never from outside: no public source for 9100/8080.
    [ -z "$SERVER_F" ] || [ "${SERVER_F_PUBLIC_IP:-}" = "$SERVER_F" ] ||
        usage_error "--server-f and --server-f-ip exclude each other: on Server F itself nothing outside scrapes it"
    if ! valid_source "$COMPOSE_SUBNET" || [[ $COMPOSE_SUBNET != */* ]]; then
        usage_error "--compose-subnet '$COMPOSE_SUBNET' is not a CIDR"
    fi
    valid_ip "$COMPOSE_GATEWAY" || usage_error "--compose-gateway '$COMPOSE_GATEWAY' is not an IP address"
else
    [ -n "$SERVER_F" ] || usage_error "--server-f-ip (or SERVER_F_PUBLIC_IP) is required: the address Prometheus scrapes from (or --server-f on Server F itself)"
    valid_ip "$SERVER_F" || usage_error "--server-f-ip '$SERVER_F' is not an IP address"
    SOURCES=("$SERVER_F")
fi
for s in "${SCRAPE_SOURCES[@]}"; do
    valid_source "$s" || usage_error "--scrape-source '$s' is not an IP address or CIDR"
    SOURCES+=("$(norm_source "$s")")
done
if [ "$N8N" = 1 ]; then
    [ -n "$SERVER_B" ] || usage_error "--n8n-report needs --server-b-ip (or SERVER_B_PUBLIC_IP)"
    valid_ip "$SERVER_B" || usage_error "--server-b-ip '$SERVER_B' is not an IP address"
fi
if [ -n "$SSH_PORT" ]; then
    valid_port "$SSH_PORT" || usage_error "--ssh-port '$SSH_PORT' is not a port number"
fi
for a in "${EXTRA_ALLOW[@]}"; do
    if ! [[ $a =~ ^([0-9]+)(/(tcp|udp))?$ ]] || ! valid_port "${BASH_REMATCH[1]}"; then
        usage_error "--allow '$a': expected PORT or PORT/tcp or PORT/udp"
    fi
done

command -v ufw >/dev/null || die "ufw is not installed: apt-get install ufw"
require_root
make_workdir

# --- the SSH port(s) ---------------------------------------------------------------
# What counts is what accepts connections now, not what a file says: an
# unapplied Port change, `ListenAddress host:port` and Ubuntu's ssh.socket
# (systemd holds the socket; sshd_config's Port only reaches it through a
# generator at daemon-reload) all make sshd_config's Port lines wrong. So the
# ports come from the listening sockets (ss -ltnp), and the configuration
# sshd -T resolves must say the same; when they disagree, one of them is
# about to change under us, and the script refuses.

# ssh_banner ADDR PORT: the socket answers with an SSH identification line.
ssh_banner() {
    local addr=$1 port=$2 line
    # shellcheck disable=SC2016 # expanded by the inner shell
    line=$(timeout 10 bash -c 'exec 3<>"/dev/tcp/$0/$1" && head -c 4 <&3' "$addr" "$port" 2>/dev/null) || return 1
    [ "$line" = SSH- ]
}

# listening_ssh_ports: ports with a listening socket held by sshd, or by
# systemd (socket activation) when the socket answers as an SSH server.
listening_ssh_ports() {
    local local_addr users port addr
    ss -Hltnp >"$WORKDIR/ss" 2>&1 || die "'ss -ltnp' failed: $(head -1 "$WORKDIR/ss")"
    while read -r _ _ _ local_addr _ users; do
        port=${local_addr##*:}
        addr=${local_addr%:*}
        addr=${addr#[}
        addr=${addr%]}
        addr=${addr%%%*}
        case $addr in '*' | 0.0.0.0) addr=127.0.0.1 ;; ::) addr=::1 ;; esac
        case $users in
        *'(("sshd",'* | *'),("sshd",'*) printf '%s\n' "$port" ;;
        *'"systemd'*) ssh_banner "$addr" "$port" && printf '%s\n' "$port" ;;
        esac
    done <"$WORKDIR/ss"
}

# configured_ssh_ports: the ports of sshd's effective configuration (the
# listenaddress lines of sshd -T carry the port of every address).
configured_ssh_ports() {
    command -v sshd >/dev/null || die "sshd not found: the SSH server's configuration cannot be checked (install openssh-server)"
    [ -z "$ROOT" ] && [ ! -d /run/sshd ] && install -d -m 0755 /run/sshd
    sshd -T -f "$(rp /etc/ssh/sshd_config)" >"$WORKDIR/sshd-T" 2>&1 ||
        die "sshd -T rejects $(rp /etc/ssh/sshd_config): $(head -3 "$WORKDIR/sshd-T" | tr '\n' ' ')"
    if grep -q '^listenaddress ' "$WORKDIR/sshd-T"; then
        sed -n 's/^listenaddress .*:\([0-9]*\)$/\1/p' "$WORKDIR/sshd-T"
    else
        sed -n 's/^port //p' "$WORKDIR/sshd-T"
    fi
}

mapfile -t LISTEN_PORTS < <(listening_ssh_ports | sort -un)
mapfile -t CONFIG_PORTS < <(configured_ssh_ports | sort -un)
[ ${#CONFIG_PORTS[@]} -gt 0 ] || die "sshd -T printed no port for $(rp /etc/ssh/sshd_config)"
say "SSH: listening on ${LISTEN_PORTS[*]:-nothing} (ss -ltnp), configured ${CONFIG_PORTS[*]} (sshd -T)"
if [ ${#LISTEN_PORTS[@]} -eq 0 ]; then
    warn "no sshd (or ssh.socket) is listening: the SSH rule follows the configuration, port(s) ${CONFIG_PORTS[*]}"
    SSH_PORTS=("${CONFIG_PORTS[@]}")
elif [ "${LISTEN_PORTS[*]}" != "${CONFIG_PORTS[*]}" ]; then
    die "refusing to touch the firewall: sshd listens on port(s) ${LISTEN_PORTS[*]} (ss -ltnp) but its configuration says ${CONFIG_PORTS[*]} (sshd -T -f $(rp /etc/ssh/sshd_config)); a Port/ListenAddress change not applied yet, or an ssh.socket override, would move SSH away from the rule. Make them agree (systemctl restart ssh, or for ssh.socket: systemctl daemon-reload && systemctl restart ssh.socket; or fix the configuration), then run this again. Nothing was changed"
else
    SSH_PORTS=("${LISTEN_PORTS[@]}")
fi
if [ -n "$SSH_PORT" ] && ! grep -qxF -- "$SSH_PORT" <<<"$(printf '%s\n' "${SSH_PORTS[@]}")"; then
    die "refusing to touch the firewall: --ssh-port $SSH_PORT, but sshd listens on ${SSH_PORTS[*]}; nothing was changed"
fi

# --- desired rules, in `ufw show added` syntax --------------------------------
RULES=() COMMENTS=()
want() { RULES+=("$1"); COMMENTS+=("$2"); }
for p in "${SSH_PORTS[@]}"; do want "allow $p/tcp" "ssh"; done
want "allow 80/tcp" "http (Caddy)"
want "allow 443/tcp" "https (Caddy)"
for a in "${EXTRA_ALLOW[@]}"; do
    case $a in */*) want "allow $a" "extra port" ;; *) want "allow $a/tcp" "extra port" ;; esac
done
for s in "${SOURCES[@]}"; do
    want "allow from $s to any port 9100 proto tcp" "node_exporter, scraped by Server F"
    want "allow from $s to any port 8080 proto tcp" "cAdvisor, scraped by Server F"
done
if [ "$SERVER_F_MODE" = 1 ]; then
    # compose.yaml's node-exporter runs in the host network and listens on
    # the bridge's gateway address; Prometheus' scrape arrives through the
    # bridge and meets this host's INPUT chain like any other packet. The
    # gateway address exists only on the bridge, so nothing outside can
    # complete a connection to it. cAdvisor needs no rule: Prometheus reaches
    # it container to container, which Docker's own FORWARD rules accept.
    want "allow from $(norm_source "$COMPOSE_SUBNET") to $COMPOSE_GATEWAY port 9100 proto tcp" "node_exporter on the compose gateway, scraped by Prometheus"
fi
if [ "$N8N" = 1 ]; then
    want "allow from $SERVER_B to any port 9090 proto tcp" "Prometheus API for the n8n report on Server B"
    want "allow from $SERVER_B to any port 9093 proto tcp" "Alertmanager API for the n8n report on Server B"
fi

# --- what is there now ----------------------------------------------------------
ufw show added >"$WORKDIR/added" 2>&1 || die "'ufw show added' failed: $(head -1 "$WORKDIR/added")"
# Existing rules without their comments, one per line.
sed -n "s/^ufw //p" "$WORKDIR/added" | sed "s/ comment '.*'\$//" >"$WORKDIR/existing"
has_rule() { grep -qxF -- "$1" "$WORKDIR/existing"; }
ACTIVE=0
grep -q '^Status: active' <<<"$(ufw status 2>/dev/null)" && ACTIVE=1

# SSH rules this script made earlier for a port sshd no longer uses.
while IFS= read -r r; do
    r=${r#ufw }
    r=${r% comment *}
    grep -qxF -- "$r" <<<"$(printf '%s\n' "${RULES[@]}")" ||
        warn "rule 'ufw $r' was made for SSH, but sshd listens on ${SSH_PORTS[*]}; once you have logged in on the new port: ufw delete $r"
done < <(grep -F "comment 'monitoring: ssh'" "$WORKDIR/added" || true)

step "UFW rules"
for i in "${!RULES[@]}"; do
    if has_rule "${RULES[$i]}"; then
        say "present: ${RULES[$i]}"
    else
        # shellcheck disable=SC2086 # the rule is a list of ufw words
        act ufw ${RULES[$i]} comment "monitoring: ${COMMENTS[$i]}"
    fi
done

# Rules for the monitoring ports that this policy does not contain: an old
# Server F address, or a rule open to everyone that defeats the restriction.
alt=$(IFS='|'; printf '%s' "${MANAGED_PORTS[*]}")
port_re="(port ($alt)( |\$)|^(allow|limit) ($alt)(/tcp|/udp)?\$)"
while IFS= read -r r; do
    [ -n "$r" ] || continue
    grep -qxF -- "$r" <<<"$(printf '%s\n' "${RULES[@]}")" && continue
    if [ "$PRUNE" = 1 ]; then
        # shellcheck disable=SC2086
        act ufw delete $r
    else
        warn "extra rule 'ufw $r' also opens a monitoring port; remove it with: ufw delete $r (or rerun with --prune)"
    fi
done < <(grep -E -- "$port_re" "$WORKDIR/existing" || true)

step "default policy"
policy=$(sed -n 's/^DEFAULT_INPUT_POLICY="\{0,1\}\([A-Z]*\)"\{0,1\}$/\1/p' "$(rp /etc/default/ufw)" 2>/dev/null || true)
if [ "$policy" = DROP ]; then
    say "present: default deny incoming"
else
    act ufw default deny incoming
fi

# Docker publishes ports with DNAT in the nat table, before UFW's INPUT
# rules see the packet: a rule here does not protect a published port.
if command -v docker >/dev/null && docker ps --format '{{.Names}}	{{.Ports}}' >"$WORKDIR/ps" 2>/dev/null; then
    while IFS=$'\t' read -r cname ports; do
        IFS=, read -r -a maps <<<"$ports"
        for m in "${maps[@]}"; do
            m=${m# }
            [[ $m == *"->"* ]] || continue
            hostpart=${m%%->*}
            hport=${hostpart##*:}
            haddr=${hostpart%:*}
            case $haddr in 127.0.0.1 | "[::1]" | ::1) continue ;; esac
            for p in "${MANAGED_PORTS[@]}"; do
                [ "$hport" = "$p" ] &&
                    warn "container '$cname' publishes $hostpart: Docker-published ports bypass UFW, so the Server F/B restriction does not apply to it; bind it to 127.0.0.1 or use host networking (scripts/install-cadvisor.sh)"
            done
        done
    done <"$WORKDIR/ps"
fi

if [ "$ACTIVE" = 0 ]; then
    # Services that listen publicly and are not in the policy stop being
    # reachable: say so before it happens.
    allowed=" ${SSH_PORTS[*]} 80 443 ${MANAGED_PORTS[*]} "
    for a in "${EXTRA_ALLOW[@]}"; do allowed+="${a%/*} "; done
    blocked=$(ss -Hltn 2>/dev/null | awk '{print $4}' | while read -r local; do
        port=${local##*:}
        addr=${local%:*}
        case $addr in 127.* | "[::1]" | "[::ffff:127."*) continue ;; esac
        [[ $allowed == *" $port "* ]] || printf '%s ' "$local"
    done)
    [ -z "$blocked" ] || warn "these listening sockets will be unreachable from outside once UFW is enabled: $blocked(keep one open with --allow PORT)"
    step "enable UFW"
    act ufw --force enable
else
    say "UFW is already active"
fi

if [ "$DRY_RUN" = 0 ]; then
    ufw status verbose
fi
finish_summary
