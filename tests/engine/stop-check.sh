#!/usr/bin/env bash
# Run by tests/run.sh after tests/engine/test_*.sh: proves the engine part
# cleaned up everything it made, so that a second run starts clean (issue 12):
# no process of its dockerd/containerd/shims, no container or volume left in
# the cached data-root, its run directory, network namespace, veth, NAT rules
# and test user gone. Reads /proc and the data-root; stops nothing.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=engine.sh
. "$REPO/tests/engine/engine.sh"

if [ "${SKIP_ENGINE:-0}" = 1 ] || [ "${ENGINE_KEEP:-0}" = 1 ]; then
    echo "ok - engine clean-up not checked (SKIP_ENGINE=1 or ENGINE_KEEP=1) # SKIP"
    exit 0
fi

# Processes whose command line names the engine's directories (dockerd's
# --exec-root/--data-root, containerd's socket, every shim's -address).
left=''
for c in /proc/[0-9]*/cmdline; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$c") || continue
    case $cmd in
    *"$ENGINE_DIR"* | *"$ENGINE_CACHE_DIR/docker"*)
        p=${c#/proc/}
        [ "${p%/cmdline}" = "$$" ] || left+="${p%/cmdline}: ${cmd:0:120}"$'\n'
        ;;
    esac
done
assert_eq "no process of the engine (dockerd, containerd, shims) is left" "" "$left"
assert_eq "its run directory is removed" "" "$([ -e "$ENGINE_DIR" ] && echo "$ENGINE_DIR")"
assert_eq "its network namespace and veth are removed" "" \
    "$(ip netns list 2>/dev/null | awk -v n="$ENGINE_NS" '$1 == n'; ip link show "$ENGINE_VETH" 2>/dev/null | head -1)"
assert_eq "its NAT and FORWARD rules are removed" "" "$(iptables-save 2>/dev/null | grep -F -- "$ENGINE_NAT_COMMENT")"
assert_eq "its test user is removed" "" "$(getent passwd "$ENGINE_SSH_USER")"
# The data-root is the image cache: only image layers may stay.
d=$ENGINE_CACHE_DIR/docker
assert_eq "no container is left in the cached data-root" "" "$(find "$d/containers" -mindepth 1 -maxdepth 1 2>/dev/null)"
assert_eq "no volume is left in the cached data-root" "" \
    "$(find "$d/volumes" -mindepth 1 -maxdepth 1 ! -name metadata.db ! -name backingFsBlockDev 2>/dev/null)"
finish
