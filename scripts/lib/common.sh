# shellcheck shell=bash
# Shared helpers for the host scripts in scripts/. Sourced, never executed.
#
# Every host script follows the same contract:
#   - it changes the host only through act / put_file / ensure_dir, so
#     --dry-run prints every action and performs none, and a second run
#     that finds everything in place reports "no changes";
#   - files are written under $ROOT (empty on a real host), so tests can run
#     a script against a throwaway directory with the commands that touch the
#     host (systemctl, ufw, useradd, docker, curl, apt-get ...) replaced by
#     recorders on PATH;
#   - a fatal problem stops the script with one line naming the file, the
#     variable or the command, and what to do about it.

PROG=${PROG:-$(basename "$0" .sh)}
DRY_RUN=0
CHANGES=0
ROOT=${ROOT:-}
WORKDIR=

say() { printf '%s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
warn() { printf '%s: WARNING: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}
# A mistake on the command line: exit 2, and point at --help.
usage_error() {
    printf '%s: %s (see --help)\n' "$PROG" "$*" >&2
    exit 2
}

# need_arg OPTION VALUE: an option that takes a value got one.
need_arg() { [ -n "${2:-}" ] || usage_error "$1 needs a value"; }

# quote_cmd ARGS...: the command as one could paste it into a shell.
quote_cmd() {
    local out='' a q="'"
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
            out+="$a "
        else
            out+="'${a//$q/$q\\$q$q}' "
        fi
    done
    printf '%s' "${out% }"
}

# set_root DIR: run against a throwaway root (tests). Empty means the host.
set_root() {
    if [ -z "$1" ]; then
        ROOT=
        return 0
    fi
    case $1 in
    /*) ;;
    *) usage_error "--root must be an absolute path, got '$1'" ;;
    esac
    [ -d "$1" ] || die "--root $1: no such directory"
    ROOT=${1%/}
}

# rp PATH: where PATH of the managed host lives on this machine.
rp() { printf '%s%s' "$ROOT" "$1"; }

# Scratch space, removed on exit whatever happens.
make_workdir() {
    WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/$PROG.XXXXXX")
    # shellcheck disable=SC2064 # expand now: WORKDIR is fixed from here on
    trap "rm -rf '$WORKDIR'" EXIT
}

require_root() {
    [ "$DRY_RUN" = 1 ] && return 0
    [ "$(id -u)" = 0 ] || die "run as root (sudo $0 ...): this script changes system files and services"
}

# act CMD...: run a command that changes the host, or in a dry run print it.
act() {
    CHANGES=$((CHANGES + 1))
    if [ "$DRY_RUN" = 1 ]; then
        say "[dry-run] would run: $(quote_cmd "$@")"
        return 0
    fi
    say "+ $(quote_cmd "$@")"
    local rc=0
    "$@" || rc=$?
    [ "$rc" = 0 ] || die "'$(quote_cmd "$@")' failed (exit status $rc)"
}

# note_change TEXT: a change made by this script's own code (not a command).
note_change() {
    CHANGES=$((CHANGES + 1))
    if [ "$DRY_RUN" = 1 ]; then say "[dry-run] would $1"; else say "changed: $1"; fi
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# mode_of / owner_of PATH: current permission bits (octal, no leading
# zeros) and numeric uid:gid.
mode_of() { stat -c '%a' "$1"; }
owner_of() { stat -c '%u:%g' "$1"; }
norm_mode() { printf '%o' "$((8#$1))"; }

# ensure_dir PATH MODE UID:GID: the directory exists with that mode/owner.
ensure_dir() {
    local path=$1 mode=$2 owner=$3 dest
    dest=$(rp "$path")
    if [ ! -d "$dest" ]; then
        note_change "create directory $path (mode $mode, owner $owner)"
        [ "$DRY_RUN" = 1 ] && return 0
        mkdir -p "$dest"
        chmod "$mode" "$dest"
        chown "$owner" "$dest"
        return 0
    fi
    if [ "$(mode_of "$dest")" != "$(norm_mode "$mode")" ]; then
        act chmod "$mode" "$dest"
    fi
    if [ "$(owner_of "$dest")" != "$owner" ]; then
        act chown "$owner" "$dest"
    fi
}

# put_file PATH MODE UID:GID SRC [show|quiet|binary]
# Installs SRC as PATH (under ROOT) when content, mode or owner differ.
# The new content replaces the old one atomically (temporary file in the
# same directory, then rename), so a reader never sees half a file.
# Sets FILE_CHANGED=1 when the content changed (read by the callers).
# show: print a unified diff; quiet: never print content (secrets);
# binary: report the SHA-256 only.
# shellcheck disable=SC2034 # FILE_CHANGED is the result callers read
FILE_CHANGED=0
put_file() {
    local path=$1 mode=$2 owner=$3 src=$4 how=${5:-show} dest tmp
    dest=$(rp "$path")
    FILE_CHANGED=0
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        if [ "$(mode_of "$dest")" != "$(norm_mode "$mode")" ]; then
            act chmod "$mode" "$dest"
        fi
        if [ "$(owner_of "$dest")" != "$owner" ]; then
            act chown "$owner" "$dest"
        fi
        return 0
    fi
    # shellcheck disable=SC2034
    FILE_CHANGED=1
    if [ -e "$dest" ]; then
        note_change "update $path (mode $mode, owner $owner)"
    else
        note_change "create $path (mode $mode, owner $owner)"
    fi
    case $how in
    show) diff -u --label "$path (current)" --label "$path (new)" \
        "$([ -e "$dest" ] && echo "$dest" || echo /dev/null)" "$src" | sed 's/^/    /' || true ;;
    binary) say "    sha256 $(sha256_of "$src")" ;;
    quiet) ;;
    esac
    [ "$DRY_RUN" = 1 ] && return 0
    [ -d "$(dirname "$dest")" ] || die "cannot write $path: directory $(dirname "$path") does not exist"
    tmp=$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX")
    cat "$src" >"$tmp"
    chmod "$mode" "$tmp"
    chown "$owner" "$tmp"
    mv -f "$tmp" "$dest"
}

# passwd_field NAME FIELD: a field (3 uid, 4 gid, 6 home) of a user, or
# nothing when the user does not exist.
passwd_field() {
    local line
    line=$(getent passwd "$1" 2>/dev/null) || return 0
    printf '%s\n' "$line" | cut -d: -f"$2"
}

# in_group USER GROUP: USER is a (supplementary) member of GROUP.
in_group() {
    local members
    members=$(getent group "$2" 2>/dev/null | cut -d: -f4) || return 1
    [[ ",$members," == *",$1,"* ]]
}

valid_ipv4() {
    local ip=$1 IFS=. octets o
    [[ $ip =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
    read -r -a octets <<<"$ip"
    for o in "${octets[@]}"; do
        [ $((10#$o)) -le 255 ] || return 1
    done
}
valid_ipv6() { [[ $1 == *:* && $1 =~ ^[0-9A-Fa-f:.]+$ ]]; }
valid_ip() { valid_ipv4 "$1" || valid_ipv6 "$1"; }
# valid_source IP or CIDR, as ufw's "from" accepts.
valid_source() {
    local addr=${1%/*} len
    if [[ $1 == */* ]]; then
        len=${1##*/}
        [[ $len =~ ^[0-9]{1,3}$ ]] || return 1
        if valid_ipv4 "$addr"; then [ "$len" -le 32 ]; else valid_ipv6 "$addr" && [ "$len" -le 128 ]; fi
    else
        valid_ip "$1"
    fi
}
valid_port() { [[ $1 =~ ^[0-9]{1,5}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

# split_listen_address SPEC DEFAULT_PORT: --listen-address IP[:PORT], IPv6
# in brackets ([2001:db8::1]:9100). Sets host, port and LISTEN (normalised:
# IP:PORT or [IPv6]:PORT); a malformed SPEC is a usage error.
# shellcheck disable=SC2034 # host, port and LISTEN are the results callers read
split_listen_address() {
    local spec=$1 dport=$2
    case $spec in
    \[*\]:*) host=${spec%]:*}; host=${host#[}; port=${spec##*]:} ;;
    \[*\]) host=${spec#[}; host=${host%]}; port=$dport ;;
    *:*:*) usage_error "--listen-address '$spec': write an IPv6 address in brackets, e.g. [2001:db8::1]:$dport" ;;
    *:*) host=${spec%:*}; port=${spec##*:} ;;
    *) host=$spec; port=$dport ;;
    esac
    valid_ip "$host" || usage_error "--listen-address '$spec': '$host' is not an IP address"
    valid_port "$port" || usage_error "--listen-address '$spec': '$port' is not a port number"
    if valid_ipv6 "$host"; then LISTEN="[$host]:$port"; else LISTEN="$host:$port"; fi
}

# finish_summary: the last line of every run says what happened.
finish_summary() {
    if [ "$DRY_RUN" = 1 ]; then
        if [ "$CHANGES" -eq 0 ]; then
            say "$PROG: dry run: no changes needed"
        else
            say "$PROG: dry run: $CHANGES change(s) would be made; nothing was changed"
        fi
    elif [ "$CHANGES" -eq 0 ]; then
        say "$PROG: no changes (everything already in place)"
    else
        say "$PROG: done, $CHANGES change(s) made"
    fi
}

# A command that fails under set -e says which one it was.
set -o errtrace
trap 'printf "%s: error: command failed (exit %s): %s\n" "$PROG" "$?" "$BASH_COMMAND" >&2' ERR
