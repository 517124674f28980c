#!/usr/bin/env bash
# build/doctor, groups targets and dns: every inventory exporter answers
# from this machine (the loopback stack's node exporters and cAdvisor
# fixture), an unreachable or wrong one fails with a fix, and the Grafana
# name must resolve to SERVER_F_PUBLIC_IP. Only loopback names are resolved.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
. "$REPO/tests/fixtures/doctor/lib.sh"

if [ -z "${NODE_F_URL:-}" ] || [ -z "${NODE_B_URL:-}" ] || [ -z "${CADVISOR_URL:-}" ]; then
    not_ok "the loopback stack is running (stack.env)" "NODE_F_URL/NODE_B_URL/CADVISOR_URL unset"
    finish
fi
NF=${NODE_F_URL##*:}
NB=${NODE_B_URL##*:}
CA=${CADVISOR_URL##*:}
closed=$(dport 699)

cat >"$DT/servers.txt" <<EOF
# name  address     roles
F       self        node@127.0.0.1:$NF,cadvisor@cadvisor:8080
B       127.0.0.1   node:$NB,cadvisor:$CA
X       127.0.0.1   node:$closed
W       127.0.0.1   node:$CA
D       203.0.113.14  node
EOF
write_env "$DT/t.env" "SERVER_F_PUBLIC_IP=51.91.0.10"
run_doctor --env-file "$DT/t.env" --only targets --inventory "$DT/servers.txt" --timeout 5
assert_rc "an unreachable target fails the run" 1
assert_check "the inventory is read" "✓" targets.inventory "$DT/servers.txt: 5 servers, 7 exporters"
assert_contains "Server F's own exporter on a host address is checked" "$OUT" \
    "$(check_line "✓" targets.F.node "http://127.0.0.1:$NF/metrics answers (node_exporter, ")"
assert_check "an exporter known only inside compose is skipped with why" "—" targets.F.cadvisor \
    "cadvisor:8080 is inside the compose network on this server; stack.targets-up checks it through Prometheus"
assert_contains "node_exporter answers" "$OUT" \
    "$(check_line "✓" targets.B.node "http://127.0.0.1:$NB/metrics answers (node_exporter, ")"
assert_contains "cAdvisor answers" "$OUT" \
    "$(check_line "✓" targets.B.cadvisor "http://127.0.0.1:$CA/metrics answers (cAdvisor, ")"
assert_contains "an unreachable target fails" "$OUT" \
    "$(check_line "✗" targets.X.node "http://127.0.0.1:$closed/metrics: connection refused or no route (Failed to connect to 127.0.0.1 port $closed after ")"
assert_line "with the fix" "$OUT" \
    "$(fix_line "start node_exporter on X (scripts/install-node-exporter.sh) or open port $closed to 51.91.0.10")"
assert_check "a port serving another exporter is caught" "✗" targets.W.node \
    "http://127.0.0.1:$CA/metrics answers, but not with node_exporter's metrics" \
    "check the port in the inventory (role:PORT)"
assert_check "a documentation address left in place fails without a request" "✗" targets.D.node \
    "D (line 6) still has the documentation address 203.0.113.14" \
    "replace it with the server's real address in the inventory"

run_doctor --env-file "$DT/t.env" --only targets --inventory "$DT/servers.txt" --skip targets.X.node,targets.W.node,targets.D.node
assert_rc "without the bad targets the group passes" 0
assert_check "--skip works per target" "—" targets.X.node "skipped by --skip"

# A malformed inventory is reported by file and line.
printf 'A 127.0.0.1\nB 127.0.0.1 node,prometheus\n' >"$DT/bad.txt"
run_doctor --env-file "$DT/t.env" --only targets --inventory "$DT/bad.txt"
assert_check "inventory errors name file and line" "✗" targets.inventory \
    "$DT/bad.txt:1: expected 3 columns (name address roles), found 2; $DT/bad.txt:2: unknown role \"prometheus\" (known: node, cadvisor, watcher)" \
    "fix those lines (format: name address roles; see the file's header)"
run_doctor --env-file "$DT/t.env" --only targets --inventory "$DT/none.txt"
assert_check "a missing inventory" "✗" targets.inventory \
    "cannot read $DT/none.txt: No such file or directory" \
    "run from the repository directory or pass --inventory FILE"

# The repository's own inventory parses (its addresses are still examples).
(cd "$REPO" && "$DOCTOR" --env-file /dev/null --only targets --skip 'targets.A.*,targets.B.*,targets.C.*,targets.D.*,targets.E.*,targets.F.*') >"$DT/repo.out" 2>&1
assert_contains "inventory/servers.txt is valid for the doctor" "$(cat "$DT/repo.out")" \
    "$(check_line "✓" targets.inventory "inventory/servers.txt: ")"

# --- dns ----------------------------------------------------------------------
write_env "$DT/dns.env" "GRAFANA_DOMAIN=localhost" "SERVER_F_PUBLIC_IP=127.0.0.1"
run_doctor --env-file "$DT/dns.env" --only dns
assert_rc "the domain resolving to this server passes" 0
assert_contains "the match is shown" "$OUT" \
    "$(check_line "✓" dns.grafana-domain "localhost resolves to 127.0.0.1")"
write_env "$DT/dns2.env" "GRAFANA_DOMAIN=localhost" "SERVER_F_PUBLIC_IP=127.0.0.2"
run_doctor --env-file "$DT/dns2.env" --only dns
assert_rc "the domain resolving elsewhere fails" 1
assert_contains "the mismatch is shown" "$OUT" "not to SERVER_F_PUBLIC_IP 127.0.0.2"
assert_line "with the DNS record to create" "$OUT" \
    "$(fix_line "create a DNS A record localhost -> 127.0.0.2 (TTL 300), then wait for it")"
write_env "$DT/dns3.env" "GRAFANA_DOMAIN=localhost"
run_doctor --env-file "$DT/dns3.env" --only dns
assert_check "a missing address is named" "✗" dns.grafana-domain \
    "cannot check: SERVER_F_PUBLIC_IP is not set in $DT/dns3.env" \
    "fill these variables in the .env (see .env.example), then run again"

finish
