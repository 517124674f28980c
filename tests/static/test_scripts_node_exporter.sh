#!/usr/bin/env bash
# scripts/install-node-exporter.sh against a throwaway root, with systemctl,
# useradd, getent and curl replaced by recorders: the actions in order,
# idempotence, upgrades, checksum refusal, --dry-run.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=../fixtures/scripts/harness.sh
. "$REPO/tests/fixtures/scripts/harness.sh"

R=$FAKE_ROOT
mkdir -p "$R/usr/local/bin" "$R/etc/systemd/system" "$R/var/lib"
export FAKE_CURL_DIR=$T/dl
mkdir -p "$FAKE_CURL_DIR"
case $(uname -m) in aarch64 | arm64) ARCH=arm64 ;; *) ARCH=amd64 ;; esac
make_release "$FAKE_CURL_DIR/node_exporter-1.8.2.linux-$ARCH.tar.gz" 1.8.2 "$ARCH"
make_release "$FAKE_CURL_DIR/node_exporter-1.8.1.linux-$ARCH.tar.gz" 1.8.1 "$ARCH"
# The test tarballs are not the real releases: a checksum file for them.
SUMS=$T/test.sha256
(cd "$FAKE_CURL_DIR" && sha256sum node_exporter-*.tar.gz) >"$SUMS"
URL=https://github.com/prometheus/node_exporter/releases/download/v1.8.2/node_exporter-1.8.2.linux-$ARCH.tar.gz
UNIT=$R/etc/systemd/system/node_exporter.service
BIN=$R/usr/local/bin/node_exporter

# --- the pinned checksums in the repository ---------------------------------
assert_contains "repo pins the published SHA-256 of node_exporter 1.8.2 linux-amd64" \
    "$(cat "$REPO/scripts/checksums/node_exporter.sha256")" \
    "6809dd0b3ec45fd6e992c19071d6b5253aed3ead7bf0686885a51d85c6643c66  node_exporter-1.8.2.linux-amd64.tar.gz"

# --- argument errors -----------------------------------------------------------
run_script install-node-exporter.sh --help
assert_rc "--help exits 0" 0
assert_contains "--help documents --listen-address" "$OUT" "--listen-address"
run_script install-node-exporter.sh
assert_rc "no --listen-address: usage error" 2
assert_contains "no --listen-address: says what to pass" "$OUT" "--listen-address is required"
run_script install-node-exporter.sh --listen-address 203.0.113.300
assert_rc "invalid IP refused" 2
run_script install-node-exporter.sh --listen-address 2001:db8::1
assert_contains "unbracketed IPv6 refused with a hint" "$OUT" "in brackets"
run_script install-node-exporter.sh --listen-address 203.0.113.10 --version 1.7.0
assert_rc "unpinned version refused" 1
assert_contains "unpinned version: names the checksum file" "$OUT" "no pinned SHA-256 for node_exporter-1.7.0.linux-$ARCH.tar.gz"
assert_eq "unpinned version: nothing recorded" "" "$LOG"

# --- dry run --------------------------------------------------------------------
NODE_EXPORTER_CHECKSUMS=$SUMS run_script install-node-exporter.sh --listen-address 203.0.113.10 --dry-run
assert_rc "dry run exits 0" 0
assert_contains "dry run: announces the download and the pinned hash" "$OUT" "[dry-run] would download $URL and require sha256"
assert_contains "dry run: announces the system user" "$OUT" "[dry-run] would run: useradd --system"
assert_contains "dry run: announces the unit" "$OUT" "[dry-run] would create /etc/systemd/system/node_exporter.service"
assert_contains "dry run: shows the unit's ExecStart" "$OUT" "ExecStart=/usr/local/bin/node_exporter --web.listen-address=203.0.113.10:9100 --collector.systemd"
assert_contains "dry run: announces enable and restart" "$OUT" "[dry-run] would run: systemctl restart node_exporter.service"
assert_contains "dry run: says nothing was changed" "$OUT" "nothing was changed"
assert_actions "dry run: no command that changes anything ran" ""
check_fails "dry run: no unit written" test -e "$UNIT"
check_fails "dry run: no binary written" test -e "$BIN"

