#!/usr/bin/env bash
# The one test command (README, `make test`, .ci/run).
#   1. installs what the tests need (tests/install-deps.sh; SKIP_INSTALL=1 skips)
#   2. builds the C programs, release and sanitizer builds, and the unit tests
#   3. runs tests/static/test_*.sh     (config validation, no services)
#   4. runs the cmocka unit tests      (TAP output)
#   5. starts the loopback stack in .test-stack/ on PORT_BASE=29000
#      (TEST_STACK_DIR / TEST_PORT_BASE override both),
#      runs tests/integration/test_*.sh against it, stops it, and checks
#      that no process it started is left
#   6. runs tests/engine/test_*.sh: the production stack on a private Docker
#      engine (SKIP_ENGINE=1 skips it, visibly)
# and prints "N passed, N failed". Select scripts with ONLY=pattern.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 2
export REPO
LOGDIR=$REPO/build/test-logs
mkdir -p "$LOGDIR"
PASSED=0
FAILED=0
FAILED_NAMES=()

note() { printf '\n== %s\n' "$*"; }

# Durations: every test file's and every part's wall time is printed, and
# the parts again in the summary, so a slow file is visible in CI's log.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
PARTS=()
PART_T0=
part() { # part NAME: closes the running part (if any), opens the next
    [ -n "$PART_T0" ] && PARTS+=("$(printf '%-40s %7s s' "$PART_NAME" "$(since "$PART_T0")")")
    PART_NAME=$1
    PART_T0=$(now)
    [ -n "$1" ] && note "$1"
}
SUITE_T0=$(now)

# run_tap NAME cmd...: run one test program, count its ok / not ok lines.
# A program that exits non-zero without reporting a failure counts as one.
run_tap() {
    local name=$1 logf p f rc t0 dur
    shift
    logf="$LOGDIR/$(echo "$name" | tr '/' '_').log"
    t0=$(now)
    timeout --kill-after=10 "${TAP_TIMEOUT:-900}" "$@" >"$logf" 2>&1
    rc=$?
    dur=$(since "$t0")
    p=$(grep -c '^ok ' "$logf")
    f=$(grep -c '^not ok ' "$logf")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "not ok - $name exited $rc without reporting a failure" >>"$logf"
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    if [ "$f" -gt 0 ]; then
        FAILED_NAMES+=("$name")
        printf '%-55s %4d passed, %d FAILED %7s s\n' "$name" "$p" "$f" "$dur"
        grep -A40 '^not ok ' "$logf" | grep -E '^(not ok |    # )' | head -60
        [ "$rc" -ne 0 ] && tail -15 "$logf" | sed 's/^/    | /'
    else
        printf '%-55s %4d passed %16s s\n' "$name" "$p" "$dur"
    fi
}

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    part "installing test dependencies"
    tests/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }
fi

part "building"
if ! make -s all asan unit-tests >"$LOGDIR/build.log" 2>&1; then
    cat "$LOGDIR/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "build ok"

only=${ONLY:-}
selected() { [ -z "$only" ] || [[ "$1" == *$only* ]]; }

part "static checks"
for t in tests/static/test_*.sh; do
    [ -f "$t" ] && selected "$t" && run_tap "$t" bash "$t"
done

part "unit tests (cmocka, ASan+UBSan)"
for t in build/tests/*/test_*; do
    [ -x "$t" ] && selected "$t" && CMOCKA_MESSAGE_OUTPUT=TAP run_tap "$t" "$t"
done

integration=()
for t in tests/integration/test_*.sh; do
    [ -f "$t" ] && selected "$t" && integration+=("$t")
done
if [ ${#integration[@]} -gt 0 ]; then
    part "integration tests on the loopback stack"
    # TEST_PORT_BASE / TEST_STACK_DIR let several checkouts test at once.
    export PORT_BASE=${TEST_PORT_BASE:-29000} STACK_DIR=${TEST_STACK_DIR:-$REPO/.test-stack}
    export STACK_ENV=$STACK_DIR/stack.env
    local/stack.sh stop >/dev/null 2>&1
    if local/stack.sh start >"$LOGDIR/stack-start.log" 2>&1; then
        for t in "${integration[@]}"; do
            run_tap "$t" bash "$t"
        done
    else
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("loopback stack start")
        echo "not ok - the loopback stack did not start:"
        tail -30 "$LOGDIR/stack-start.log" | sed 's/^/    | /'
    fi
    run_tap "stack stop leaves no process" tests/stack-stop-check.sh
fi

# The production stack on a private Docker engine (tests/engine/engine.sh);
# SKIP_ENGINE=1 skips it visibly.
for t in tests/engine/test_*.sh; do
    { [ -f "$t" ] && selected "$t"; } || continue
    part "engine: the production stack on a container engine"
    PORT_BASE=${TEST_PORT_BASE:-29000} TAP_TIMEOUT=2400 run_tap "$t" bash "$t"
    # Nothing of the engine is left (processes, directories, namespace, containers, volumes).
    PORT_BASE=${TEST_PORT_BASE:-29000} run_tap "engine clean-up leaves nothing behind" bash tests/engine/stop-check.sh
    grep -h '# SKIP' "$LOGDIR/$(echo "$t" | tr '/' '_').log"
done

part ""
echo
echo "durations:"
printf '  %s\n' "${PARTS[@]}"
printf '  %-40s %7s s\n' "whole suite" "$(since "$SUITE_T0")"
[ ${#FAILED_NAMES[@]} -gt 0 ] && printf 'failed: %s\n' "${FAILED_NAMES[*]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
