#!/usr/bin/env bash
# Turn the dashboard checkers' output into tests/lib.sh assertions. Sourced
# by tests/static/test_dashboards.sh and tests/integration/test_dashboards.sh
# after tests/lib.sh. Each function sets RELAYED to the number of checks seen,
# so a caller can tell "all passed" from "nothing ran".

# relay_records FILE: dashq.py --records output (status, description and
# evidence, NUL-separated) -> one assertion per record.
relay_records() {
    local st desc ev
    RELAYED=0
    while IFS= read -r -d '' st && IFS= read -r -d '' desc && IFS= read -r -d '' ev; do
        if [ "$st" = ok ]; then ok "$desc"; else not_ok "$desc" "$ev"; fi
        RELAYED=$((RELAYED + 1))
    done <"$1"
}

# relay_tap FILE: TAP lines ("ok - ", "not ok - " followed by "    # "
# evidence lines) -> one assertion per status line.
relay_tap() {
    local line pending='' evidence='' have=0
    RELAYED=0
    while IFS= read -r line; do
        case $line in
        'ok - '* | 'not ok - '*)
            [ "$have" = 1 ] && not_ok "$pending" "$evidence"
            have=0 evidence=''
            RELAYED=$((RELAYED + 1))
            if [ "${line#ok - }" != "$line" ]; then ok "${line#ok - }"; else pending=${line#not ok - } have=1; fi
            ;;
        '    # '*) evidence+="${line#    # }"$'\n' ;;
        esac
    done <"$1"
    [ "$have" = 1 ] && not_ok "$pending" "$evidence"
    return 0
}
