#!/usr/bin/env bash
# compose.yaml loads the same way under Compose v2 and docker-compose 1.29,
# even where no engine runs:
#   - no `$` that Compose's interpolation rejects (anything but `$$`,
#     `${NAME...}` or `$NAME`): the checker finds the defect it exists for;
#   - docker-compose 1.29 (Debian's) loads and interpolates the file
#     (`config -q`), with every required variable set to a dummy.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CHECK=$REPO/tests/tools/compose_dollars.py

check "compose.yaml has no lone \$ (only \$\$, \${NAME...}, \$NAME)" /usr/bin/python3 "$CHECK" "$REPO/compose.yaml"
# The checker itself: the node-exporter pattern as it was before the fix,
# a trailing dollar and a dollar before a digit are found; the legal forms are not.
# shellcheck disable=SC2016 # literal dollars, on purpose
printf '%s\n' 'services:' '  a:' '    command: ["--x=^/(dev|sys)($|/)"]' '    environment: {A: "cost 5$", B: "$1"}' >"$T/bad.yaml"
out=$(/usr/bin/python3 "$CHECK" "$T/bad.yaml")
assert_eq "the checker reports each lone \$ with its line (3 in the sample)" 3 "$(printf '%s\n' "$out" | grep -c 'bad.yaml:[34]:')"
# shellcheck disable=SC2016 # literal dollars, on purpose
printf '%s\n' 'services:' '  # a comment may say $|' '  a:' '    command: ["($$|/)", "${X:-y}", "$X", "${X:?set X}"]' >"$T/good.yaml"
check "the checker accepts \$\$, \${NAME...} and \$NAME" /usr/bin/python3 "$CHECK" "$T/good.yaml"

if [ -x /usr/bin/docker-compose ]; then
    # Every variable compose.yaml requires, set to a dummy value.
    grep -oE '\$\{[A-Z0-9_]+' "$REPO/compose.yaml" | sort -u | sed 's/^\${\(.*\)/\1=dummy/' >"$T/env"
    check "docker-compose $(/usr/bin/docker-compose version --short 2>/dev/null) loads compose.yaml (config -q)" \
        /usr/bin/docker-compose --project-directory "$REPO" --env-file "$T/env" -f "$REPO/compose.yaml" config -q
    check_fails "docker-compose 1.29 rejects the lone \$ the checker finds (the checker is not stricter than Compose)" \
        /usr/bin/docker-compose --project-directory "$T" --env-file "$T/env" -f "$T/bad.yaml" config -q
else
    not_ok "docker-compose is installed (tests/install-deps.sh)"
fi
finish
