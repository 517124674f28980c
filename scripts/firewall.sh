#!/usr/bin/env bash
# The plan's UFW policy for a server of the monitoring stack: 22, 80 and
# 443 open; node_exporter (9100) and cAdvisor (8080) from Server F only;
# Prometheus (9090) and Alertmanager (9093) from Server B only when the n8n
# report option is chosen. Idempotent, never locks SSH out. docs/hosts.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

MANAGED_PORTS=(9100 8080 9090 9093)

usage() {
    cat <<EOF
Usage: $0 --server-f-ip IP [options]

  --server-f-ip IP        Server F's public IP, the only source allowed to
                          scrape 9100 (node_exporter) and 8080 (cAdvisor).
                          Default: \$SERVER_F_PUBLIC_IP
  --scrape-source CIDR    one more source allowed to reach 9100 and 8080
                          (repeatable), e.g. Server F's IPv6 address
  --n8n-report            also allow 9090 and 9093 from Server B (the plan's
                          n8n report; see docs/hosts.md before using it)
  --server-b-ip IP        Server B's public IP. Default: \$SERVER_B_PUBLIC_IP
  --ssh-port N            SSH port to keep open (default: the Port lines of
                          /etc/ssh/sshd_config and its includes, else 22)
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
ROOT_OPT=${ROOT:-}
while [ $# -gt 0 ]; do
    case $1 in
    --server-f-ip) need_arg "$1" "${2:-}"; SERVER_F=$2; shift 2 ;;
    --server-b-ip) need_arg "$1" "${2:-}"; SERVER_B=$2; shift 2 ;;
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

[ -n "$SERVER_F" ] || usage_error "--server-f-ip (or SERVER_F_PUBLIC_IP) is required: the address Prometheus scrapes from"
valid_ip "$SERVER_F" || usage_error "--server-f-ip '$SERVER_F' is not an IP address"
SOURCES=("$SERVER_F")
for s in "${SCRAPE_SOURCES[@]}"; do
    valid_source "$s" || usage_error "--scrape-source '$s' is not an IP address or CIDR"
    SOURCES+=("$(norm_source "$s")")
done
if [ "$N8N" = 1 ]; then
    [ -n "$SERVER_B" ] || usage_error "--n8n-report needs --server-b-ip (or SERVER_B_PUBLIC_IP)"
    valid_ip "$SERVER_B" || usage_error "--server-b-ip '$SERVER_B' is not an IP address"
fi
for a in "${EXTRA_ALLOW[@]}"; do
    if ! [[ $a =~ ^([0-9]+)(/(tcp|udp))?$ ]] || ! valid_port "${BASH_REMATCH[1]}"; then
        usage_error "--allow '$a': expected PORT or PORT/tcp or PORT/udp"
    fi
done

command -v ufw >/dev/null || die "ufw is not installed: apt-get install ufw"
require_root
make_workdir

# --- the SSH port(s) sshd really listens on --------------------------------
# sshd accepts several Port lines, in the main file and in included files.
sshd_ports() {
    local file=$1 depth=${2:-0} line kw val inc f words
    [ "$depth" -lt 5 ] && [ -r "$file" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%%#*}
        read -r kw val _ <<<"$line" || true
        case ${kw,,} in
        port) printf '%s\n' "$val" ;;
        match) return 0 ;; # Port is not allowed inside Match blocks
        include)
            # Split without globbing, prefix the root, then expand the glob.
            read -r -a words <<<"$line"
            for inc in "${words[@]:1}"; do
                case $inc in /*) ;; *) inc=/etc/ssh/$inc ;; esac
                if [ -n "$ROOT" ] && [[ $inc != "$ROOT"/* ]]; then inc=$ROOT$inc; fi
                # shellcheck disable=SC2086 # the glob is meant to expand
                for f in $inc; do sshd_ports "$f" $((depth + 1)); done
            done ;;
        esac
    done <"$file"
}
mapfile -t SSHD_PORTS < <(sshd_ports "$(rp /etc/ssh/sshd_config)" | sort -un)
[ ${#SSHD_PORTS[@]} -gt 0 ] || SSHD_PORTS=(22)
if [ -z "$SSH_PORT" ]; then
    SSH_PORT=${SSHD_PORTS[0]}
fi
valid_port "$SSH_PORT" || usage_error "--ssh-port '$SSH_PORT' is not a port number"

# --- desired rules, in `ufw show added` syntax --------------------------------
RULES=() COMMENTS=()
want() { RULES+=("$1"); COMMENTS+=("$2"); }
want "allow $SSH_PORT/tcp" "ssh"
want "allow 80/tcp" "http (Caddy)"
want "allow 443/tcp" "https (Caddy)"
for a in "${EXTRA_ALLOW[@]}"; do
    case $a in */*) want "allow $a" "extra port" ;; *) want "allow $a/tcp" "extra port" ;; esac
done
for s in "${SOURCES[@]}"; do
    want "allow from $s to any port 9100 proto tcp" "node_exporter, scraped by Server F"
    want "allow from $s to any port 8080 proto tcp" "cAdvisor, scraped by Server F"
done
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
ufw status 2>/dev/null | grep -q '^Status: active' && ACTIVE=1

# No lockout: every port sshd listens on must stay open, which is decided
# before anything is changed.
for p in "${SSHD_PORTS[@]}"; do
    covered=0
    for r in "allow $p/tcp" "allow $p" "limit $p/tcp" "limit $p"; do
        if has_rule "$r" || printf '%s\n' "${RULES[@]}" | grep -qxF -- "$r"; then covered=1; fi
    done
    [ "$p" = 22 ] && { has_rule "allow OpenSSH" || has_rule "limit OpenSSH"; } && covered=1
    if [ "$covered" = 0 ]; then
        if [ "$ACTIVE" = 1 ]; then
            warn "UFW is active without an allow rule for SSH port $p (sshd listens there): new SSH sessions may be refused; rerun with --ssh-port $p"
        else
            die "refusing to enable UFW: sshd listens on port $p (per $(rp /etc/ssh/sshd_config)) but no rule would allow it, so SSH would be locked out; rerun with --ssh-port $p"
        fi
    fi
done

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
    printf '%s\n' "${RULES[@]}" | grep -qxF -- "$r" && continue
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
    allowed=" $SSH_PORT 80 443 ${MANAGED_PORTS[*]} "
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
