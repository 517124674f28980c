#!/usr/bin/env bash
# Fleet-scale benchmark: memory, rule and dashboard cost of this repository's
# Prometheus configuration at N = 6, 20 and 60 monitored servers (see
# bench/fleet/README.md for the method and the arithmetic).
#
# For each N: write history with promtool (24 h at 15 s, and the 6 days
# before at 60 s, in 2-hour slices, each input file deleted once its block is
# written), start Debian's Prometheus on that data with the production
# prometheus.yml (15 s), rules and flags, and an inventory of N simulated
# servers rendered by scripts/render-config.sh; one fleet-sim process serves
# all of them. After a warm-up: CPU per scrape cycle and rule evaluation over
# a window, memory, then every dashboard PromQL target over 24 h and 7 d.
#
# Usage: bench/fleet/run.sh [--quick] [RESULTS.md]
#   --quick   N = 6 only, shorter windows (under 5 minutes)
#   RESULTS.md  default build/bench/fleet-results.md; the table is also printed.
# Environment: PORT_BASE (default 30000; uses +90, +100..+299, +400..+599),
#   FLEET_SIZES ("6 20 60"), FLEET_WARMUP (45 s), FLEET_WINDOW (90 s),
#   FLEET_REPS (7), FLEET_KEEP=1 keeps the work directory.
# Needs (Debian): prometheus (+promtool), libmicrohttpd-dev, python3-yaml,
#   curl, a C compiler. Not a test: it prints numbers.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$REPO/bench/fleet
PORT_BASE=${PORT_BASE:-30000}
# shellcheck source=../../local/lib.sh
. "$REPO/local/lib.sh"

QUICK=
if [ "${1:-}" = --quick ]; then
    QUICK=1
    shift
fi
OUT=${1:-$REPO/build/bench/fleet-results.md}
if [ -n "$QUICK" ]; then
    SIZES=${FLEET_SIZES:-6} WARMUP=${FLEET_WARMUP:-30} WINDOW=${FLEET_WINDOW:-60} REPS=${FLEET_REPS:-5}
else
    SIZES=${FLEET_SIZES:-6 20 60} WARMUP=${FLEET_WARMUP:-45} WINDOW=${FLEET_WINDOW:-90} REPS=${FLEET_REPS:-7}
fi
FINE_STEP=15 COARSE_STEP=60 SLICE=7200
P_PROM=$((PORT_BASE + 90)) P_NODE=$((PORT_BASE + 100)) P_CADV=$((PORT_BASE + 400))
NODE_FIX=$HERE/fixtures/node-exporter.txt
CADV_FIX=$REPO/local/fixtures/cadvisor-metrics.txt
MAXN=0
for n in $SIZES; do
    case $n in '' | *[!0-9]*) die "FLEET_SIZES: \"$n\" is not a number of servers" ;; esac
    if [ "$n" -lt 1 ] || [ "$n" -gt 200 ]; then die "FLEET_SIZES: $n is outside 1-200 (the port layout)"; fi
    [ "$n" -gt "$MAXN" ] && MAXN=$n
done

for tool in prometheus promtool curl cc pkg-config; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install prometheus curl gcc pkg-config)"
done
pkg-config --exists libmicrohttpd || die "libmicrohttpd-dev is missing (apt-get install libmicrohttpd-dev)"
"$PY3" -c 'import yaml' 2>/dev/null || die "python3-yaml is missing (apt-get install python3-yaml)"

mkdir -p "$REPO/build/bench" "$(dirname "$OUT")"
SIM=$REPO/build/bench/fleet-sim
# shellcheck disable=SC2046 # pkg-config prints several words
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -O2 \
    -o "$SIM" "$HERE/fleet-sim.c" $(pkg-config --cflags --libs libmicrohttpd) -lm ||
    die "building fleet-sim failed"

