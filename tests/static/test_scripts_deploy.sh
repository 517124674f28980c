#!/usr/bin/env bash
# scripts/deploy.sh with ssh and docker replaced by recorders: the ssh
# recorder runs the remote commands on this machine, against a throwaway
# "target" directory, with docker compose simulated (interpolation, env
# files, bind mounts). Checks the upload, .env mode 600, validation before
# switching, --force-recreate for exactly the services whose inputs
# changed, the manifest-based cleanup, and the error messages.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=../fixtures/scripts/harness.sh
. "$REPO/tests/fixtures/scripts/harness.sh"

SRC=$T/src
DEST=$T/target/opt/monitoring
KEY=$T/keys/test_vps
mkdir -p "$SRC/prometheus" "$SRC/grafana/provisioning" "$SRC/alertmanager" "$DEST" "$T/keys"
ssh-keygen -q -t ed25519 -N '' -f "$KEY"
cat >"$SRC/compose.yaml" <<'EOF'
name: monitoring
services:
  prometheus:
    image: prom/prometheus:v3.5.0
    command: ["--storage.tsdb.retention.time=${PROMETHEUS_RETENTION:-15d}"]
    volumes:
      - ./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro
      - ./data/prometheus:/prometheus
  grafana:
    image: grafana/grafana:12.0.0
    environment:
      GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD in .env}
    volumes:
      - ./grafana/provisioning:/etc/grafana/provisioning:ro
  # Like the real compose.yaml: a one-shot renders secrets into a volume
  # that alertmanager reads.
  config-init:
    image: alpine:3.20.3
    environment:
      SMTP_PASSWORD: ${SMTP_PASSWORD:?set SMTP_PASSWORD in .env}
    volumes:
      - ./alertmanager:/repo/alertmanager:ro
      - rendered:/rendered
  alertmanager:
    image: prom/alertmanager:v0.27.0
    depends_on:
      config-init: {condition: service_completed_successfully}
    volumes:
      - rendered:/etc/alertmanager:ro
volumes:
  rendered: {}
EOF
printf 'route: {receiver: ops}\n' >"$SRC/alertmanager/alertmanager.yml"
printf 'global:\n  scrape_interval: 15s\n' >"$SRC/prometheus/prometheus.yml"
printf 'apiVersion: 1\n' >"$SRC/grafana/provisioning/datasources.yaml"
printf '# monitoring\n' >"$SRC/README.md"
printf 'obsolete\n' >"$SRC/old-notes.txt"
printf '.env\n.env.local\n' >"$SRC/.gitignore"
printf 'GRAFANA_ADMIN_PASSWORD=first-secret\nSMTP_PASSWORD=smtp-1\n' >"$SRC/.env"
cat >"$SRC/.env.local" <<EOF
# test VPS
TEST_VPS_HOST=198.51.100.5
TEST_VPS_USER="claude-admin"
TEST_VPS_SSH_KEY=$KEY
EOF
g() { git -C "$SRC" -c user.name=test -c user.email=test@example.invalid "$@" >/dev/null; }
g init -q
g add -A
g commit -q -m initial
printf 'scratch\n' >"$SRC/untracked.txt"

# No engine behind the recorders: the health wait is skipped (--health-timeout 0);
# tests/engine/test_engine.sh deploys for real, rollback included.
deploy() { run_script deploy.sh --source "$SRC" --remote-dir "$DEST" --health-timeout 0 "$@"; }
compose_calls() { printf '%s\n' "$LOG" | grep '^docker compose' | sed "s|-p [^ ]* --project-directory [^ ]* -f [^ ]* --env-file [^ ]* ||" || true; }
CUR=$DEST/current

