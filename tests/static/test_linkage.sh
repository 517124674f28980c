#!/usr/bin/env bash
# What each C program links. src/common is a static archive so a program
# carries only the common objects it calls: the queue exporter (a small
# daemon on the database's doorstep) must not pull in libcurl, through a
# NEEDED entry or through any curl_ symbol. The doctor and the daily report
# do use libcurl; checking them proves the probe can see it when it is there.
# Needs the build (tests/run.sh builds before the static checks).
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
cd "$REPO" || exit 1

needed() { readelf -d "$1" 2>/dev/null | awk '/NEEDED/ { gsub(/[][]/, "", $5); print $5 }'; }
curl_syms() { nm -D --undefined-only "$1" 2>/dev/null | awk '$NF ~ /^curl_/ { sub(/@.*/, "", $NF); print $NF }'; }

for a in build/libcommon.a build/asan/libcommon.a; do
    check "$a exists and holds the common objects" bash -c "ar t '$a' | grep -qx strbuf.o"
done
for bin in build/queue-exporter build/asan/queue-exporter; do
    check "$bin is built" test -x "$bin"
    n=$(needed "$bin")
    check "$bin links libpq (the probe reads NEEDED)" grep -q '^libpq\.so' <<<"$n"
    assert_not_contains "$bin does not link libcurl" "$n" "libcurl"
    assert_eq "$bin references no curl_ symbol" "" "$(curl_syms "$bin")"
done
for bin in build/doctor build/daily-report; do
    check "$bin links libcurl (it sends HTTP)" grep -q '^libcurl' <<<"$(needed "$bin")"
    check "$bin references curl_easy_perform" grep -qx curl_easy_perform <<<"$(curl_syms "$bin")"
done
finish