T=$(mktemp -d /tmp/fleet-bench.XXXXXX)
START=$(date +%s)
cleanup() {
    stop_daemon "$T" prometheus
    stop_daemon "$T" fleet-sim
    [ -n "${FLEET_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
SIMARGS=(--docker-every 3 --node-port "$P_NODE" --cadvisor-port "$P_CADV" --node-fixture "$NODE_FIX"
    --cadvisor-fixture "$CADV_FIX")

# History is written for the families the dashboards, rules and docs read
# (README: why this is enough for query latency), and for the recording
# rules' series; the live scrape has every family.
"$PY3" "$HERE/families.py" used "$NODE_FIX" "$CADV_FIX" >"$T/only.txt"

start_daemon "$T" fleet-sim "$T/fleet-sim.log" "$SIM" serve --servers "$MAXN" "${SIMARGS[@]}"
wait_http "http://127.0.0.1:$P_NODE/metrics" 20 || die "fleet-sim did not start (see $T/fleet-sim.log)"

# convert FILE DATA: one slice into a block, then the slice is deleted.
convert() {
    promtool tsdb create-blocks-from openmetrics "$1" "$2" >>"$T/promtool.log" 2>&1
    local rc=$?
    rm -f "$1"
    return $rc
}

# backfill N DATA: 2-hour slices from 7 days ago to now; up to two
# conversions run while the next slice is generated.
backfill() {
    local n=$1 data=$2 now t to step f pids=() samples=0
    now=$(date +%s)
    local week=$(((now - 7 * 86400) / SLICE * SLICE)) day=$(((now - 86400) / SLICE * SLICE))
    for ((t = week; t < now; t += SLICE)); do
        step=$COARSE_STEP
        [ "$t" -ge "$day" ] && step=$FINE_STEP
        to=$((t + SLICE))
        [ "$to" -gt "$(date +%s)" ] && to=$(date +%s) # the last slice reaches the present
        f=$T/slice-$t.om
        "$SIM" backfill --servers "$n" "${SIMARGS[@]}" --only "$T/only.txt" --recorded 1 --from "$t" --to "$to" \
            --step "$step" >"$f" || die "fleet-sim backfill failed"
        samples=$((samples + $(grep -vc '^#' "$f")))
        if [ ${#pids[@]} -ge 2 ]; then
            wait "${pids[0]}" || die "promtool failed (see $T/promtool.log)"
            pids=("${pids[@]:1}")
        fi
        convert "$f" "$data" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || die "promtool failed (see $T/promtool.log)"; done
    echo "$samples"
}

# prom_config N DIR: the production prometheus.yml and rules, untouched;
# targets rendered from an inventory of N simulated servers.
prom_config() {
    local n=$1 d=$2 svc
    mkdir -p "$d/targets/services" "$d/rendered/targets" "$d/rendered/secrets" "$d/rules"
    cp "$REPO/prometheus/prometheus.yml" "$d/prometheus.yml"
    cp "$REPO"/prometheus/rules/*.yml "$d/rules/"
    for svc in "$REPO"/prometheus/targets/services/*.json; do echo '[]' >"$d/targets/services/$(basename "$svc")"; done
    printf '[\n  {"targets": ["127.0.0.1:%s"], "labels": {"server": "F"}}\n]\n' "$P_PROM" >"$d/targets/services/prometheus.json"
    "$SIM" inventory --servers "$n" "${SIMARGS[@]}" >"$d/inventory.txt"
    "$REPO/scripts/render-config.sh" targets "$d/inventory.txt" "$d/rendered/targets" || die "render-config.sh failed"
    echo '[]' >"$d/rendered/targets/supabase.json"
    : >"$d/rendered/secrets/supabase_service_key"
    promtool check config "$d/prometheus.yml" >"$T/promtool-check.log" 2>&1 ||
        { cat "$T/promtool-check.log" >&2; die "promtool rejects the bench configuration"; }
}

# check_recorded_history N DIR: the recorded series' history (written by
# fleet-sim from its value model) must equal what each recording rule's own
# expression gives on the raw history, at a point in the 15 s day and one in
# the 60 s days; a rule changed without fleet-sim fails here.
check_recorded_history() {
    local n=$1 d=$2 now rec expr t matched total err
    now=$(date +%s)
    "$PY3" -c '
import glob, sys, yaml
for f in sorted(glob.glob(sys.argv[1] + "/rules/*.yml")):
    for g in yaml.safe_load(open(f))["groups"]:
        for r in g["rules"]:
            if "record" in r:
                print(r["record"] + "\t" + " ".join(r["expr"].split()))' "$d" >"$T/records.tsv"
    while IFS=$'\t' read -r rec expr; do
        # On a whole minute: the dashboards group records once a minute, and
        # fleet-sim writes its history on the minute.
        for t in $(((now - 12 * 3600) / 60 * 60)) $(((now - 4 * 86400) / 60 * 60)); do
            matched=$(prom_q "count(($rec) - ($expr))" "$t")
            total=$(prom_q "count($expr)" "$t")
            err=$(prom_q "max(abs(($rec) - ($expr)) / clamp_min(abs($expr), 1e-9))" "$t")
            if [ "$total" = 0 ] || [ "$matched" != "$total" ] || ! awk -v e="$err" 'BEGIN { exit !(e < 0.001) }'; then
                die "N=$n: the history of $rec disagrees with its rule at $(date -u -d "@$t" +%FT%TZ): $matched of $total series match, relative error $err (bench/fleet/fleet-sim.c, fs_recs)"
            fi
        done
    done <"$T/records.tsv"
    log "N=$n: recorded history agrees with $(wc -l <"$T/records.tsv") recording rules (relative error < 0.1 %)"
}

# prom_q EXPR [TIME]: the first value of an instant query, 0 when empty.
prom_q() {
    curl -fsS --max-time 30 "http://127.0.0.1:$P_PROM/api/v1/query" --data-urlencode "query=$1" \
        ${2:+--data-urlencode "time=$2"} | jq -r '.data.result[0].value[1] // 0'
}

RESULTS=()
for n in $SIZES; do
    W=$T/n$n
    mkdir -p "$W/data"
    prom_config "$n" "$W"
    t0=$(date +%s)
    log "N=$n: backfilling 7 days ($COARSE_STEP s) + the last 24 h ($FINE_STEP s) in 2-hour slices"
    samples=$(backfill "$n" "$W/data")
    bf_s=$(($(date +%s) - t0))
    blocks=$(find "$W/data" -maxdepth 1 -type d -name '01*' | wc -l)
    log "N=$n: $samples samples in $blocks blocks ($(du -sh "$W/data" | cut -f1)) in ${bf_s} s"
    MONITORING_CLUSTER=bench PROMETHEUS_REPLICA=0 start_daemon "$T" prometheus "$W/prometheus.log" prometheus \
        --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/data" --storage.tsdb.retention.time=15d \
        --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h \
        --web.listen-address="127.0.0.1:$P_PROM" --enable-feature=expand-external-labels
    wait_http "http://127.0.0.1:$P_PROM/-/ready" 120 || die "Prometheus did not start (see $W/prometheus.log)"
    want=$((n + n / 3 + 1))
    for _ in $(seq 1 60); do
        [ "$(prom_q 'count(up == 1)')" = "$want" ] && break
        sleep 1
    done
    [ "$(prom_q 'count(up == 1)')" = "$want" ] || die "N=$n: not all $want targets are up (see $W/prometheus.log)"
    check_recorded_history "$n" "$W"
    log "N=$n: $want targets up; warming up ${WARMUP} s, then measuring over ${WINDOW} s and $REPS query runs"
    sleep "$WARMUP"
    "$PY3" "$HERE/measure.py" measure --prom-url "http://127.0.0.1:$P_PROM" --pid "$(cat "$T/prometheus.pid")" \
        --servers "$n" --window "$WINDOW" --reps "$REPS" --out "$T/result-$n.json" ||
        die "N=$n: measurement failed"
    jq --argjson s "$samples" --argjson b "$bf_s" --argjson k "$blocks" \
        '. + {backfill_samples: $s, backfill_seconds: $b, backfill_blocks: $k}' "$T/result-$n.json" >"$T/r.json" &&
        mv "$T/r.json" "$T/result-$n.json"
    cp "$T/result-$n.json" "$REPO/build/bench/fleet-result-$n.json"
    RESULTS+=("$T/result-$n.json")
    stop_daemon "$T" prometheus
    rm -rf "$W/data"
done

{
    echo "# bench/fleet results"
    echo
    echo "- Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs," \
        "load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(prometheus --version 2>&1 | head -1)"
    echo "- $(date -u +%Y-%m-%dT%H:%MZ), $(($(date +%s) - START)) s, sizes: $SIZES$([ -n "$QUICK" ] && echo ' (--quick)')"
    for r in "${RESULTS[@]}"; do
        jq -r '"- N=\(.servers): history \(.backfill_samples) samples, \(.backfill_blocks) blocks, written in \(.backfill_seconds) s"' "$r"
    done
    echo
    "$PY3" "$HERE/measure.py" report --note " (60 s history before the last 24 h)" "${RESULTS[@]}"
} >"$OUT"
cat "$OUT"
log "results in $OUT ($(($(date +%s) - START)) s)"
