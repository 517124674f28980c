#!/usr/bin/env bash
# Assertion helpers for tests/*/test_*.sh. Sourced, never executed.
# Each assertion prints one TAP-style line ("ok - ..." or "not ok - ...");
# tests/run.sh counts them. A failing assertion prints its evidence indented
# below the line, and the script carries on so one run reports every failure.

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# shellcheck source=../local/lib.sh
. "$REPO/local/lib.sh"
TEST_FAILED=0

ok() { printf 'ok - %s\n' "$1"; }
not_ok() {
    printf 'not ok - %s\n' "$1"
    [ -n "${2:-}" ] && printf '%s\n' "$2" | head -40 | sed 's/^/    # /'
    TEST_FAILED=1
}

# check DESC cmd...: passes when cmd exits 0; shows its output otherwise.
check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}

# check_fails DESC cmd...: passes when cmd exits non-zero.
check_fails() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then not_ok "$desc" "expected failure, got success: $out"; else ok "$desc"; fi
}

assert_eq() { # DESC EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2
actual:   $3"; fi
}

# The haystack goes to grep as a here-string, not through a pipe: under
# pipefail, `printf | grep -q` fails at random when grep exits at its first
# match before printf has written a haystack larger than the pipe buffer.
assert_contains() { # DESC HAYSTACK NEEDLE
    if grep -qF -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1" "missing: $3
in: $2"; fi
}

assert_not_contains() { # DESC HAYSTACK NEEDLE
    if grep -qF -- "$3" <<<"$2"; then not_ok "$1" "unexpected: $3
in: $2"; else ok "$1"; fi
}

# eventually SECONDS cmd...: retry cmd every 0.5 s until it succeeds (bounded).
eventually() {
    local secs=$1
    shift
    for _ in $(seq 1 $((secs * 2))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# prom_query EXPR: instant query against the stack's Prometheus; prints JSON.
prom_query() {
    curl -fsS --max-time 10 "$PROM_URL/api/v1/query" --data-urlencode "query=$1"
}

# assert_valgrind_clean LOGFILE: memcheck's log (--log-file) reports no
# error, no definitely or indirectly lost block, no invalid access and no
# use of an uninitialised value.
assert_valgrind_clean() {
    local vg
    vg=$(cat "$1" 2>/dev/null)
    assert_contains "valgrind: ERROR SUMMARY: 0 errors" "$vg" "ERROR SUMMARY: 0 errors from 0 contexts"
    # Either every block was freed, or the leak summary shows nothing lost.
    if grep -q "All heap blocks were freed" <<<"$vg"; then
        ok "valgrind: all heap blocks were freed"
    else
        assert_contains "valgrind: definitely lost: 0 bytes" "$vg" "definitely lost: 0 bytes in 0 blocks"
        assert_contains "valgrind: indirectly lost: 0 bytes" "$vg" "indirectly lost: 0 bytes in 0 blocks"
    fi
    assert_not_contains "valgrind: no invalid access" "$vg" "Invalid "
    assert_not_contains "valgrind: no uninitialised value used" "$vg" "uninitialised"
}

# Load the running test stack's addresses when there is one (tests/run.sh
# starts it before tests/integration).
if [ -n "${STACK_ENV:-}" ] && [ -f "$STACK_ENV" ]; then
    # shellcheck disable=SC1090
    . "$STACK_ENV"
fi

finish() { exit "$TEST_FAILED"; }
