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
printf 'Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\n' >"$R/etc/ssh/sshd_config"
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
printf 'State Recv-Q Send-Q Local Peer\nLISTEN 0 4096 0.0.0.0:5678 0.0.0.0:*\nLISTEN 0 128 127.0.0.1:5432 0.0.0.0:*\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n' |
    tail -n +2 >"$T/ss.out"
FAKE_SS_OUTPUT=$T/ss.out run_script firewall.sh --server-f-ip $F
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

# --- SSH on another port: detected, and enabling without it is refused ------------------
reset_ufw
printf 'Port 2222\n' >"$R/etc/ssh/sshd_config.d/10-port.conf"
run_script firewall.sh --server-f-ip $F --ssh-port 22
assert_rc "sshd on 2222 but --ssh-port 22: refused" 1
assert_contains "refusal names the port and the fix" "$OUT" "refusing to enable UFW: sshd listens on port 2222"
assert_actions "refusal: nothing changed at all" ""
check_fails "refusal: UFW not enabled" test -e "$FAKE_STATE/ufw.active"
run_script firewall.sh --server-f-ip $F
assert_rc "sshd port detected from sshd_config.d" 0
assert_eq "detected SSH port 2222 is the first rule" "ufw allow 2222/tcp comment monitoring: ssh" "$(actions | head -1)"
rm -f "$R/etc/ssh/sshd_config.d/10-port.conf"

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
