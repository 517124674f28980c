#!/bin/sh
# Renders the probes list (inventory/probes.txt) for blackbox_exporter.
# POSIX sh + awk only, like render-config.sh (which calls it from the compose
# "config-init" container); local/stack.sh runs it natively.
#
#   render-probes.sh LIST TARGETS_DIR BLACKBOX_YML BLACKBOX_ADDR [CA_FILE]
#
#   TARGETS_DIR/probes.json  Prometheus file_sd for the "blackbox" job: per
#                            endpoint one HTTP probe (module http_<n>) and,
#                            for https, one TLS handshake probe (module tls);
#                            labels probe=<name>, server=<X> when given, and
#                            __blackbox=BLACKBOX_ADDR (where Prometheus sends
#                            the probe; dropped after relabelling).
#   BLACKBOX_YML             blackbox_exporter's modules: http_<n> carries the
#                            endpoint's expected status and body match and
#                            verifies TLS (against CA_FILE when given, else
#                            the system's trust store); tls skips verification
#                            so the certificate's expiry stays known when
#                            verification fails.
set -eu
prog=render-probes.sh
fail() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}
{ [ $# -ge 4 ] && [ $# -le 5 ]; } || fail "usage: $prog LIST TARGETS_DIR BLACKBOX_YML BLACKBOX_ADDR [CA_FILE]"
list=$1
tdir=$2
byml=$3
addr=$4
ca=${5:-}
[ -f "$list" ] || fail "$list: probes list not found"
case $addr in *:[0-9]*) ;; *) fail "BLACKBOX_ADDR=$addr: expected HOST:PORT" ;; esac
mkdir -p "$tdir" "$(dirname "$byml")"

awk -v list="$list" -v tfile="$tdir/probes.json.tmp" -v bfile="$byml.tmp" -v addr="$addr" -v ca="$ca" '
function err(msg) { printf "%s:%d: %s\n", list, NR, msg > "/dev/stderr"; bad = 1 }
function yq(s) { gsub(/'"'"'/, "'"''"'", s); return "'"'"'" s "'"'"'" }
function jq(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
{ sub(/#.*/, "") }
NF == 0 { next }
{
    name = $1; url = $2; status = $3; body = ""; server = ""
    if (NF < 3) { err("expected: NAME URL STATUS [body=REGEX] [server=NAME]"); next }
    if (name !~ /^[A-Za-z0-9_-]+$/) { err("name \"" name "\": letters, digits, - and _ only"); next }
    if (name in seen) { err("name \"" name "\" is listed twice"); next }
    seen[name] = 1
    if (url !~ /^https?:\/\/[^\/ ]+/) { err("URL \"" url "\": expected http(s)://HOST[:PORT]/PATH"); next }
    if (status !~ /^[1-5][0-9][0-9]$/) { err("status \"" status "\": expected an HTTP status code such as 200"); next }
    for (i = 4; i <= NF; i++) {
        if ($i ~ /^body=./) body = substr($i, 6)
        else if ($i ~ /^server=[A-Za-z0-9_-]+$/) server = substr($i, 8)
        else { err("unknown field \"" $i "\" (body=REGEX or server=NAME)"); next }
    }
    n++
    mod = "http_" n
    labels = "\"probe\": " jq(name) ", \"module\": " jq(mod)
    if (server != "") labels = labels ", \"server\": " jq(server)
    labels = labels ", \"__blackbox\": " jq(addr)
    targets = targets (targets == "" ? "" : ",\n") "  {\"targets\": [" jq(url) "], \"labels\": {" labels "}}"
    modules = modules "  " mod ":\n    prober: http\n    timeout: 10s\n    http:\n" \
        "      valid_status_codes: [" status "]\n      follow_redirects: true\n"
    if (body != "") modules = modules "      fail_if_body_not_matches_regexp: [" yq(body) "]\n"
    if (url ~ /^https:/) {
        modules = modules "      fail_if_not_ssl: true\n"
        if (ca != "") modules = modules "      tls_config:\n        ca_file: " yq(ca) "\n"
        hostport = url; sub(/^https:\/\//, "", hostport); sub(/\/.*/, "", hostport)
        if (hostport !~ /:[0-9]+$/) hostport = hostport ":443"
        tl = "\"probe\": " jq(name) ", \"module\": \"tls\""
        if (server != "") tl = tl ", \"server\": " jq(server)
        tl = tl ", \"__blackbox\": " jq(addr)
        targets = targets ",\n  {\"targets\": [" jq(hostport) "], \"labels\": {" tl "}}"
    }
}
END {
    if (bad) exit 1
    printf "[\n%s\n]\n", targets > tfile
    printf "# Rendered by scripts/render-probes.sh from %s: do not edit.\nmodules:\n", list > bfile
    printf "  tls:\n    prober: tcp\n    timeout: 10s\n    tcp:\n      tls: true\n      tls_config:\n        insecure_skip_verify: true\n" > bfile
    printf "%s", modules > bfile
}' "$list" || fail "$list: probes list rejected (see above)"
mv "$tdir/probes.json.tmp" "$tdir/probes.json"
mv "$byml.tmp" "$byml"
echo "$prog: rendered $(grep -c '"module"' "$tdir/probes.json") probes from $list"
