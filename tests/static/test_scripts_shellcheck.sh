#!/usr/bin/env bash
# Every shell script under scripts/ (and the recorders the script tests use)
# passes shellcheck; every host script is strict (set -euo pipefail) and
# answers --help.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
cd "$REPO" || exit 1

if ! command -v shellcheck >/dev/null; then
    not_ok "shellcheck is installed (tests/install-deps.sh)"
    finish
fi
mapfile -t scripts < <(find scripts tests/fixtures/scripts -type f \( -name '*.sh' -o -path '*/fixtures/scripts/bin/*' \) | sort)
[ ${#scripts[@]} -gt 0 ] || not_ok "found scripts to check"
for f in "${scripts[@]}"; do
    check "shellcheck $f" shellcheck -x -P "$(dirname "$f")" "$f"
done

for s in install-node-exporter install-cadvisor firewall provision-server deploy; do
    f=scripts/$s.sh
    if [ ! -f "$f" ]; then
        not_ok "$f exists"
        continue
    fi
    check "$f is executable" test -x "$f"
    check "$f runs with set -euo pipefail" grep -qx 'set -euo pipefail' "$f"
    out=$(bash "$f" --help 2>&1) && rc=0 || rc=$?
    assert_eq "$f --help exits 0" "0" "$rc"
    assert_contains "$f --help documents --dry-run" "$out" "--dry-run"
    out=$(bash "$f" --no-such-option 2>&1) && rc=0 || rc=$?
    assert_eq "$f rejects an unknown option with exit 2" "2" "$rc"
done
finish
