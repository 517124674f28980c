#!/usr/bin/env bash
# scripts/firewall.sh with ufw, ss and docker replaced by recorders: the
# plan's rules in order, idempotence, the n8n option, no SSH lockout,
# pruning, and the warnings about Docker-published ports.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=../fixtures/scripts/harness.sh
. "$REPO/tests/fixtures/scripts/harness.sh"

R=$FAKE_ROOT
F=203.0.113.10
B=198.51.100.20
mkdir -p "$R/etc/default" "$R/etc/ssh/sshd_config.d"
# The real sshd -T reads this configuration (tests/fixtures/scripts/bin/sshd).
ssh-keygen -q -t ed25519 -N '' -f "$R/etc/ssh/ssh_host_ed25519_key"
printf 'Include %s/etc/ssh/sshd_config.d/*.conf\nHostKey %s/etc/ssh/ssh_host_ed25519_key\nKbdInteractiveAuthentication no\n' "$R" "$R" >"$R/etc/ssh/sshd_config"
# ss -Hltnp as it prints listening sockets: sshd's and others.
ss_lines() { # PORT-OF-SSHD [more lines]
    printf 'LISTEN 0 128 0.0.0.0:%s 0.0.0.0:* users:(("sshd",pid=811,fd=3))\n' "$1"
    printf 'LISTEN 0 128 [::]:%s [::]:* users:(("sshd",pid=811,fd=4))\n' "$1"
    shift
    printf '%s\n' "$@"
}
ss_lines 22 >"$T/ss.out"
export FAKE_SS_OUTPUT=$T/ss.out
reset_ufw() {
    rm -f "$FAKE_STATE"/ufw.*
    # Ubuntu's shipped defaults.
    printf 'IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\n' >"$R/etc/default/ufw"
}
reset_ufw

run_script firewall.sh
assert_rc "no Server F address: usage error" 2
assert_contains "no Server F address: names the option" "$OUT" "--server-f-ip (or SERVER_F_PUBLIC_IP) is required"
run_script firewall.sh --server-f-ip 203.0.113.999
assert_rc "invalid Server F address refused" 2
run_script firewall.sh --server-f-ip $F --n8n-report
assert_rc "--n8n-report without Server B: usage error" 2
assert_contains "--n8n-report without Server B: names the option" "$OUT" "--n8n-report needs --server-b-ip"

# --- dry run ---------------------------------------------------------------------
run_script firewall.sh --server-f-ip $F --dry-run
assert_rc "dry run exits 0" 0
assert_contains "dry run: prints the SSH rule" "$OUT" "[dry-run] would run: ufw allow 22/tcp comment 'monitoring: ssh'"
assert_contains "dry run: prints the node_exporter rule" "$OUT" "[dry-run] would run: ufw allow from $F to any port 9100 proto tcp comment"
assert_contains "dry run: prints enabling UFW" "$OUT" "[dry-run] would run: ufw --force enable"
assert_actions "dry run: no command that changes anything ran" ""
check_fails "dry run: UFW not enabled" test -e "$FAKE_STATE/ufw.active"

# --- first run -------------------------------------------------------------------
ss_lines 22 'LISTEN 0 4096 0.0.0.0:5678 0.0.0.0:* users:(("n8n",pid=900,fd=20))' \
    'LISTEN 0 128 127.0.0.1:5432 0.0.0.0:* users:(("postgres",pid=901,fd=5))' >"$T/ss.out"
run_script firewall.sh --server-f-ip $F
ss_lines 22 >"$T/ss.out"
assert_rc "first run exits 0" 0
expected="ufw allow 22/tcp comment monitoring: ssh
ufw allow 80/tcp comment monitoring: http (Caddy)
ufw allow 443/tcp comment monitoring: https (Caddy)
ufw allow from $F to any port 9100 proto tcp comment monitoring: node_exporter, scraped by Server F
ufw allow from $F to any port 8080 proto tcp comment monitoring: cAdvisor, scraped by Server F
ufw --force enable"
assert_actions "first run: SSH first, then 80/443, 9100/8080 from F only, enable last" "$expected"
assert_not_contains "first run: 9090/9093 stay closed without the n8n option" "$LOG" "port 909"
assert_contains "first run: warns that a public listener will be blocked" "$OUT" "0.0.0.0:5678"
assert_not_contains "first run: loopback listeners are not reported" "$OUT" "127.0.0.1:5432"
check "first run: UFW active" test -e "$FAKE_STATE/ufw.active"

