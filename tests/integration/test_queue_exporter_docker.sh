#!/usr/bin/env bash
# src/queue-exporter/Dockerfile, checked without a Docker engine:
#   - base images pinned by tag (never latest), the runtime is Debian 12 slim at a dated tag;
#   - the build stage's COPY set is enough: its RUN builds in a copy holding
#     only those files;
#   - the runtime packages provide every shared library the binary needs
#     (besides libc, in the base image), and none is superfluous;
#   - it runs as a non-root user;
#   - the HEALTHCHECK command, run as written with the image's ENV, passes
#     against a live exporter and fails when nothing listens.
# Port: PORT_BASE + 630.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

DF=$REPO/src/queue-exporter/Dockerfile
BIN=$REPO/build/queue-exporter
PORT=$((PORT_BASE + 630))
T=$(mktemp -d /tmp/qe-docker.XXXXXX)
cleanup() {
    stop_daemon "$T" qe
    rm -rf "$T"
}
trap cleanup EXIT

# Joins continuation lines, so each instruction is one line.
instructions() { sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$DF" | grep -vE '^\s*(#|$)'; }
instructions >"$T/df"

froms=$(grep -E '^FROM ' "$T/df")
assert_eq "two stages" "2" "$(wc -l <<<"$froms")"
assert_not_contains "no image uses the latest tag" "$froms" ":latest"
check "every FROM names a tag" bash -c "! grep -E '^FROM [^ :]+( |$)' '$T/df'"
assert_eq "runtime image is Debian 12 slim, dated (debian:bookworm-20261005-slim)" "FROM debian:bookworm-20261005-slim" "$(tail -1 <<<"$froms")"

# Build stage: replay its COPY lines into an empty tree, run its make there.
mkdir -p "$T/ctx"
while read -r _ src dst; do
    mkdir -p "$T/ctx/$(dirname "$dst")"
    if [ -d "$REPO/$src" ]; then
        mkdir -p "$T/ctx/$dst" && cp -r "$REPO/$src/." "$T/ctx/$dst"
    else
        cp "$REPO/$src" "$T/ctx/$dst"
    fi
done < <(awk '/^FROM .* AS build/ { b = 1; next } /^FROM / { b = 0 } b && /^COPY / && !/--from/' "$T/df" |
    awk '{ n = NF; for (i = 2; i < n; i++) print "COPY", $i, $n }' | sed 's| \./$| |; s| \./| |')
build_cmd=$(awk '/^FROM .* AS build/ { b = 1; next } /^FROM / { b = 0 } b && /^RUN make/ { sub(/^RUN /, ""); print }' "$T/df")
check "build stage: '$build_cmd' succeeds with only the copied files" \
    bash -c "cd '$T/ctx' && rm -rf build/tests && $build_cmd"
check "build stage: the result runs" "$T/ctx/build/queue-exporter" --version

# Runtime stage: packages versus the binary's NEEDED libraries.
runtime_pkgs=$(awk '/^FROM / { r++ } r == 2 && /apt-get install/' "$T/df" |
    sed 's/.*--no-install-recommends//; s/&&.*//' | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | sort -u)
check "runtime stage installs packages" test -n "$runtime_pkgs"
needed_pkgs=""
while read -r soname; do
    path=$(ldd "$BIN" | awk -v l="$soname" '$1 == l { print $3 }')
    pkg=""
    for candidate in "$path" "$(readlink -f "$path")" "/lib/x86_64-linux-gnu/$soname" "/usr/lib/x86_64-linux-gnu/$soname"; do
        pkg=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
    done
    case $pkg in
    libc6) ok "needed $soname comes with the base image (libc6)" ;;
    "") not_ok "needed $soname: no Debian package found" ;;
    *)
        needed_pkgs="$needed_pkgs $pkg"
        assert_contains "needed $soname: its package $pkg is installed in the runtime stage" "$runtime_pkgs" "$pkg"
        ;;
    esac
done < <(readelf -d "$BIN" | awk '/NEEDED/ { gsub(/[][]/, "", $5); print $5 }')
for p in $runtime_pkgs; do
    assert_contains "runtime package $p provides a library the binary needs" "$needed_pkgs" "$p"
done

user=$(awk '/^USER /' "$T/df" | tail -1)
check "runs as a non-root user ($user)" bash -c "[ -n '$user' ] && ! grep -qE '^USER (0|root)(:|$)' <<<'$user'"
uid=${user#USER }
uid=${uid%%:*}
check "the runtime stage creates that user (uid $uid)" grep -q "useradd --system --uid $uid " "$T/df"

# HEALTHCHECK: run its exec-form command with the image's ENV.
hc=$(awk '/^HEALTHCHECK /' "$T/df")
check "HEALTHCHECK has interval, timeout and retries" bash -c "grep -q -- '--interval=' <<<'$hc' && grep -q -- '--timeout=' <<<'$hc' && grep -q -- '--retries=' <<<'$hc'"
mapfile -t hc_cmd < <(jq -r '.[]' <<<"${hc#*CMD }")
assert_eq "HEALTHCHECK runs the exporter's own probe" "/usr/local/bin/queue-exporter --probe" "${hc_cmd[*]}"
env_listen=$(awk '/^ENV QUEUE_EXPORTER_LISTEN=/ { sub(/^ENV QUEUE_EXPORTER_LISTEN=/, ""); print }' "$T/df")
assert_eq "the image listens on all interfaces, port 9200" "0.0.0.0:9200" "$env_listen"
# Same command, this checkout's binary, the image's address with a free port.
listen=${env_listen%:*}:$PORT
QUEUE_EXPORTER_LISTEN=$listen QUEUE_EXPORTER_DSN="host=127.0.0.1 port=1 sslmode=disable connect_timeout=2" \
    start_daemon "$T" qe "$T/qe.log" "$BIN"
wait_http "http://127.0.0.1:$PORT/healthz" 10
check "HEALTHCHECK command passes against a running exporter (database down: still alive)" \
    env QUEUE_EXPORTER_LISTEN="$listen" "$BIN" "${hc_cmd[@]:1}"
stop_daemon "$T" qe
check_fails "HEALTHCHECK command fails when nothing listens" env QUEUE_EXPORTER_LISTEN="$listen" "$BIN" "${hc_cmd[@]:1}"
finish