# --- a checksum mismatch installs nothing --------------------------------------
run_script install-node-exporter.sh --listen-address 203.0.113.10
assert_rc "checksum mismatch (repo pin vs test tarball): refused" 1
assert_contains "checksum mismatch: says so with both hashes" "$OUT" "SHA-256 mismatch for node_exporter-1.8.2.linux-$ARCH.tar.gz: expected "
assert_contains "checksum mismatch: says nothing was installed" "$OUT" "Nothing was installed."
assert_actions "checksum mismatch: only the download ran" "curl -fsSL --proto =https --tlsv1.2 --retry 3 --connect-timeout 15 --max-time 600 -o $(printf '%s' "$LOG" | sed -n 's/.* -o \([^ ]*\) .*/\1/p') $URL"
check_fails "checksum mismatch: no binary" test -e "$BIN"
check_fails "checksum mismatch: no unit" test -e "$UNIT"
assert_eq "checksum mismatch: no user created" "1" "$(wc -l <"$FAKE_STATE/passwd")"
cp "$FAKE_CURL_DIR/node_exporter-1.8.2.linux-$ARCH.tar.gz" "$T/local.tar.gz"
run_script install-node-exporter.sh --listen-address 203.0.113.10 --tarball "$T/local.tar.gz"
assert_rc "checksum mismatch with --tarball: refused" 1
assert_actions "checksum mismatch with --tarball: nothing ran" ""

# --- first install ---------------------------------------------------------------
NODE_EXPORTER_CHECKSUMS=$SUMS run_script install-node-exporter.sh --listen-address 203.0.113.10
assert_rc "install exits 0" 0
expected="curl -fsSL --proto =https --tlsv1.2 --retry 3 --connect-timeout 15 --max-time 600 -o DL $URL
useradd --system --user-group --no-create-home --home-dir / --shell /usr/sbin/nologin --comment Prometheus node_exporter node_exporter
systemctl daemon-reload
systemctl enable node_exporter.service
systemctl restart node_exporter.service"
assert_eq "install: download, user, daemon-reload, enable, restart, in this order" "$expected" \
    "$(actions | sed 's/ -o [^ ]* / -o DL /')"
assert_contains "install: reports active" "$OUT" "node_exporter.service is active, listening on 203.0.113.10:9100"
assert_eq "install: the binary is the one from the verified tarball" "node_exporter, version 1.8.2 (fake for tests)" "$("$BIN")"
assert_eq "install: binary mode 755 root:root" "755 0:0" "$(stat -c '%a %u:%g' "$BIN")"
assert_eq "install: unit mode 644" "644" "$(stat -c '%a' "$UNIT")"
unit=$(cat "$UNIT")
for line in "User=node_exporter" "ExecStart=/usr/local/bin/node_exporter --web.listen-address=203.0.113.10:9100 --collector.systemd" \
    "Restart=always" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=read-only" "PrivateTmp=yes" \
    "ProtectKernelTunables=yes" "CapabilityBoundingSet=" "WantedBy=multi-user.target"; do
    assert_contains "unit has $line" "$unit" "$line"
done
assert_contains "install: the system user exists" "$(cat "$FAKE_STATE/passwd")" "node_exporter:x:"
if command -v systemd-analyze >/dev/null; then
    # systemd's own parser, with the binary resolved inside the test root
    # (it cannot load sysinit.target there, so only parse errors count).
    vout=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --root="$R" "$UNIT" 2>&1 || true)
    assert_eq "systemd-analyze verify: every directive of the unit is known and valid" "" \
        "$(printf '%s\n' "$vout" | grep -E 'Unknown|Invalid|Failed to parse|ignoring|not executable' || true)"
fi

# --- the unit's clock sandbox leaves the timex collector working ---------------------------
# HostClockSkew and HostClockNotSynchronising read node_timex_*. ProtectClock=yes
# makes systemd deny the whole @clock group, read-only adjtimex() included, and
# the timex collector then fails. The real node_exporter runs here with the
# unit's flags under the clock filter the unit asks systemd for
# (tests/fixtures/scripts/unit-clock-filter.py: the same seccomp mechanism).
assert_not_contains "unit: no ProtectClock (it would deny adjtimex)" "$unit" "ProtectClock=yes"
assert_contains "unit: says why ProtectClock is absent" "$unit" "adjtimex"
if command -v prometheus-node-exporter >/dev/null && /usr/bin/python3 -c 'import seccomp' 2>/dev/null; then
    NPORT=$((${TEST_PORT_BASE:-${PORT_BASE:-29000}} + 640))
    flags=$(sed -n 's|^ExecStart=[^ ]* ||p' "$UNIT" | sed "s|--web.listen-address=[^ ]*|--web.listen-address=127.0.0.1:$NPORT|")
    # shellcheck disable=SC2086 # the unit's flags, word-split as systemd does
    /usr/bin/python3 "$FIX/unit-clock-filter.py" "$UNIT" prometheus-node-exporter $flags >"$T/node.log" 2>&1 &
    NPID=$!
    if eventually 20 curl -fsS -o "$T/node.metrics" "http://127.0.0.1:$NPORT/metrics"; then
        echo "# $(head -1 "$T/node.log")"
        for m in node_timex_offset_seconds node_timex_sync_status node_timex_maxerror_seconds; do
            check "the unit's sandbox keeps $m (clock alerts' input)" grep -q "^$m " "$T/node.metrics"
        done
        check "the unit's sandbox: timex collector succeeds" grep -qx 'node_scrape_collector_success{collector="timex"} 1' "$T/node.metrics"
    else
        not_ok "node_exporter with the unit's flags answered on 127.0.0.1:$NPORT" "$(tail -5 "$T/node.log")"
    fi
    kill "$NPID" 2>/dev/null
    wait "$NPID" 2>/dev/null