# --- target and input errors ---------------------------------------------------------
deploy
assert_rc "no target: usage error" 2
assert_contains "no target: says how to choose" "$OUT" "choose a target: --test-vps"
deploy --test-vps --env-local "$T/missing.env.local"
assert_rc "--test-vps without .env.local: refused" 1
assert_contains "missing .env.local: names the file and the variables" "$OUT" "missing.env.local not found"
assert_contains "missing .env.local: lists TEST_VPS_SSH_KEY" "$OUT" "TEST_VPS_SSH_KEY=<path to the private key"
assert_eq "missing .env.local: no connection attempted" "" "$LOG"
grep -v TEST_VPS_SSH_KEY "$SRC/.env.local" >"$T/nokey.env.local"
(
    unset TEST_VPS_SSH_KEY VPS_MONITORING_SSH_KEY
    deploy --test-vps --env-local "$T/nokey.env.local"
    assert_rc ".env.local without the key variable: refused" 1
    assert_contains ".env.local without the key variable: names it" "$OUT" "does not set TEST_VPS_SSH_KEY"
    assert_contains ".env.local without the key variable: names the environment variables too" "$OUT" \
        "neither TEST_VPS_SSH_KEY nor VPS_MONITORING_SSH_KEY is in the environment"
    # The key from the operator's environment, as the plan keeps it: a path ...
    VPS_MONITORING_SSH_KEY=$T/keys/from-env deploy --test-vps --env-local "$T/nokey.env.local" --dry-run
    assert_contains "VPS_MONITORING_SSH_KEY (a path) is the key when .env.local has none" "$OUT" \
        "SSH key $T/keys/from-env (VPS_MONITORING_SSH_KEY in the environment): no such file"
    TEST_VPS_SSH_KEY=$KEY deploy --test-vps --env-local "$T/nokey.env.local" --dry-run
    assert_contains "TEST_VPS_SSH_KEY from the environment works too" "$OUT" "[dry-run] would run: ssh -i $KEY -p 22"
    printf 'VPS_MONITORING_SSH_KEY=%s\n' "$KEY" >>"$T/nokey.env.local"
    deploy --test-vps --env-local "$T/nokey.env.local" --dry-run
    assert_contains "VPS_MONITORING_SSH_KEY in .env.local" "$OUT" "[dry-run] would run: ssh -i $KEY -p 22"
    # ... or the private key itself: into a private file of the run, never on a command line.
    grep -v VPS_MONITORING_SSH_KEY "$T/nokey.env.local" >"$T/nokey2.env.local"
    VPS_MONITORING_SSH_KEY=$(cat "$KEY") deploy --test-vps --env-local "$T/nokey2.env.local"
    assert_rc "VPS_MONITORING_SSH_KEY holding the key itself: deploy exits 0" 0
    assert_contains "the key itself is used from a file of the run" "$(printf '%s\n' "$LOG" | grep -m1 '^ssh ')" "/test-vps.key -p 22"
    assert_not_contains "the key's content is on no command line" "$LOG" "$(sed -n 2p "$KEY")"
    keyfile=$(printf '%s\n' "$LOG" | grep -m1 -o -- '-i [^ ]*test-vps.key' | cut -d' ' -f2)
    check_fails "the key file is removed after the run" test -e "${keyfile:-/nonexistent-but-named}"
    rm -rf "${DEST:?}"/* "$DEST"/.[!.]* 2>/dev/null
) 
sed "s|^TEST_VPS_SSH_KEY=.*|TEST_VPS_SSH_KEY=$T/keys/nope|" "$SRC/.env.local" >"$T/badkey.env.local"
deploy --test-vps --env-local "$T/badkey.env.local"
assert_rc "key file missing: refused" 1
assert_contains "key file missing: names the file and where it came from" "$OUT" "SSH key $T/keys/nope (TEST_VPS_SSH_KEY in $T/badkey.env.local): no such file"
chmod 644 "$KEY"
deploy --test-vps
assert_rc "key readable by others: refused" 1
assert_contains "key readable by others: says chmod 600" "$OUT" "chmod 600 $KEY"
chmod 600 "$KEY"
deploy --host 198.51.100.9 --user claude-admin
assert_rc "production target without --key: usage error" 2
assert_contains "production target without --key: names it" "$OUT" "--key (or DEPLOY_SSH_KEY) is missing"
deploy --test-vps --env-file "$T/none.env"
assert_rc "missing .env: refused" 1
assert_contains "missing .env: says to copy .env.example" "$OUT" "copy .env.example to .env"

# --- dry run ---------------------------------------------------------------------------
deploy --test-vps --dry-run
assert_rc "dry run exits 0" 0
assert_contains "dry run: the target comes from .env.local" "$OUT" "to claude-admin@198.51.100.5:$DEST"
assert_contains "dry run: counts the tracked files" "$OUT" ", 7 files)"
assert_contains "dry run: prints the check over SSH with the key" "$OUT" "[dry-run] would run: ssh -i $KEY -p 22"
assert_contains "dry run: prints the validation" "$OUT" "remote.sh validate $DEST"
assert_contains "dry run: prints the switch" "$OUT" "remote.sh switch $DEST"
assert_eq "dry run: nothing connected or ran" "" "$LOG"
assert_eq "dry run: target untouched" "" "$(ls -A "$DEST")"
assert_contains "untracked files are named as not deployed" "$OUT" "not deployed, because git does not track them: untracked.txt"

# --- first deploy ------------------------------------------------------------------------
deploy --test-vps
assert_rc "first deploy exits 0" 0
check "compose.yaml deployed" test -f "$CUR/compose.yaml"
check "mounted config deployed" cmp "$SRC/prometheus/prometheus.yml" "$CUR/prometheus/prometheus.yml"
check_fails ".env.local is never deployed" test -e "$CUR/.env.local"
check_fails "untracked files are not deployed" test -e "$CUR/untracked.txt"
assert_eq ".env uploaded with mode 600" "600" "$(stat -c '%a' "$CUR/.env")"
check ".env content uploaded intact" cmp "$SRC/.env" "$CUR/.env"
assert_eq "the deploy metadata is private" "700" "$(stat -c '%a' "$DEST/.deploy")"
assert_contains "every SSH call uses the key from .env.local and the admin user" "$(printf '%s\n' "$LOG" | grep '^ssh ' | grep -v -- '-O exit' | grep -c -v -- "-i $KEY -p 22 .* claude-admin@198.51.100.5 ")" "0"
assert_eq "first deploy: validate, up, ps (no force-recreate on the first deploy)" "docker compose config -q
docker compose --profile tools config --format json
docker compose config --format json
docker compose up -d --build --remove-orphans
docker compose ps" "$(compose_calls | grep -v '^docker compose version')"
validate_line=$(printf '%s\n' "$LOG" | grep -n 'docker compose .*config -q' | cut -d: -f1)
up_line=$(printf '%s\n' "$LOG" | grep -n 'docker compose .* up -d' | head -1 | cut -d: -f1)
if [ -n "$validate_line" ] && [ -n "$up_line" ] && [ "$validate_line" -lt "$up_line" ]; then
    ok "the configuration is validated before the stack is switched"
else
    not_ok "the configuration is validated before the stack is switched" "$LOG"
fi
assert_contains "validation ran on the new release's own directory" "$(printf '%s\n' "$LOG" | grep 'config -q')" "-f $DEST/releases/"
assert_contains "the stack runs from the stable project directory DIR/current" "$(printf '%s\n' "$LOG" | grep ' up -d')" "-p monitoring --project-directory $CUR "
assert_eq "DIR/current is a symlink to the release" "releases/" "$(readlink "$CUR" | cut -c1-9)"
for tool in "render-config.sh compose" "--entrypoint promtool" "--entrypoint amtool"; do
    assert_contains "validation runs $tool from the service's image" "$(printf '%s\n' "$LOG" | grep '^docker run ')" "$tool"
done
assert_contains "docker compose ps is printed" "$OUT" "monitoring-grafana-1"
assert_contains "the revision is reported" "$OUT" "deployed $(git -C "$SRC" describe --always --dirty --tags)"
assert_contains "the manifest lists the deployed files" "$(cat "$DEST/.deploy/manifest")" "prometheus/prometheus.yml"
assert_not_contains "the manifest never lists .env" "$(cat "$DEST/.deploy/manifest")" ".env"
check_fails "the staging area is cleaned up" test -e "$DEST/.deploy/staging"
check_fails "no resolved configuration (with secrets) is left on the target" grep -rq first-secret "$DEST/.deploy"

# --- second deploy: nothing changed ---------------------------------------------------------
mkdir -p "$DEST/data/prometheus"
echo "tsdb block" >"$DEST/data/prometheus/chunk"
deploy --test-vps
assert_rc "second deploy exits 0" 0
assert_not_contains "unchanged release: no service force-recreated" "$(compose_calls)" "--force-recreate"
assert_contains "unchanged release: says nothing changed" "$OUT" "no service's environment or mounted files changed"
assert_contains "unchanged release: up -d still converges" "$(compose_calls)" "docker compose up -d --build --remove-orphans"

# --- data written by the stack does not count as a change -------------------------------------
echo "new tsdb block" >"$DEST/data/prometheus/chunk2"
deploy --test-vps
assert_not_contains "data under a bind mount: no force-recreate" "$(compose_calls)" "--force-recreate"
check "data under a bind mount: left in place" test -f "$DEST/data/prometheus/chunk2"

# --- .env change: only the service using the variable is re-created -----------------------------
printf 'GRAFANA_ADMIN_PASSWORD=second-secret\nSMTP_PASSWORD=smtp-1\n' >"$SRC/.env"
deploy --test-vps
assert_rc "deploy after an .env change exits 0" 0
assert_contains "changed env: grafana force-recreated" "$(compose_calls)" "docker compose up -d --build --force-recreate --no-deps grafana"
assert_not_contains "changed env: prometheus left alone" "$(compose_calls | grep force-recreate)" "prometheus"
assert_eq "changed env: the new .env is in place, still 600" "600 GRAFANA_ADMIN_PASSWORD=second-secret" \
    "$(stat -c '%a' "$CUR/.env") $(head -1 "$CUR/.env")"
assert_contains "changed env: the operator is told why" "$OUT" "re-creating them: restart would not reload them"
printf 'GRAFANA_ADMIN_PASSWORD=second-secret\nSMTP_PASSWORD=smtp-1\nPROMETHEUS_RETENTION=30d\n' >"$SRC/.env"
deploy --test-vps
assert_eq "a variable interpolated into prometheus' command: exactly prometheus re-created" \
    "docker compose up -d --build --force-recreate --no-deps prometheus" "$(compose_calls | grep force-recreate)"
printf 'GRAFANA_ADMIN_PASSWORD=second-secret\nSMTP_PASSWORD=smtp-2\nPROMETHEUS_RETENTION=30d\n' >"$SRC/.env"
deploy --test-vps
assert_eq "a secret rendered by a one-shot: the one-shot and the service waiting for it are re-created" \
    "docker compose up -d --build --force-recreate --no-deps alertmanager config-init" "$(compose_calls | grep force-recreate)"

# --- a changed mounted config file: that service only --------------------------------------------
printf 'global:\n  scrape_interval: 30s\n' >"$SRC/prometheus/prometheus.yml"
g commit -q -am "scrape every 30s"
deploy --test-vps
assert_eq "changed prometheus.yml: exactly prometheus force-recreated" "docker compose up -d --build --force-recreate --no-deps prometheus" \
    "$(compose_calls | grep force-recreate)"
printf 'apiVersion: 1\n# new datasource\n' >"$SRC/grafana/provisioning/datasources.yaml"
g commit -q -am "datasource"
deploy --test-vps
assert_eq "changed file inside a mounted directory: exactly grafana force-recreated" "docker compose up -d --build --force-recreate --no-deps grafana" \
    "$(compose_calls | grep force-recreate)"

# --- a release the target rejects is not switched ------------------------------------------------
printf 'SMTP_PASSWORD=smtp-2\nPROMETHEUS_RETENTION=30d\n' >"$SRC/.env"
printf '# monitoring, v2\n' >"$SRC/README.md"
g commit -q -am "readme"
deploy --test-vps
assert_rc "invalid configuration (required variable missing): refused" 1
assert_contains "invalid configuration: compose's message is shown" "$OUT" "required variable GRAFANA_ADMIN_PASSWORD is missing a value"
assert_contains "invalid configuration: says nothing was switched" "$OUT" "nothing was switched, the running stack is unchanged"
assert_not_contains "invalid configuration: no docker compose up" "$(compose_calls)" " up "
assert_eq "invalid configuration: the running .env is untouched" "GRAFANA_ADMIN_PASSWORD=second-secret
SMTP_PASSWORD=smtp-2
PROMETHEUS_RETENTION=30d" "$(cat "$CUR/.env")"
assert_eq "invalid configuration: the running files are untouched" "# monitoring" "$(cat "$CUR/README.md")"
printf 'GRAFANA_ADMIN_PASSWORD=second-secret\nSMTP_PASSWORD=smtp-2\nPROMETHEUS_RETENTION=30d\n' >"$SRC/.env"

# --- files removed from the repository are removed from the target, data is not ---------------------
g rm -q old-notes.txt
g commit -q -m "drop notes"
deploy --test-vps
assert_rc "deploy after removing a file exits 0" 0
check_fails "a file removed from git is removed on the target" test -e "$CUR/old-notes.txt"
assert_eq "releases kept: the three newest" 3 "$(find "$DEST/releases" -mindepth 1 -maxdepth 1 | wc -l)"
check "data written by the stack survives" test -f "$DEST/data/prometheus/chunk"
assert_eq "the new README is in place" "# monitoring, v2" "$(cat "$CUR/README.md")"

# --- production target: same files, same steps ------------------------------------------------------
deploy --host 198.51.100.9 --user claude-admin --key "$KEY" --port 2222
assert_rc "production target (--host/--user/--key/--port) exits 0" 0
assert_contains "production target: ssh to that host and port" "$LOG" "-p 2222"
assert_contains "production target: the given user and host" "$LOG" "claude-admin@198.51.100.9"

# --- unreachable target, tracked secrets -------------------------------------------------------------
FAKE_SSH_DOWN=1 deploy --test-vps
assert_rc "unreachable target: refused" 1
assert_contains "unreachable target: says nothing changed" "$OUT" "the target is not ready (see above); nothing was changed"
g add -f .env
deploy --test-vps
assert_rc ".env tracked by git: refused" 1
assert_contains ".env tracked by git: says so" "$OUT" ".env is tracked by git"
assert_eq ".env tracked by git: no connection" "" "$LOG"
finish
