#!/usr/bin/env bash
# scripts/provision-server.sh against a throwaway root: apt-get, dpkg-query,
# curl, gpg, systemctl, useradd, usermod, getent and docker are recorders;
# visudo -cf and sshd -t / sshd -T are the real programs run on the
# generated files.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=../fixtures/scripts/harness.sh
. "$REPO/tests/fixtures/scripts/harness.sh"

R=$FAKE_ROOT
export FAKE_CURL_DIR=$T/dl
mkdir -p "$FAKE_CURL_DIR" "$T/op"
# Stands in for https://download.docker.com/linux/ubuntu/gpg (its
# fingerprint comes from the gpg recorder).
printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\nfake\n-----END PGP PUBLIC KEY BLOCK-----\n' >"$FAKE_CURL_DIR/gpg"
ssh-keygen -q -t ed25519 -N '' -C operator@laptop -f "$T/op/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C second@laptop -f "$T/op/id2"
KEY=$(cat "$T/op/id_ed25519.pub")

# A fresh Ubuntu 24.04 as far as the script can tell.
ubuntu_host() {
    fresh_host
    mkdir -p "$R/etc/ssh/sshd_config.d" "$R/etc/sudoers.d" "$R/etc/apt/sources.list.d" "$R/home" "$R/opt"
    printf 'ID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble\n' >"$R/etc/os-release"
    ssh-keygen -q -t ed25519 -N '' -f "$R/etc/ssh/ssh_host_ed25519_key"
    # Like Ubuntu's: the drop-in directory first, then the stock defaults.
    cat >"$R/etc/ssh/sshd_config" <<EOF
Include $R/etc/ssh/sshd_config.d/*.conf
HostKey $R/etc/ssh/ssh_host_ed25519_key
KbdInteractiveAuthentication no
UsePAM yes
PasswordAuthentication yes
EOF
    # What cloud-init writes on many VPS images.
    printf 'PasswordAuthentication yes\n' >"$R/etc/ssh/sshd_config.d/50-cloud-init.conf"
}
ubuntu_host
admin_uid() { awk -F: '$1 == "claude-admin" { print $3 ":" $4 }' "$FAKE_STATE/passwd"; }

# --- refusals before any change ------------------------------------------------------
run_script provision-server.sh --admin-user 'Bad.Name' --admin-key-file "$T/op/id_ed25519.pub"
assert_rc "invalid user name: usage error" 2
run_script provision-server.sh
assert_rc "no key and none installed: refused" 1
assert_contains "no key: refuses to turn off passwords, says what to pass" "$OUT" "refusing to turn off SSH password login: claude-admin has no authorized key"
assert_actions "no key: nothing changed" ""
run_script provision-server.sh --admin-key-file "$T/op/id_ed25519"
assert_rc "private key given: refused" 1
assert_contains "private key given: says so" "$OUT" "is a PRIVATE key"
run_script provision-server.sh --admin-key 'ssh-ed25519 not-base64 x'
assert_rc "garbage key: refused" 1
assert_contains "garbage key: says it is not a public key" "$OUT" "not an SSH public key"
echo docker.io >"$FAKE_STATE/dpkg"
run_script provision-server.sh --admin-key-file "$T/op/id_ed25519.pub"
assert_rc "docker.io installed: refused" 1
assert_contains "docker.io installed: names the conflicting package" "$OUT" "package docker.io"
assert_actions "docker.io installed: nothing changed" ""
rm -f "$FAKE_STATE/dpkg"
sed -i '1d' "$R/etc/ssh/sshd_config"
run_script provision-server.sh --admin-key-file "$T/op/id_ed25519.pub"
assert_rc "sshd_config without Include of sshd_config.d: refused" 1
assert_contains "missing Include: says what to add" "$OUT" "add 'Include /etc/ssh/sshd_config.d/*.conf'"
ubuntu_host

# --- dry run ---------------------------------------------------------------------------
run_script provision-server.sh --admin-key-file "$T/op/id_ed25519.pub" --dry-run
assert_rc "dry run exits 0" 0
for want in "[dry-run] would run: apt-get update" \
    "[dry-run] would download https://download.docker.com/linux/ubuntu/gpg" \
    "[dry-run] would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin" \
    "[dry-run] would run: useradd --create-home --shell /bin/bash --comment 'monitoring stack admin' claude-admin" \
    "[dry-run] would run: usermod -aG docker claude-admin" \
    "[dry-run] would create /etc/sudoers.d/claude-admin" \
    "[dry-run] would create /etc/ssh/sshd_config.d/01-monitoring-hardening.conf" \
    "[dry-run] would run: systemctl try-reload-or-restart ssh.service"; do
    assert_contains "dry run prints: ${want#\[dry-run\] would }" "$OUT" "$want"
done
assert_actions "dry run: no command that changes anything ran" ""
check_fails "dry run: no sudoers file" test -e "$R/etc/sudoers.d/claude-admin"
check_fails "dry run: no sshd drop-in" test -e "$R/etc/ssh/sshd_config.d/01-monitoring-hardening.conf"
check_fails "dry run: no keyring" test -e "$R/etc/apt/keyrings"

# --- first run ---------------------------------------------------------------------------
run_script provision-server.sh --admin-key-file "$T/op/id_ed25519.pub"
assert_rc "first run exits 0" 0
expected="apt-get update
apt-get install -y --no-install-recommends ca-certificates curl gpg
curl -fsSL --proto =https --tlsv1.2 --retry 3 --connect-timeout 15 --max-time 120 -o DL https://download.docker.com/linux/ubuntu/gpg
apt-get update
apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
systemctl enable --now docker.service
useradd --create-home --shell /bin/bash --comment monitoring stack admin claude-admin
usermod -aG docker claude-admin
systemctl try-reload-or-restart ssh.service"
assert_eq "first run: the actions, in order" "$expected" "$(actions | sed 's/ -o [^ ]* / -o DL /')"
log_order=$(printf '%s\n' "$LOG" | grep -e '^sshd -t' -e '^sshd -T' -e '^systemctl try-reload-or-restart' |
    sed -e "s|-f [^ ]*/cand/sshd_config|-f CANDIDATE|" -e "s|-f $R/etc/ssh/sshd_config|-f REAL|")
assert_eq "sshd -t/-T -C ran on a temporary copy first, then on the real files, then the reload" "sshd -t -f CANDIDATE
sshd -T -C user=claude-admin,host=192.0.2.1,addr=192.0.2.1 -f CANDIDATE
sshd -T -C user=root,host=192.0.2.1,addr=192.0.2.1 -f CANDIDATE
sshd -t -f REAL
sshd -T -C user=claude-admin,host=192.0.2.1,addr=192.0.2.1 -f REAL
sshd -T -C user=root,host=192.0.2.1,addr=192.0.2.1 -f REAL
systemctl try-reload-or-restart ssh.service" "$log_order"
first_t=$(printf '%s\n' "$LOG" | grep -m1 '^sshd -t')
assert_contains "the first sshd -t checks the temporary copy, not /etc/ssh" "$first_t" "/cand/sshd_config"

assert_contains "docker compose plugin checked" "$OUT" "Docker Compose version"
owner=$(admin_uid)
assert_eq "keyring 0644 root" "644 0:0" "$(stat -c '%a %u:%g' "$R/etc/apt/keyrings/docker.asc")"
src=$(cat "$R/etc/apt/sources.list.d/docker.sources")
assert_contains "apt source: Docker's Ubuntu repository" "$src" "URIs: https://download.docker.com/linux/ubuntu"
assert_contains "apt source: the release's suite" "$src" "Suites: noble"
assert_contains "apt source: signed by the verified key" "$src" "Signed-By: /etc/apt/keyrings/docker.asc"
assert_contains "daemon.json turns the containerd image store off (cAdvisor)" "$(cat "$R/etc/docker/daemon.json")" '"containerd-snapshotter": false'
if command -v jq >/dev/null; then check "daemon.json is valid JSON" jq -e . "$R/etc/docker/daemon.json"; fi
assert_contains "admin in the docker group" "$(grep '^docker:' "$FAKE_STATE/group")" "claude-admin"
assert_eq ".ssh is 700 and the admin's" "700 $owner" "$(stat -c '%a %u:%g' "$R/home/claude-admin/.ssh")"
assert_eq "authorized_keys is 600 and the admin's" "600 $owner" "$(stat -c '%a %u:%g' "$R/home/claude-admin/.ssh/authorized_keys")"
assert_eq "authorized_keys holds the key" "$KEY" "$(cat "$R/home/claude-admin/.ssh/authorized_keys")"
assert_eq "/opt/monitoring belongs to the admin, 750" "750 $owner" "$(stat -c '%a %u:%g' "$R/opt/monitoring")"
SUDOERS=$R/etc/sudoers.d/claude-admin
assert_eq "sudoers file 0440 root" "440 0:0" "$(stat -c '%a %u:%g' "$SUDOERS")"
assert_contains "sudo scoped to docker and systemctl" "$(cat "$SUDOERS")" "claude-admin ALL=(root) NOPASSWD: /usr/bin/docker, /usr/bin/systemctl"
check "visudo -cf accepts the installed sudoers file" visudo -cf "$SUDOERS"
assert_eq "sudoers grants nothing else" "1" "$(grep -cv '^#' "$SUDOERS")"
DROPIN=$R/etc/ssh/sshd_config.d/01-monitoring-hardening.conf
check "sshd -t -f accepts the generated configuration" "$FIX/bin/sshd" -t -f "$R/etc/ssh/sshd_config"
eff=$("$FIX/bin/sshd" -T -f "$R/etc/ssh/sshd_config" 2>&1)
assert_contains "effective: passwordauthentication no (despite cloud-init's yes)" "$eff" "passwordauthentication no"
assert_contains "effective: permitrootlogin no" "$eff" "permitrootlogin no"
assert_contains "effective: kbdinteractiveauthentication no" "$eff" "kbdinteractiveauthentication no"

# --- second run: no changes ---------------------------------------------------------------
run_script provision-server.sh --admin-key-file "$T/op/id_ed25519.pub"
assert_rc "second run exits 0" 0
assert_actions "second run: no command that changes anything" ""
assert_contains "second run: says no changes" "$OUT" "no changes"
sed "s/operator@laptop/renamed/" "$T/op/id_ed25519.pub" >"$T/op/renamed.pub"
ADMIN_SSH_PUBLIC_KEY_FILE=$T/op/renamed.pub run_script provision-server.sh
assert_actions "same key with another comment (from the environment): no changes" ""
assert_contains "same key with another comment: reported present" "$OUT" "present: key"

# --- a second key is appended, nothing else ------------------------------------------------
run_script provision-server.sh --admin-key "$(cat "$T/op/id2.pub")"
assert_rc "second key: exits 0" 0
assert_actions "second key: no command ran (only the file changed)" ""
assert_eq "second key: both keys present" "2" "$(wc -l <"$R/home/claude-admin/.ssh/authorized_keys")"
assert_eq "second key: file still 600" "600" "$(stat -c '%a' "$R/home/claude-admin/.ssh/authorized_keys")"
run_script provision-server.sh
assert_rc "no key given but one installed: accepted" 0
assert_actions "no key given but one installed: no changes" ""

# --- an sshd configuration that sshd -t rejects never reaches /etc/ssh -------------------------
# An older drop-in of ours: it must stay exactly as it is (same file, never replaced).
printf '# older version\nPasswordAuthentication no\n' >"$DROPIN"
inode=$(stat -c '%i %Y' "$DROPIN")
printf 'PasswordAuthentication maybe\n' >"$R/etc/ssh/sshd_config.d/00-broken.conf"
run_script provision-server.sh
assert_rc "sshd -t rejects the configuration: non-zero exit" 1
assert_contains "rejected: checked in a temporary copy, nothing changed" "$OUT" "rejected before installing it (checked in a temporary copy), nothing changed, sshd not reloaded"
assert_eq "rejected: the old drop-in was never replaced (same inode and mtime)" "$inode" "$(stat -c '%i %Y' "$DROPIN")"
assert_not_contains "rejected: no reload" "$LOG" "try-reload-or-restart"
assert_actions "rejected: nothing changed" ""
rm -f "$DROPIN"
# ... and one that an earlier file overrides is refused too.
printf 'PasswordAuthentication yes\n' >"$R/etc/ssh/sshd_config.d/00-broken.conf"
run_script provision-server.sh
assert_rc "earlier file keeps passwords on: non-zero exit" 1
assert_contains "earlier file: explains first-value-wins" "$OUT" "an earlier file or a Match block sets it"
check_fails "earlier file: no drop-in written" test -e "$DROPIN"
assert_not_contains "earlier file: no reload" "$LOG" "try-reload-or-restart"
rm -f "$R/etc/ssh/sshd_config.d/00-broken.conf"
run_script provision-server.sh
assert_rc "after removing the culprit: exits 0" 0
assert_eq "after removing the culprit: drop-in written and sshd reloaded" "systemctl try-reload-or-restart ssh.service" "$(actions)"

# --- Match blocks and AllowUsers/DenyUsers/AllowGroups count (sshd -T -C) ---------------------
cp "$R/etc/ssh/sshd_config" "$T/sshd_config.orig"
# sshd_case DESC RC NEEDLE LINES...: sshd_config with LINES appended, then a run.
sshd_case() {
    local desc=$1 rc=$2 needle=$3
    shift 3
    { cat "$T/sshd_config.orig"; printf '%s\n' "$@"; } >"$R/etc/ssh/sshd_config"
    run_script provision-server.sh
    assert_rc "$desc: exit $rc" "$rc"
    [ -n "$needle" ] && assert_contains "$desc: says why" "$OUT" "$needle"
    [ "$rc" = 1 ] && assert_actions "$desc: nothing changed" ""
}
sshd_case "Match User claude-admin re-enables passwords" 1 "for claude-admin from 192.0.2.1 the effective setting is 'passwordauthentication yes'" \
    "Match User claude-admin" "    PasswordAuthentication yes"
sshd_case "Match User root re-enables root login" 1 "for root the effective setting is 'permitrootlogin yes'" \
    "Match User root" "    PermitRootLogin yes"
SSH_CONNECTION="198.51.100.7 50022 203.0.113.5 22" \
    sshd_case "Match Address of the admin's own address (SSH_CONNECTION) re-enables passwords" 1 "for claude-admin from 198.51.100.7" \
    "Match Address 198.51.100.0/24" "    PasswordAuthentication yes"
sshd_case "Match Address of another network: accepted" 0 "" \
    "Match Address 198.51.100.0/24" "    PasswordAuthentication yes"
{ cat "$T/sshd_config.orig"; printf '%s\n' "Match Address 198.51.100.0/24" "    PasswordAuthentication yes"; } >"$R/etc/ssh/sshd_config"
run_script provision-server.sh --admin-from 198.51.100.9
assert_rc "--admin-from inside the Match: refused" 1
sshd_case "AllowUsers without the admin" 1 "AllowUsers (deploy) does not include claude-admin" "AllowUsers deploy"
sshd_case "AllowUsers with the admin (pattern)" 0 "" "AllowUsers deploy claude-*"
sshd_case "DenyUsers with the admin" 1 "DenyUsers (claude-admin) shuts out claude-admin" "DenyUsers claude-admin"
sshd_case "AllowGroups without any of the admin's groups" 1 "AllowGroups (sshusers) contains none of claude-admin's groups" "AllowGroups sshusers"
sshd_case "AllowGroups docker (the admin is in it)" 0 "" "AllowGroups docker"
sshd_case "DenyGroups docker" 1 "DenyGroups (docker) contains docker" "DenyGroups docker"
cp "$T/sshd_config.orig" "$R/etc/ssh/sshd_config"

# --- a signing key with the wrong fingerprint is refused -------------------------------------
ubuntu_host
FAKE_GPG_FPR=0000000000000000000000000000000000000000 run_script provision-server.sh --admin-key-file "$T/op/id_ed25519.pub"
assert_rc "wrong key fingerprint: refused" 1
assert_contains "wrong key fingerprint: says so" "$OUT" "not Docker's 9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
check_fails "wrong key fingerprint: key not installed" test -e "$R/etc/apt/keyrings/docker.asc"
assert_not_contains "wrong key fingerprint: Docker not installed" "$(actions)" "apt-get install -y docker-ce"

# --- an existing Docker keeps its daemon.json and image store -------------------------------
ubuntu_host
printf '%s\n' ca-certificates curl gpg docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin >"$FAKE_STATE/dpkg"
echo "docker:x:998:" >>"$FAKE_STATE/group"
run_script provision-server.sh --admin-key-file "$T/op/id_ed25519.pub"
assert_rc "Docker already installed: exits 0" 0
check_fails "Docker already installed: daemon.json not created" test -e "$R/etc/docker/daemon.json"
assert_not_contains "Docker already installed: no package install" "$(actions)" "apt-get install"
finish