# --- second run: nothing to do -----------------------------------------------------
run_script firewall.sh --server-f-ip $F
assert_rc "second run exits 0" 0
assert_actions "second run: no command that changes anything" ""
assert_contains "second run: says no changes" "$OUT" "no changes"
assert_contains "second run: UFW already active" "$OUT" "UFW is already active"

# --- the n8n option adds exactly 9090 and 9093 from Server B -------------------------
run_script firewall.sh --server-f-ip $F --n8n-report --server-b-ip $B
assert_actions "n8n option: adds 9090 and 9093 from Server B only" "ufw allow from $B to any port 9090 proto tcp comment monitoring: Prometheus API for the n8n report on Server B
ufw allow from $B to any port 9093 proto tcp comment monitoring: Alertmanager API for the n8n report on Server B"
SERVER_B_PUBLIC_IP=$B run_script firewall.sh --server-f-ip $F --n8n-report
assert_actions "n8n option again (Server B from the environment): no changes" ""

# --- stale rules: warned about, pruned on request ------------------------------------
printf '%s\n' "allow from 192.0.2.7 to any port 9100 proto tcp comment 'old F'" "allow 8080/tcp" >>"$FAKE_STATE/ufw.rules"
run_script firewall.sh --server-f-ip $F
assert_contains "stale rule from an old Server F address: warned" "$OUT" "extra rule 'ufw allow from 192.0.2.7 to any port 9100 proto tcp' also opens a monitoring port"
assert_contains "rule opening 8080 to everyone: warned" "$OUT" "extra rule 'ufw allow 8080/tcp'"
assert_contains "without the n8n option, the earlier 9090 rule is reported" "$OUT" "port 9090"
assert_actions "warnings only: nothing changed" ""
run_script firewall.sh --server-f-ip $F --prune
assert_actions "--prune deletes exactly the rules outside the policy" "ufw delete allow from $B to any port 9090 proto tcp
ufw delete allow from $B to any port 9093 proto tcp
ufw delete allow from 192.0.2.7 to any port 9100 proto tcp
ufw delete allow 8080/tcp"
run_script firewall.sh --server-f-ip $F --prune
assert_actions "--prune again: no changes" ""

# --- SSH port: from the listening sockets, checked against sshd -T ----------------------
reset_ufw
printf 'Port 2222\n' >"$R/etc/ssh/sshd_config.d/10-port.conf"
run_script firewall.sh --server-f-ip $F
assert_rc "sshd listens on 22, configuration says 2222 (unapplied change): refused" 1
assert_contains "refusal names both ports and the fix" "$OUT" "sshd listens on port(s) 22 (ss -ltnp) but its configuration says 2222 (sshd -T"
assert_actions "refusal: nothing changed at all" ""
check_fails "refusal: UFW not enabled" test -e "$FAKE_STATE/ufw.active"
ss_lines 2222 >"$T/ss.out"
run_script firewall.sh --server-f-ip $F --ssh-port 22
assert_rc "sshd on 2222 but --ssh-port 22: refused" 1
assert_contains "--ssh-port refusal names the listening port" "$OUT" "--ssh-port 22, but sshd listens on 2222"
assert_actions "--ssh-port refusal: nothing changed" ""
run_script firewall.sh --server-f-ip $F
assert_rc "sshd listening and configured on 2222: accepted" 0
assert_eq "SSH port 2222 is the first rule" "ufw allow 2222/tcp comment monitoring: ssh" "$(actions | head -1)"
assert_not_contains "no rule for 22, where nothing listens" "$(actions)" "allow 22/tcp"
# UFW is active now; the configuration moves to 2200, sshd not restarted.
printf 'Port 2200\n' >"$R/etc/ssh/sshd_config.d/10-port.conf"
run_script firewall.sh --server-f-ip $F
assert_rc "UFW active, sshd on 2222, configuration 2200: refused (not only a warning)" 1
assert_actions "active UFW refusal: nothing changed" ""
# ListenAddress host:port decides the port; Port is then irrelevant.
printf 'ListenAddress 0.0.0.0:2200\nListenAddress [::]:2200\n' >"$R/etc/ssh/sshd_config.d/10-port.conf"
ss_lines 2200 >"$T/ss.out"
run_script firewall.sh --server-f-ip $F
assert_rc "ListenAddress host:port with sshd there: accepted" 0
assert_eq "the new SSH port is allowed" "ufw allow 2200/tcp comment monitoring: ssh" "$(actions | head -1)"
assert_contains "the old SSH rule is reported, not deleted" "$OUT" "rule 'ufw allow 2222/tcp' was made for SSH, but sshd listens on 2200"
rm -f "$R/etc/ssh/sshd_config.d/10-port.conf"
ss_lines 22 >"$T/ss.out"

