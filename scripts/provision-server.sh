#!/usr/bin/env bash
# Provisions the monitoring server (Server F, or the test VPS): Docker
# Engine and the Compose v2 plugin from Docker's apt repository, an admin
# user in the docker group with sudo scoped to docker and systemctl, the
# admin's SSH key, /opt/monitoring, and key-only SSH. Idempotent; --dry-run
# prints every action. Ubuntu 24.04 (and Debian). See docs/hosts.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

# Docker's release signing key (docs.docker.com/engine/install/ubuntu).
DOCKER_KEY_FPR=9DC858229FC7DD38854AE2D88D81803C0EBFCD88
DOCKER_PACKAGES=(docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin)
# Docker's install guide: these distribution packages conflict with its own.
CONFLICTING=(docker.io docker-doc docker-compose docker-compose-v2 podman-docker containerd runc)
KEYRING=/etc/apt/keyrings/docker.asc
SOURCES=/etc/apt/sources.list.d/docker.sources
DAEMON_JSON=/etc/docker/daemon.json
SSHD_MAIN=/etc/ssh/sshd_config
# sshd keeps the FIRST value it reads for an option, and reads the
# sshd_config.d files in lexical order: 01- comes before cloud-init's
# 50-cloud-init.conf, which may say "PasswordAuthentication yes".
SSHD_DROPIN=/etc/ssh/sshd_config.d/01-monitoring-hardening.conf

usage() {
    cat <<EOF
Usage: $0 --admin-key-file FILE [options]

  --admin-user NAME        admin account (default claude-admin; env ADMIN_USER)
  --admin-key-file FILE    the admin's SSH public key(s) (env ADMIN_SSH_PUBLIC_KEY_FILE)
  --admin-key 'KEY'        the public key itself (env ADMIN_SSH_PUBLIC_KEY)
                           Without a key, the user must already have one in
                           ~/.ssh/authorized_keys: password login is turned off.
  --deploy-dir DIR         created for the admin (default /opt/monitoring)
  --admin-from ADDR        the address the admin connects from, for sshd's Match
                           blocks (default: this session's client address from
                           SSH_CONNECTION, else 192.0.2.1, an address no Match
                           block names)
  --keep-containerd-store  on a fresh install, leave Docker's containerd image
                           store on (by default it is turned off: cAdvisor
                           cannot name containers with it)
  --dry-run                print every action, change nothing
  --root DIR               operate on files under DIR (tests); env ROOT
  -h, --help               this text
EOF
}

ADMIN=${ADMIN_USER:-claude-admin}
KEY_FILE=${ADMIN_SSH_PUBLIC_KEY_FILE:-}
KEY_TEXT=${ADMIN_SSH_PUBLIC_KEY:-}
DEPLOY_DIR=/opt/monitoring
KEEP_CONTAINERD=0
ADMIN_FROM=
ROOT_OPT=${ROOT:-}
while [ $# -gt 0 ]; do
    case $1 in
    --admin-user) need_arg "$1" "${2:-}"; ADMIN=$2; shift 2 ;;
    --admin-key-file) need_arg "$1" "${2:-}"; KEY_FILE=$2; shift 2 ;;
    --admin-key) need_arg "$1" "${2:-}"; KEY_TEXT=$2; shift 2 ;;
    --deploy-dir) need_arg "$1" "${2:-}"; DEPLOY_DIR=$2; shift 2 ;;
    --admin-from) need_arg "$1" "${2:-}"; ADMIN_FROM=$2; shift 2 ;;
    --keep-containerd-store) KEEP_CONTAINERD=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --root) need_arg "$1" "${2:-}"; ROOT_OPT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
    esac
done
set_root "$ROOT_OPT"

