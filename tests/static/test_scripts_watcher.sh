#!/usr/bin/env bash
# scripts/install-watcher.sh against a throwaway root, with systemctl,
# useradd, getent and ufw replaced by recorders: the settings taken from
# F's .env and nothing else, secrets in 0600 files and never printed,
# the hardened unit (systemd's own parser), the UFW rule for Server F only,
# idempotence, --dry-run, and refusals.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=../fixtures/scripts/harness.sh
. "$REPO/tests/fixtures/scripts/harness.sh"

R=$FAKE_ROOT
mkdir -p "$R/usr/local/bin" "$R/etc/systemd/system" "$R/var/lib"
UNIT=$R/etc/systemd/system/watcher.service
BIN=$R/usr/local/bin/watcher
TOKEN=tok-$RANDOM$RANDOM-0123456789abcdef
PASSWORD=pw-$RANDOM$RANDOM-secret
# A fake watcher binary (the real one is tested in tests/unit and integration).
# shellcheck disable=SC2016 # $1 belongs to the fake binary, not to this script
printf '#!/bin/sh\n[ "$1" = --version ] && echo "watcher 9.9.9"\n' >"$T/watcher"
chmod 755 "$T/watcher"
# F's .env as an operator writes it: comments, inline comments, quotes, and
# secrets the watcher must not receive.
cat >"$T/f.env" <<ENV
# Server F
MONITORING_CLUSTER=ecotrans-prod
SMTP_HOST=smtp.eu.mailgun.org                  # EU region
SMTP_PORT=587
SMTP_USER=postmaster@mg.example.eu
SMTP_PASSWORD=$PASSWORD
SMTP_FROM="Monitoring <monitoring@mg.example.eu>"
ALERT_EMAIL_TO=ops@example.eu
WATCHER_TOKEN=$TOKEN
SERVER_F_PUBLIC_IP=203.0.113.50
WASABI_SECRET_KEY=must-not-travel
ENV
ARGS=(--env-file "$T/f.env" --listen-address 203.0.113.10 --binary "$T/watcher")

# --- argument errors ---------------------------------------------------------------
run_script install-watcher.sh --help
assert_rc "--help exits 0" 0
assert_contains "--help documents --env-file" "$OUT" "--env-file FILE"
run_script install-watcher.sh --listen-address 203.0.113.10 --binary "$T/watcher"
assert_rc "no --env-file: usage error" 2
assert_contains "no --env-file: says what to pass" "$OUT" "--env-file is required"
run_script install-watcher.sh --env-file "$T/f.env" --listen-address 203.0.113.300 --binary "$T/watcher"
assert_rc "invalid IP refused" 2
run_script install-watcher.sh --env-file "$T/f.env" --listen-address 203.0.113.10
assert_rc "first install without --binary refused" 2
assert_contains "without --binary: names it" "$OUT" "--binary is required"
grep -v WATCHER_TOKEN "$T/f.env" >"$T/notoken.env"
run_script install-watcher.sh --env-file "$T/notoken.env" --listen-address 203.0.113.10 --binary "$T/watcher"
assert_rc "no WATCHER_TOKEN: refused" 1
assert_contains "no WATCHER_TOKEN: names the file and variable" "$OUT" "$T/notoken.env: WATCHER_TOKEN must be 16+"
printf '#!/bin/sh\necho "node_exporter 1.8.2"\n' >"$T/other"
chmod 755 "$T/other"
run_script install-watcher.sh --env-file "$T/f.env" --listen-address 203.0.113.10 --binary "$T/other"
assert_rc "another program as --binary: refused" 1
assert_contains "another program: says so" "$OUT" "is not the watcher"
assert_actions "refusals: nothing changed" ""

# --- dry run ---------------------------------------------------------------------
run_script install-watcher.sh "${ARGS[@]}" --dry-run
assert_rc "dry run exits 0" 0
assert_contains "dry run: announces the user" "$OUT" "[dry-run] would run: useradd --system"
assert_contains "dry run: announces the unit" "$OUT" "[dry-run] would create /etc/systemd/system/watcher.service"
assert_contains "dry run: announces the firewall rule" "$OUT" "[dry-run] would run: ufw allow from 203.0.113.50 to any port 9202 proto tcp comment"
assert_contains "dry run: says nothing was changed" "$OUT" "nothing was changed"
assert_not_contains "dry run: the token is never printed" "$OUT" "$TOKEN"
assert_not_contains "dry run: the SMTP password is never printed" "$OUT" "$PASSWORD"
assert_actions "dry run: no command that changes anything ran" ""
check_fails "dry run: no unit written" test -e "$UNIT"

