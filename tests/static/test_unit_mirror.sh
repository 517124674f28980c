#!/usr/bin/env bash
# Unit tests mirror the modules (issue 11): every src/<dir>/<module>.c has
# tests/unit/<dir>/test_<module>.c, or a line in tests/README.md's
# "Unit-test mirror exemptions" list saying why not:
#     - src/<dir>/<module>.c: reason (naming the test that covers it)
# An exemption must name a file that exists and has no unit test, give a
# reason, and every tests/... path in the reason must exist. The checker is
# first run on a scratch tree where it must fail, so it cannot pass vacuously.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"

# mirror ROOT: prints one "ok"/"FAIL" line per module and exemption;
# exits non-zero when any fails.
mirror() {
    local root=$1 f d m line path reason rc=0 p
    declare -A exempt=()
    while IFS= read -r line; do
        path=${line#- }
        path=${path%%:*}
        reason=${line#*: }
        exempt[$path]=$reason
    done < <(grep -E '^- src/[^/ ]+/[^/ :]+\.c: ' "$root/tests/README.md" 2>/dev/null)
    for f in "$root"/src/*/*.c; do
        [ -e "$f" ] || continue
        d=$(basename "$(dirname "$f")")
        m=$(basename "$f" .c)
        path=src/$d/$m.c
        if [ -f "$root/tests/unit/$d/test_$m.c" ]; then
            echo "ok $path: tests/unit/$d/test_$m.c"
        elif [ -n "${exempt[$path]+set}" ]; then
            echo "ok $path: exempt (${exempt[$path]:0:60}...)"
        else
            echo "FAIL $path: no tests/unit/$d/test_$m.c and no exemption line in tests/README.md"
            rc=1
        fi
    done
    for path in "${!exempt[@]}"; do
        reason=${exempt[$path]}
        d=$(basename "$(dirname "$path")")
        m=$(basename "$path" .c)
        if [ ! -f "$root/$path" ]; then
            echo "FAIL exemption of $path: no such file (stale line)"
            rc=1
        elif [ -f "$root/tests/unit/$d/test_$m.c" ]; then
            echo "FAIL exemption of $path: it has tests/unit/$d/test_$m.c (stale line)"
            rc=1
        elif [ "${#reason}" -lt 20 ]; then
            echo "FAIL exemption of $path: the reason is missing or too short"
            rc=1
        fi
        while IFS= read -r p; do
            [ -n "$p" ] || continue
            if ! compgen -G "$root/$p" >/dev/null; then
                echo "FAIL exemption of $path: it names $p, which does not exist"
                rc=1
            fi
        done < <(grep -oE 'tests/[A-Za-z0-9_./*-]+\.(sh|c)' <<<"$reason")
    done
    return "$rc"
}

# The checker on a scratch tree: a module without a test, a stale
# exemption and one naming a missing test must each be reported.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/src/prog" "$scratch/tests/unit/prog" "$scratch/tests/integration"
touch "$scratch/src/prog/tested.c" "$scratch/tests/unit/prog/test_tested.c" \
    "$scratch/src/prog/untested.c" "$scratch/src/prog/main.c" "$scratch/src/prog/glue.c" \
    "$scratch/tests/integration/test_prog.sh"
printf '%s\n' "- src/prog/main.c: glue; run end to end by tests/integration/test_prog.sh" \
    "- src/prog/gone.c: a module that was removed long ago" \
    "- src/prog/tested.c: exempt although it has a unit test" \
    "- src/prog/glue.c: glue; run by tests/integration/test_missing.sh" >"$scratch/tests/README.md"
out=$(mirror "$scratch")
assert_eq "the checker fails on a tree with gaps" 1 "$?"
assert_contains "it names a module without a test" "$out" "FAIL src/prog/untested.c: no tests/unit/prog/test_untested.c"
assert_contains "it names a stale exemption (no such file)" "$out" "FAIL exemption of src/prog/gone.c: no such file"
assert_contains "it names a stale exemption (has a test)" "$out" "FAIL exemption of src/prog/tested.c: it has"
assert_contains "it names a reason pointing at a missing test" "$out" "it names tests/integration/test_missing.sh, which does not exist"
assert_contains "a justified exemption passes" "$out" "ok src/prog/main.c: exempt"

# The repository itself.
out=$(mirror "$REPO") # its status: the not_ok lines below
while IFS= read -r line; do
    case $line in
    ok\ *) ok "${line#ok }" ;;
    FAIL\ *) not_ok "${line#FAIL }" ;;
    esac
done <<<"$out"
finish
