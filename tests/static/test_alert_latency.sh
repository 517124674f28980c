#!/usr/bin/env bash
# docs/alert-latency.md (each critical alert's worst-case time from fault to
# email) matches the configuration it is generated from: prometheus.yml's
# intervals, the rules' `for:` and Alertmanager's group_wait. A change that
# slows alerting must regenerate the table, so it shows in review.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
GEN=$REPO/bench/fleet/alert-latency.py

check "docs/alert-latency.md matches the rules and Alertmanager configuration" \
    "$PY3" "$GEN" --check "$REPO/docs/alert-latency.md"
doc=$("$PY3" "$GEN")
assert_contains "InstanceDown: 15 s scrape + 15 s evaluation + 3 min for + 30 s group_wait = 4 min" "$doc" \
    "| InstanceDown | prometheus/rules/hosts.yml | 15 s | 15 s | 3 min | 30 s | **4 min** |"
ncrit=$("$PY3" -c '
import glob, yaml
print(sum(1 for f in glob.glob("'"$REPO"'/prometheus/rules/*.yml") for g in yaml.safe_load(open(f))["groups"]
          for r in g["rules"] if "alert" in r and (r.get("labels") or {}).get("severity") == "critical"))')
assert_eq "one row per critical alert rule" "$ncrit" "$(grep -c '^| [A-Za-z0-9]* | prometheus/rules/' <<<"$doc")"

# A slower alert is caught: lengthen InstanceDown's for: in a copy.
mkdir -p "$T/repo/bench/fleet" "$T/repo/docs"
cp -r "$REPO/prometheus" "$REPO/alertmanager" "$T/repo/"
cp "$GEN" "$T/repo/bench/fleet/"
cp "$REPO/docs/alert-latency.md" "$T/repo/docs/"
sed -i '/alert: InstanceDown/,/for:/ s/for: .*/for: 10m/' "$T/repo/prometheus/rules/hosts.yml"
out=$("$PY3" "$T/repo/bench/fleet/alert-latency.py" --check "$T/repo/docs/alert-latency.md" 2>&1)
rc=$?
assert_eq "a longer for: on InstanceDown makes the committed table out of date" 1 "$rc"
assert_contains "the diff shows the new worst case" "$out" "| InstanceDown | prometheus/rules/hosts.yml | 15 s | 15 s | 10 min | 30 s | **11 min** |"
# And a longer group_wait.
cp "$REPO/prometheus/rules/hosts.yml" "$T/repo/prometheus/rules/hosts.yml"
sed -i 's/^GROUP_WAIT=.*/GROUP_WAIT=2m/' "$T/repo/alertmanager/defaults.env"
out=$("$PY3" "$T/repo/bench/fleet/alert-latency.py" --check "$T/repo/docs/alert-latency.md" 2>&1)
assert_contains "a longer group_wait shows in every row" "$out" "| InstanceDown | prometheus/rules/hosts.yml | 15 s | 15 s | 3 min | 2 min | **5 min 30 s** |"
finish