# --- first install ---------------------------------------------------------------
run_script install-watcher.sh "${ARGS[@]}"
assert_rc "install exits 0" 0
expected="useradd --system --user-group --no-create-home --home-dir / --shell /usr/sbin/nologin --comment monitoring watcher (dead-man's switch for Server F) watcher
systemctl daemon-reload
systemctl enable watcher.service
systemctl restart watcher.service
ufw allow from 203.0.113.50 to any port 9202 proto tcp comment monitoring: watcher, reached by Server F"
assert_eq "install: user, daemon-reload, enable, restart, firewall rule, in this order" "$expected" "$(actions)"
assert_not_contains "install: the token is never printed" "$OUT" "$TOKEN"
assert_not_contains "install: the SMTP password is never printed" "$OUT" "$PASSWORD"
assert_contains "install: warns that UFW is not active yet" "$OUT" "UFW is not active"
assert_eq "install: binary 755 root" "755 0:0 watcher 9.9.9" "$(stat -c '%a %u:%g' "$BIN") $("$BIN" --version)"
assert_eq "install: /etc/watcher is 700 root" "700 0:0" "$(stat -c '%a %u:%g' "$R/etc/watcher")"
for f in watcher.env token smtp_password; do
    assert_eq "install: /etc/watcher/$f is 600 root" "600 0:0" "$(stat -c '%a %u:%g' "$R/etc/watcher/$f")"
done
assert_eq "the token file holds the token" "$TOKEN" "$(cat "$R/etc/watcher/token")"
assert_eq "the password file holds the password" "$PASSWORD" "$(cat "$R/etc/watcher/smtp_password")"
settings=$(cat "$R/etc/watcher/watcher.env")
for line in "WATCHER_LISTEN=203.0.113.10:9202" "WATCHER_CLUSTER=ecotrans-prod" "SMTP_HOST=smtp.eu.mailgun.org" \
    "SMTP_PORT=587" "SMTP_USER=postmaster@mg.example.eu" 'SMTP_FROM="Monitoring <monitoring@mg.example.eu>"' \
    "ALERT_EMAIL_TO=ops@example.eu"; do
    assert_contains "settings: $line" "$settings" "$line"
done
for s in "$TOKEN" "$PASSWORD" must-not-travel; do
    assert_not_contains "settings file holds no secret ($s)" "$settings" "$s"
done
unit=$(cat "$UNIT")
for line in "User=watcher" "EnvironmentFile=/etc/watcher/watcher.env" "LoadCredential=token:/etc/watcher/token" \
    "Environment=WATCHER_TOKEN_FILE=%d/token" "LoadCredential=smtp_password:/etc/watcher/smtp_password" \
    "Environment=SMTP_PASSWORD_FILE=%d/smtp_password" "StateDirectory=watcher" \
    "ExecStartPre=/usr/local/bin/watcher --check-config" "ExecStart=/usr/local/bin/watcher" "Restart=always" \
    "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" "CapabilityBoundingSet=" \
    "SystemCallFilter=@system-service" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "MemoryMax=64M"; do
    assert_contains "unit has $line" "$unit" "$line"
done
assert_not_contains "the unit holds no secret" "$unit" "$TOKEN"
if command -v systemd-analyze >/dev/null; then
    vout=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --root="$R" "$UNIT" 2>&1 || true)
    assert_eq "systemd-analyze verify: every directive of the unit is known and valid" "" \
        "$(printf '%s\n' "$vout" | grep -E 'Unknown|Invalid|Failed to parse|ignoring|not executable' || true)"
fi

# --- second run: no changes -------------------------------------------------------
run_script install-watcher.sh "${ARGS[@]}"
assert_rc "second run exits 0" 0
assert_actions "second run: no command that changes anything" ""
assert_contains "second run: says no changes" "$OUT" "no changes"
assert_contains "second run: the firewall rule is present" "$OUT" "present: allow from 203.0.113.50 to any port 9202 proto tcp"
run_script install-watcher.sh --env-file "$T/f.env" --listen-address 203.0.113.10
assert_actions "later run without --binary: keeps the installed one, no changes" ""

# --- a new token: restarted (the state file survives restarts) --------------------------
sed -i "s/^WATCHER_TOKEN=.*/WATCHER_TOKEN=new-$TOKEN/" "$T/f.env"
run_script install-watcher.sh "${ARGS[@]}"
assert_actions "new token: only a restart" "systemctl restart watcher.service"
assert_eq "new token in place" "new-$TOKEN" "$(cat "$R/etc/watcher/token")"

# --- a service that does not come up is an error -------------------------------------------
rm -f "$FAKE_STATE/systemd/watcher.service.active"
FAKE_SYSTEMCTL_FAIL=watcher run_script install-watcher.sh "${ARGS[@]}"
assert_rc "service that fails to start: non-zero exit" 1
assert_contains "service that fails to start: names the command" "$OUT" "'systemctl start watcher.service' failed"
finish
