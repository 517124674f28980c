#!/usr/bin/env bash
# Stops the test stack and proves it ended exactly what it started: every
# recorded PID is gone and nothing listens on the stack's ports any more.
REPO=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}
. "$REPO/tests/lib.sh"

pids=$(cat "$STACK_DIR"/pids/*.pid 2>/dev/null; head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
check "local/stack.sh stop succeeds" "$REPO/local/stack.sh" stop

# shellcheck disable=SC2317 # called through eventually
gone() {
    local p
    for p in $pids; do pid_alive "$p" && return 1; done
    return 0
}
if eventually 10 gone; then ok "every process the stack started has ended"; else
    not_ok "every process the stack started has ended" "$(for p in $pids; do pid_alive "$p" && ps -o pid,cmd -p "$p" | tail -1; done)"
fi
listeners=$(ss -ltnH | awk '{print $4}' | grep -E ":$((PORT_BASE / 1000))[0-9]{3}$" || true)
assert_eq "no listener left on the stack's ports ($PORT_BASE+)" "" "$listeners"
assert_eq "status reports no running service" "" "$(cd "$REPO" && STACK_DIR=$STACK_DIR local/stack.sh status 2>/dev/null | awk '$2 == "running"')"
finish