# --- Server F's own mode -----------------------------------------------------------------
reset_ufw
run_script firewall.sh --server-f --dry-run
assert_rc "--server-f needs no Server F address" 0
run_script firewall.sh --server-f --server-f-ip $F
assert_rc "--server-f with --server-f-ip: usage error" 2
run_script firewall.sh --server-f --compose-subnet 172.31.240.1
assert_rc "--compose-subnet without a prefix length: usage error" 2
run_script firewall.sh --server-f
assert_actions "Server F: SSH, 80, 443, 9100 from the compose network to its gateway, enable" "ufw allow 22/tcp comment monitoring: ssh
ufw allow 80/tcp comment monitoring: http (Caddy)
ufw allow 443/tcp comment monitoring: https (Caddy)
ufw allow from 172.31.240.0/24 to 172.31.240.1 port 9100 proto tcp comment monitoring: node_exporter on the compose gateway, scraped by Prometheus
ufw --force enable"
run_script firewall.sh --server-f
assert_actions "Server F again: no changes" ""

# --- a non-default incoming policy is set to deny before enabling -------------------------
reset_ufw
sed -i 's/DEFAULT_INPUT_POLICY="DROP"/DEFAULT_INPUT_POLICY="ACCEPT"/' "$R/etc/default/ufw"
run_script firewall.sh --server-f-ip $F --allow 25/tcp --scrape-source 2001:db8::10/128
assert_rc "run with --allow and --scrape-source exits 0" 0
assert_eq "policy set to deny right before enabling" "ufw default deny incoming
ufw --force enable" "$(actions | tail -2)"
assert_contains "--allow adds the port for everyone" "$(actions)" "ufw allow 25/tcp comment monitoring: extra port"
assert_contains "--scrape-source adds 9100 for that source (host /128 written as ufw shows it)" "$(actions)" "ufw allow from 2001:db8::10 to any port 9100 proto tcp"
assert_contains "policy file now says DROP" "$(cat "$R/etc/default/ufw")" 'DEFAULT_INPUT_POLICY="DROP"'
run_script firewall.sh --server-f-ip $F --allow 25/tcp --scrape-source 2001:db8::10/128
assert_actions "same options again: no changes" ""

# --- ports published by Docker bypass UFW: warned ----------------------------------------
FAKE_DOCKER_PS='cadvisor\t0.0.0.0:8080->8080/tcp, [::]:8080->8080/tcp\nprometheus\t127.0.0.1:9090->9090/tcp' \
    run_script firewall.sh --server-f-ip $F
assert_contains "a container publishing 8080 publicly is reported" "$OUT" "container 'cadvisor' publishes 0.0.0.0:8080: Docker-published ports bypass UFW"
assert_not_contains "a container publishing on 127.0.0.1 is not reported" "$OUT" "container 'prometheus'"
finish
