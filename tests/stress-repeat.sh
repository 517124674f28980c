#!/usr/bin/env bash
# Runs the whole suite (`make test`) N times in a row (default 3) while
# stress-ng keeps both cores busy, and stops at the first red run. This is
# the proof that no assertion depends on the machine's speed.
#   tests/stress-repeat.sh [N]        (stress-ng comes from Debian's archive)
# stress-ng is started here and ended by its PID, whatever happens.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
case $RUNS in '' | *[!0-9]*) echo "usage: $0 [runs]" >&2; exit 2 ;; esac
if ! command -v stress-ng >/dev/null; then
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends stress-ng >/dev/null; }; then
        echo "stress-ng could not be installed" >&2
        exit 2
    fi
fi
LOGDIR=$REPO/build/stress-logs
mkdir -p "$LOGDIR"
stress-ng --cpu 2 --timeout 0 --quiet &
STRESS=$!
trap 'kill "$STRESS" 2>/dev/null; wait "$STRESS" 2>/dev/null' EXIT
for i in $(seq 1 "$RUNS"); do
    t0=$(date +%s)
    (cd "$REPO" && make test) >"$LOGDIR/run-$i.log" 2>&1
    rc=$?
    echo "run $i of $RUNS: $(tail -1 "$LOGDIR/run-$i.log") (exit $rc, $(($(date +%s) - t0)) s, log $LOGDIR/run-$i.log)"
    [ "$rc" = 0 ] || exit 1
done
echo "$RUNS green runs in a row under stress-ng --cpu 2"
