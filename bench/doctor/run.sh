#!/usr/bin/env bash
# The doctor's cost on hostile sizes (issue 14 item 11), release build:
#   - a .env of 100k keys (1,000,000 bytes, under the 1 MiB limit) in three
#     shapes: distinct keys, one key repeated, every value with a '$' (one
#     format issue per key);
#   - the targets group against 2000 loopback exporters under ulimit -n 256,
#     and against 100 exporters whose bodies never end.
# Prints wall time and peak RSS per case. Not a test (speed is the
# machine's): tests/unit/doctor/test_dotenv.c counts the key comparisons
# instead, and tests/integration/test_hostile_inputs.sh runs the same
# inputs under a loose bound. docs/doctor.md quotes one run.
# Usage: bench/doctor/run.sh   Environment: PORT_BASE (default 31000; uses +720, +721).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PORT_BASE=${PORT_BASE:-31000}
DOC=$REPO/build/doctor
make -s -C "$REPO" build/doctor
W=$(mktemp -d /tmp/bench-doctor.XXXXXX)
FAKES=''
trap '[ -n "$FAKES" ] && kill "$FAKES" 2>/dev/null; rm -rf "$W"' EXIT
measure() { # NAME cmd...
    local name=$1
    shift
    /usr/bin/time -f '%e %M' -o "$W/t" "$@" >/dev/null 2>&1 || true
    read -r secs kb < <(tail -1 "$W/t")
    printf '%-48s %8s s %8s KB\n' "$name" "$secs" "$kb"
}
python3 -c "import sys; sys.stdout.write(''.join('K%05d=x\n' % i for i in range(100000)))" >"$W/uniq.env"
python3 -c "import sys; sys.stdout.write(''.join('KEY=%05d\n' % i for i in range(100000)))" >"$W/dup.env"
python3 -c "import sys; sys.stdout.write(''.join('K%05d=\$x\n' % i for i in range(100000)))" >"$W/dollar.env"
printf 'X=1\n' >"$W/min.env"
chmod 600 "$W"/*.env
for f in uniq dup dollar; do
    measure ".env 100k keys ($f, $(stat -c %s "$W/$f.env") bytes)" "$DOC" --env-file "$W/$f.env" --only env
done
P1=$((PORT_BASE + 720)) P2=$((PORT_BASE + 721))
python3 "$REPO/tests/tools/fake_exporters.py" "$P1" "$P2" >"$W/fakes.log" 2>&1 &
FAKES=$!
for _ in $(seq 1 100); do grep -q listening "$W/fakes.log" && break; sleep 0.1; done
python3 -c "import sys; sys.stdout.write(''.join(f's{i} 127.0.0.1 node:{sys.argv[1]}\n' for i in range(2000)))" "$P1" >"$W/inv.2000"
python3 -c "import sys; sys.stdout.write(''.join(f'e{i} 127.0.0.1 node:{sys.argv[1]}\n' for i in range(100)))" "$P2" >"$W/inv.endless"
measure "targets: 2000 exporters, ulimit -n 256" bash -c 'ulimit -n 256 && exec "$@"' _ \
    "$DOC" --env-file "$W/min.env" --inventory "$W/inv.2000" --only targets --timeout 30
measure "targets: 100 endless bodies (2 MiB cap each)" \
    "$DOC" --env-file "$W/min.env" --inventory "$W/inv.endless" --only targets --timeout 600