else
    not_ok "prometheus-node-exporter and python3-seccomp are installed (tests/install-deps.sh)"
fi

# --- second run: no changes -------------------------------------------------------
NODE_EXPORTER_CHECKSUMS=$SUMS run_script install-node-exporter.sh --listen-address 203.0.113.10
assert_rc "second run exits 0" 0
assert_actions "second run: no command that changes anything" ""
assert_contains "second run: says no changes" "$OUT" "no changes"
assert_not_contains "second run: no download" "$LOG" "curl"

# --- stopped service is started, nothing else ----------------------------------------
rm -f "$FAKE_STATE/systemd/node_exporter.service.active"
NODE_EXPORTER_CHECKSUMS=$SUMS run_script install-node-exporter.sh --listen-address 203.0.113.10
assert_actions "stopped service: only started" "systemctl start node_exporter.service"

# --- new listen address: unit rewritten, restarted, no download -------------------------
NODE_EXPORTER_CHECKSUMS=$SUMS run_script install-node-exporter.sh --listen-address 0.0.0.0:9100
assert_actions "new address: daemon-reload and restart only" "systemctl daemon-reload
systemctl restart node_exporter.service"
assert_contains "new address: unit updated" "$(cat "$UNIT")" "--web.listen-address=0.0.0.0:9100"
assert_contains "0.0.0.0 without active UFW: warns" "$OUT" "UFW is not active"
assert_contains "new address: the diff is shown" "$OUT" "+ExecStart=/usr/local/bin/node_exporter --web.listen-address=0.0.0.0:9100"

# --- upgrade to another pinned version ---------------------------------------------
NODE_EXPORTER_CHECKSUMS=$SUMS run_script install-node-exporter.sh --listen-address 0.0.0.0 --version 1.8.1
assert_rc "upgrade (to 1.8.1) exits 0" 0
assert_eq "upgrade: download then restart, no new user" "curl DL v1.8.1/node_exporter-1.8.1.linux-$ARCH.tar.gz
systemctl restart node_exporter.service" \
    "$(actions | sed -e 's|^curl .* -o [^ ]* https://.*/download/|curl DL |')"
assert_eq "upgrade: new binary in place" "node_exporter, version 1.8.1 (fake for tests)" "$("$BIN")"
NODE_EXPORTER_CHECKSUMS=$SUMS run_script install-node-exporter.sh --listen-address 0.0.0.0 --version 1.8.1
assert_actions "after upgrade: second run changes nothing" ""

# --- a binary replaced behind our back is put back --------------------------------------
printf '#!/bin/sh\necho tampered\n' >"$BIN"
NODE_EXPORTER_CHECKSUMS=$SUMS run_script install-node-exporter.sh --listen-address 0.0.0.0 --version 1.8.1
assert_eq "tampered binary: re-downloaded, verified, restarted" "2" "$(actions | grep -c -e '^curl ' -e '^systemctl restart')"
assert_eq "tampered binary: replaced by the pinned release" "node_exporter, version 1.8.1 (fake for tests)" "$("$BIN")"

# --- a service that does not come up is an error -------------------------------------------
rm -f "$FAKE_STATE/systemd/node_exporter.service.active"
NODE_EXPORTER_CHECKSUMS=$SUMS FAKE_SYSTEMCTL_FAIL=node_exporter run_script install-node-exporter.sh --listen-address 0.0.0.0 --version 1.8.1
assert_rc "service that fails to start: non-zero exit" 1
assert_contains "service that fails to start: names the command" "$OUT" "'systemctl start node_exporter.service' failed"
finish