# --- validate everything before touching anything -----------------------------
[[ $ADMIN =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] ||
    usage_error "--admin-user '$ADMIN': use lowercase letters, digits, '-' and '_' (max 32, starting with a letter)"
[ "$ADMIN" != root ] || usage_error "--admin-user root: the point is a non-root admin (root login is turned off)"
[[ $DEPLOY_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] || usage_error "--deploy-dir '$DEPLOY_DIR' must be an absolute path"
if [ -z "$ADMIN_FROM" ]; then
    # SSH_CONNECTION: "client-address client-port server-address server-port".
    ADMIN_FROM=${SSH_CONNECTION:-}
    ADMIN_FROM=${ADMIN_FROM%% *}
    [ -n "$ADMIN_FROM" ] || ADMIN_FROM=192.0.2.1
fi
valid_ip "$ADMIN_FROM" || usage_error "--admin-from '$ADMIN_FROM' is not an IP address"
require_root
make_workdir

# The new key(s), validated by ssh-keygen: one public key per line.
: >"$WORKDIR/newkeys"
if [ -n "$KEY_FILE" ]; then
    [ -r "$KEY_FILE" ] || die "--admin-key-file $KEY_FILE: no such readable file"
    cat "$KEY_FILE" >>"$WORKDIR/newkeys"
    echo >>"$WORKDIR/newkeys"
fi
[ -n "$KEY_TEXT" ] && printf '%s\n' "$KEY_TEXT" >>"$WORKDIR/newkeys"
if grep -q 'PRIVATE KEY' "$WORKDIR/newkeys"; then
    die "the admin key given is a PRIVATE key: pass the .pub file; the private key never leaves the operator's machine"
fi
valid_key_line() { printf '%s\n' "$1" >"$WORKDIR/one.pub" && ssh-keygen -l -f "$WORKDIR/one.pub" >/dev/null 2>&1; }
NEW_KEYS=()
while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    [[ -z ${line// /} || $line == \#* ]] && continue
    valid_key_line "$line" || die "not an SSH public key: '${line:0:40}...' (from --admin-key/--admin-key-file)"
    NEW_KEYS+=("$line")
done <"$WORKDIR/newkeys"

# The OS: Docker's repository URL depends on it.
[ -r "$(rp /etc/os-release)" ] || die "$(rp /etc/os-release) is missing: cannot tell which distribution this is"
# os_release KEY: a value from /etc/os-release, read as data.
os_release() { sed -n "s/^$1=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}\$/\1/p" "$(rp /etc/os-release)" | head -1; }
OS_ID=$(os_release ID)
OS_CODENAME=$(os_release UBUNTU_CODENAME)
[ -n "$OS_CODENAME" ] || OS_CODENAME=$(os_release VERSION_CODENAME)
case $OS_ID in
ubuntu | debian) ;;
*) die "unsupported distribution '$OS_ID' in /etc/os-release: this script knows Ubuntu and Debian" ;;
esac
[ -n "$OS_CODENAME" ] || die "/etc/os-release has no VERSION_CODENAME: cannot pick Docker's repository suite"
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

# SSH: sshd must read the drop-in directory, or the hardening is ignored.
[ -r "$(rp $SSHD_MAIN)" ] || die "$SSHD_MAIN is missing: is openssh-server installed?"
grep -Eiq '^[[:space:]]*Include[[:space:]]+.*sshd_config\.d/\*\.conf' "$(rp $SSHD_MAIN)" ||
    die "$SSHD_MAIN does not include /etc/ssh/sshd_config.d/*.conf: add 'Include /etc/ssh/sshd_config.d/*.conf' as its first line, then run this again"

home=$(passwd_field "$ADMIN" 6)
home=${home:-/home/$ADMIN}
AUTH_KEYS=$home/.ssh/authorized_keys
# No password login without a key to log in with: refuse before any change.
existing_keys=0
if [ -f "$(rp "$AUTH_KEYS")" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        [[ -z ${line// /} || $line == \#* ]] && continue
        valid_key_line "$line" && existing_keys=$((existing_keys + 1))
    done <"$(rp "$AUTH_KEYS")"
fi
if [ ${#NEW_KEYS[@]} -eq 0 ] && [ "$existing_keys" -eq 0 ]; then
    die "refusing to turn off SSH password login: $ADMIN has no authorized key in $AUTH_KEYS and none was given; pass --admin-key-file ~/.ssh/id_ed25519.pub (or ADMIN_SSH_PUBLIC_KEY)"
fi

# The drop-in, and its check against everything else sshd reads, before
# any change: a configuration that would lock the admin out stops here.
cat >"$WORKDIR/sshd" <<EOF
# Managed by scripts/provision-server.sh: keys only, no root login.
# Named 01-... so it is read first: sshd keeps the first value it reads.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin no
PubkeyAuthentication yes
EOF
dropin=$(rp $SSHD_DROPIN)
# The candidate: the drop-in in a temporary copy of sshd_config.d, and a
# temporary main file whose Include points there. sshd reads it exactly as
# it would read the real files, and nothing is in place before it passed.
mkdir -p "$WORKDIR/cand/sshd_config.d"
for f in "$(rp /etc/ssh/sshd_config.d)"/*.conf; do [ -f "$f" ] && cp -p "$f" "$WORKDIR/cand/sshd_config.d/"; done
cp "$WORKDIR/sshd" "$WORKDIR/cand/sshd_config.d/$(basename $SSHD_DROPIN)"
sed -E "s#^([[:space:]]*Include[[:space:]].*)(${ROOT}/etc/ssh/|[[:space:]])sshd_config\.d/#\1\2__CAND__/#I" "$(rp $SSHD_MAIN)" |
    sed "s#\(/etc/ssh/\|[[:space:]]\)__CAND__/#\1$WORKDIR/cand/sshd_config.d/#; s#/etc/ssh/$WORKDIR#$WORKDIR#; s#${ROOT}$WORKDIR#$WORKDIR#" >"$WORKDIR/cand/sshd_config"
grep -q "$WORKDIR/cand/sshd_config.d/" "$WORKDIR/cand/sshd_config" ||
    die "could not point a copy of $SSHD_MAIN at a temporary sshd_config.d: its Include line is unusual; check it"

# sshd_effective FILE USER: the configuration sshd applies to USER
# connecting from ADMIN_FROM, Match blocks included (sshd -T -C).
sshd_effective() {
    sshd -T -C "user=$2,host=$ADMIN_FROM,addr=$ADMIN_FROM" -f "$1" 2>&1
}
# admin_groups: the admin's groups once this script is done.
admin_groups() {
    printf '%s\n' "$ADMIN" docker
    getent group 2>/dev/null | awk -F: -v u="$ADMIN" '{ n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) print $1 }'
}
# matches_any NAME PATTERNS...: NAME matches one of sshd's user/group
# patterns (* and ?; a user@host pattern's host part is matched against
# ADMIN_FROM).
matches_any() {
    local name=$1 pat host
    shift
    for pat in "$@"; do
        host='*'
        if [[ $pat == *@* ]]; then host=${pat#*@}; pat=${pat%%@*}; fi
        # shellcheck disable=SC2053 # the right-hand side is a pattern
        [[ $name == $pat && $ADMIN_FROM == $host ]] && return 0
    done
    return 1
}
# sshd_check FILE: sshd accepts FILE and, Match blocks included, it means
# keys only for the admin (who may still log in) and no root login.
sshd_check() {
    local file=$1 out root want g
    local -a allow deny groups
    # sshd -t wants its privilege separation directory (normally made by
    # the ssh service at start).
    [ -z "$ROOT" ] && [ ! -d /run/sshd ] && install -d -m 0755 /run/sshd
    out=$(sshd -t -f "$file" 2>&1) || { printf '%s' "sshd -t: $out"; return 1; }
    out=$(sshd_effective "$file" "$ADMIN") || { printf '%s' "sshd -T -C user=$ADMIN: $out"; return 1; }
    root=$(sshd_effective "$file" root) || { printf '%s' "sshd -T -C user=root: $out"; return 1; }
    for want in "passwordauthentication no" "kbdinteractiveauthentication no" "permitrootlogin no" "pubkeyauthentication yes"; do
        grep -qix "$want" <<<"$out" || {
            printf '%s' "for $ADMIN from $ADMIN_FROM the effective setting is '$(printf '%s\n' "$out" | grep -i "^${want% *} " | head -1)', not '$want': an earlier file or a Match block sets it (sshd keeps the first value): grep -ri -e '${want% *}' -e '^ *match' /etc/ssh/sshd_config /etc/ssh/sshd_config.d"
            return 1
        }
    done
    for want in "permitrootlogin no" "passwordauthentication no"; do
        grep -qix "$want" <<<"$root" || {
            printf '%s' "for root the effective setting is '$(printf '%s\n' "$root" | grep -i "^${want% *} " | head -1)', not '$want': a Match block re-enables it: grep -ri '^ *match' /etc/ssh/sshd_config /etc/ssh/sshd_config.d"
            return 1
        }
    done
    # AllowUsers/DenyUsers/AllowGroups/DenyGroups: the admin must still get in.
    mapfile -t allow < <(printf '%s\n' "$out" | sed -n 's/^allowusers //Ip')
    mapfile -t deny < <(printf '%s\n' "$out" | sed -n 's/^denyusers //Ip')
    if matches_any "$ADMIN" "${deny[@]}"; then
        printf '%s' "DenyUsers (${deny[*]}) shuts out $ADMIN: with passwords off, nobody could log in; remove $ADMIN from it"
        return 1
    fi
    if [ ${#allow[@]} -gt 0 ] && ! matches_any "$ADMIN" "${allow[@]}"; then
        printf '%s' "AllowUsers (${allow[*]}) does not include $ADMIN: add it (AllowUsers ... $ADMIN), or the admin cannot log in"
        return 1
    fi
    mapfile -t groups < <(admin_groups | sort -u)
    mapfile -t allow < <(printf '%s\n' "$out" | sed -n 's/^allowgroups //Ip')
    mapfile -t deny < <(printf '%s\n' "$out" | sed -n 's/^denygroups //Ip')
    for g in "${groups[@]}"; do
        if ADMIN_FROM=x matches_any "$g" "${deny[@]}"; then
            printf '%s' "DenyGroups (${deny[*]}) contains $g, a group of $ADMIN: the admin could not log in"
            return 1
        fi
    done
    if [ ${#allow[@]} -gt 0 ]; then
        for g in "${groups[@]}"; do ADMIN_FROM=x matches_any "$g" "${allow[@]}" && return 0; done
        printf '%s' "AllowGroups (${allow[*]}) contains none of $ADMIN's groups (${groups[*]}): add one, or the admin cannot log in"
        return 1
    fi
}
if [ "$DRY_RUN" = 0 ]; then
    if [ -f "$dropin" ] && cmp -s "$WORKDIR/sshd" "$dropin"; then
        problem=$(sshd_check "$(rp $SSHD_MAIN)") || die "SSH hardening is in place but not effective: $problem"
    else
        # Validated in the temporary copy: a rejected drop-in never reaches
        # /etc/ssh, where a restart of sshd would read it.
        problem=$(sshd_check "$WORKDIR/cand/sshd_config") ||
            die "new SSH configuration rejected before installing it (checked in a temporary copy), nothing changed, sshd not reloaded: $problem"
        say "sshd -t -f (temporary copy): valid; for $ADMIN from $ADMIN_FROM keys only, root login off"
    fi
fi

installed() { grep -q 'install ok installed' <<<"$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)"; }

# --- 1. Docker Engine and the Compose plugin -----------------------------------------
step "Docker Engine from Docker's apt repository ($OS_ID $OS_CODENAME)"
for p in "${CONFLICTING[@]}"; do
    if installed "$p"; then
        die "package $p (the distribution's Docker build) is installed and conflicts with Docker's packages; remove it first: apt-get remove ${CONFLICTING[*]} (images and volumes in /var/lib/docker are kept)"
    fi
done
DOCKER_WAS_INSTALLED=0
installed docker-ce && DOCKER_WAS_INSTALLED=1

APT_UPDATED=0
apt_update() {
    [ "$APT_UPDATED" = 1 ] && return 0
    act apt-get update
    APT_UPDATED=1
}
missing=()
for p in ca-certificates curl gpg; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    apt_update
    act env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

REPO_CHANGED=0
ensure_dir /etc/apt/keyrings 0755 0:0
mkdir -m 0700 "$WORKDIR/gnupg"
# key_fpr FILE: the fingerprints in an armored key file (no keyring touched).
key_fpr() { GNUPGHOME=$WORKDIR/gnupg gpg --batch --show-keys --with-colons "$1" 2>/dev/null | awk -F: '$1 == "fpr" { print $10 }'; }
if [ -f "$(rp $KEYRING)" ] && grep -qx "$DOCKER_KEY_FPR" <<<"$(key_fpr "$(rp $KEYRING)")"; then
    say "present: $KEYRING (fingerprint $DOCKER_KEY_FPR)"
elif [ "$DRY_RUN" = 1 ]; then
    note_change "download https://download.docker.com/linux/$OS_ID/gpg to $KEYRING after checking its fingerprint is $DOCKER_KEY_FPR"
    REPO_CHANGED=1
else
    say "downloading Docker's signing key"
    curl -fsSL --proto '=https' --tlsv1.2 --retry 3 --connect-timeout 15 --max-time 120 \
        -o "$WORKDIR/docker.asc" "https://download.docker.com/linux/$OS_ID/gpg" ||
        die "download of https://download.docker.com/linux/$OS_ID/gpg failed"
    fprs=$(key_fpr "$WORKDIR/docker.asc" | tr '\n' ' ')
    [[ " $fprs" == *" $DOCKER_KEY_FPR "* ]] ||
        die "the key from download.docker.com has fingerprint(s) '${fprs% }', not Docker's $DOCKER_KEY_FPR: refusing to trust it"
    put_file $KEYRING 0644 0:0 "$WORKDIR/docker.asc" quiet
    REPO_CHANGED=1
fi

if [ -f "$(rp /etc/apt/sources.list.d/docker.list)" ] &&
    grep -q 'download.docker.com' "$(rp /etc/apt/sources.list.d/docker.list)"; then
    # Set up by Docker's older instructions: a second entry with another
    # Signed-By would make apt refuse both.
    say "present: /etc/apt/sources.list.d/docker.list (Docker's repository, older format; left as is)"
else
    cat >"$WORKDIR/docker.sources" <<EOF
# Managed by scripts/provision-server.sh: Docker's apt repository.
Types: deb
URIs: https://download.docker.com/linux/$OS_ID
Suites: $OS_CODENAME
Components: stable
Architectures: $ARCH
Signed-By: $KEYRING
EOF
    put_file $SOURCES 0644 0:0 "$WORKDIR/docker.sources"
    [ "$FILE_CHANGED" = 1 ] && REPO_CHANGED=1
fi

# On a fresh install only: Docker 29 defaults to the containerd image
# store, with which cAdvisor cannot name containers. Switching the store on
# a host that already has images would hide them, so an existing Docker is
# left alone (install-cadvisor.sh warns there instead).
if [ "$DOCKER_WAS_INSTALLED" = 0 ]; then
    if [ -e "$(rp $DAEMON_JSON)" ]; then
        say "present: $DAEMON_JSON (left as is)"
    else
        features=
        [ "$KEEP_CONTAINERD" = 0 ] && features=$',\n  "features": { "containerd-snapshotter": false }'
        cat >"$WORKDIR/daemon.json" <<EOF
{
  "log-driver": "json-file",
  "log-opts": { "max-size": "20m", "max-file": "5" }$features
}
EOF
        ensure_dir /etc/docker 0755 0:0
        put_file $DAEMON_JSON 0644 0:0 "$WORKDIR/daemon.json"
    fi
fi

missing=()
for p in "${DOCKER_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ] || [ "$REPO_CHANGED" = 1 ]; then
    APT_UPDATED=0
    apt_update
fi
if [ ${#missing[@]} -gt 0 ]; then
    act env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
else
    say "present: ${DOCKER_PACKAGES[*]}"
fi
if [ "$(systemctl is-enabled docker.service 2>/dev/null || true)" != enabled ]; then
    act systemctl enable --now docker.service
elif ! systemctl is-active --quiet docker.service; then
    act systemctl start docker.service
fi
if [ "$DRY_RUN" = 0 ]; then
    compose_version=$(docker compose version 2>&1) || die "'docker compose version' failed after the install: $compose_version"
    say "$compose_version"
fi

# --- 2. the admin user ----------------------------------------------------------------
step "admin user $ADMIN"
if [ -z "$(passwd_field "$ADMIN" 3)" ]; then
    # No password is set: the account is locked for password login and is
    # reached with its SSH key only.
    act useradd --create-home --shell /bin/bash --comment "monitoring stack admin" "$ADMIN"
else
    say "present: user $ADMIN"
fi
if in_group "$ADMIN" docker; then
    say "present: $ADMIN in group docker"
else
    act usermod -aG docker "$ADMIN"
fi
uid=$(passwd_field "$ADMIN" 3)
gid=$(passwd_field "$ADMIN" 4)
home=$(passwd_field "$ADMIN" 6)
home=${home:-/home/$ADMIN}
owner=${uid:-$ADMIN}:${gid:-$ADMIN}

# --- 3. the admin's key ---------------------------------------------------------------
step "SSH key for $ADMIN"
AUTH_KEYS=$home/.ssh/authorized_keys
ensure_dir "$home/.ssh" 0700 "$owner"
: >"$WORKDIR/authorized_keys"
[ -f "$(rp "$AUTH_KEYS")" ] && cat "$(rp "$AUTH_KEYS")" >"$WORKDIR/authorized_keys"
# Keys are compared by type and key material: the comment may differ.
for k in "${NEW_KEYS[@]}"; do
    read -r ktype kblob _ <<<"$k"
    if awk -v t="$ktype" -v b="$kblob" '{ for (i = 1; i < NF; i++) if ($i == t && $(i + 1) == b) found = 1 } END { exit !found }' \
        "$WORKDIR/authorized_keys"; then
        say "present: key ${kblob:0:16}... in $AUTH_KEYS"
    else
        [ -s "$WORKDIR/authorized_keys" ] && [ -n "$(tail -c1 "$WORKDIR/authorized_keys")" ] && echo >>"$WORKDIR/authorized_keys"
        printf '%s\n' "$k" >>"$WORKDIR/authorized_keys"
    fi
done
put_file "$AUTH_KEYS" 0600 "$owner" "$WORKDIR/authorized_keys"

# --- 4. the deployment directory ----------------------------------------------------------
step "deployment directory $DEPLOY_DIR"
ensure_dir "$DEPLOY_DIR" 0750 "$owner"

# --- 5. sudo: docker and systemctl only ---------------------------------------------------
step "sudo rule for $ADMIN"
cat >"$WORKDIR/sudoers" <<EOF
# Managed by scripts/provision-server.sh.
# $ADMIN may run docker and systemctl as root, nothing else. Not a security
# boundary: both can start a root shell, as can membership of the docker
# group (docs/hosts.md).
$ADMIN ALL=(root) NOPASSWD: /usr/bin/docker, /usr/bin/systemctl
EOF
chmod 0440 "$WORKDIR/sudoers"
# A broken sudoers file can lock everyone out of sudo: validate first.
vout=$(visudo -cf "$WORKDIR/sudoers" 2>&1) || die "visudo rejected the generated sudoers file: $vout"
say "visudo -cf: $vout"
put_file "/etc/sudoers.d/$ADMIN" 0440 0:0 "$WORKDIR/sudoers"

# --- 6. SSH: keys only, no root login ----------------------------------------------------
step "SSH hardening"
if [ -f "$dropin" ] && cmp -s "$WORKDIR/sshd" "$dropin"; then
    say "present: $SSHD_DROPIN (effective: checked above)"
else
    had_old=0
    [ -f "$dropin" ] && { cp -p "$dropin" "$WORKDIR/sshd.old"; had_old=1; }
    put_file $SSHD_DROPIN 0644 0:0 "$WORKDIR/sshd"
    if [ "$DRY_RUN" = 0 ]; then
        # The real files, once more: the directory may have changed since.
        if ! problem=$(sshd_check "$(rp $SSHD_MAIN)"); then
            if [ "$had_old" = 1 ]; then cp -p "$WORKDIR/sshd.old" "$dropin"; else rm -f "$dropin"; fi
            die "new SSH configuration rejected, previous state restored, sshd not reloaded: $problem"
        fi
        say "sshd -t: configuration valid; password and root login off"
    fi
    act systemctl try-reload-or-restart ssh.service
fi

finish_summary
if [ "$CHANGES" -gt 0 ] && [ "$DRY_RUN" = 0 ]; then
    say "Before closing this session, check from another terminal: ssh $ADMIN@<this server> 'docker compose version'"
fi
