#!/usr/bin/env bash
# Runs cAdvisor (pinned image from ghcr.io/google/cadvisor) on a Docker host
# so that only Server F can scrape it: host networking, listening on the
# server's public address, behind UFW (scripts/firewall.sh allows 8080 from
# Server F only). Why host networking and not DOCKER-USER rules: docs/hosts.md.
# Idempotent; --dry-run prints every action.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

# v0.60.x negotiates the Docker API version, so it registers its Docker
# factory with Docker Engine 29 (whose minimum API is newer than what older
# cAdvisor releases speak). Images moved from gcr.io to ghcr.io in 2025.
DEFAULT_IMAGE=ghcr.io/google/cadvisor:v0.60.5
NAME=cadvisor
LABEL=eu.ecotrans.monitoring.config-hash

usage() {
    cat <<EOF
Usage: $0 --listen-address IP [options]

  --listen-address IP   required: this server's public IP (Server F scrapes it;
                        UFW lets only Server F in). 0.0.0.0 works behind UFW too.
  --port N              port (default 8080)
  --image REF           image (default $DEFAULT_IMAGE; env CADVISOR_IMAGE).
                        Must carry an explicit version tag or digest.
  --dry-run             print every action, change nothing
  -h, --help            this text

Environment: CADVISOR_HEALTH_TIMEOUT (seconds to wait for /healthz, default 30).
EOF
}

LISTEN=
PORT=8080
IMAGE=${CADVISOR_IMAGE:-$DEFAULT_IMAGE}
# Seconds to wait for /healthz after (re)starting.
HEALTH_TIMEOUT=${CADVISOR_HEALTH_TIMEOUT:-30}
while [ $# -gt 0 ]; do
    case $1 in
    --listen-address) need_arg "$1" "${2:-}"; LISTEN=$2; shift 2 ;;
    --port) need_arg "$1" "${2:-}"; PORT=$2; shift 2 ;;
    --image) need_arg "$1" "${2:-}"; IMAGE=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
    esac
done

[ -n "$LISTEN" ] || usage_error "--listen-address is required: this server's public IP (only Server F may reach it)"
valid_ip "$LISTEN" || usage_error "--listen-address '$LISTEN' is not an IP address"
valid_port "$PORT" || usage_error "--port '$PORT' is not a port number"
[[ $HEALTH_TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage_error "CADVISOR_HEALTH_TIMEOUT='$HEALTH_TIMEOUT' must be a number of seconds"
# A reproducible deploy needs a fixed image: no implicit or floating tag.
case $IMAGE in
*@sha256:*) ;;
*:latest) usage_error "--image '$IMAGE': pin a version, not latest" ;;
*/*:*) [[ ${IMAGE##*/} == *:* ]] || usage_error "--image '$IMAGE' has no version tag" ;;
*) usage_error "--image '$IMAGE' has no version tag" ;;
esac

command -v docker >/dev/null || die "docker is not installed (scripts/provision-server.sh installs Docker Engine)"
require_root

step "Docker daemon"
info=$(docker info --format '{{.Driver}}|{{json .DriverStatus}}' 2>&1) ||
    die "cannot talk to the Docker daemon: $info"
driver=${info%%|*}
say "storage driver: $driver"
# With the containerd image store (Docker 29's default on fresh installs)
# container layers live under /var/lib/containerd and cAdvisor's Docker
# handler fails to resolve them: series lose their name/image labels.
CONTAINERD_STORE=0
if [[ $info == *io.containerd.snapshotter* ]]; then
    CONTAINERD_STORE=1
    warn "Docker uses the containerd image store (driver '$driver', driver-type io.containerd.snapshotter.v1). cAdvisor's Docker handler looks for layers under /var/lib/docker/image and can fail with 'failed to identify the read-write layer ID' (google/cadvisor#3643): container_* series then come without 'name' and the Docker dashboard stays empty. After this script, check that /metrics has container_last_seen{name=\"...\"} series. If not, on a host whose images can be pulled again: put {\"features\": {\"containerd-snapshotter\": false}} in /etc/docker/daemon.json, restart Docker, re-create the containers."
fi

# Everything that defines the container, so a change of any of them (image,
# address, flags) is seen as a change, and nothing else is.
RUN_ARGS=(
    --detach --name "$NAME" --restart unless-stopped
    # Host network: no Docker port publishing, so UFW's INPUT rules apply.
    --network host
    # Upstream's recommended access: cgroups, /dev/kmsg (OOM events), disks.
    --privileged --device /dev/kmsg
    --volume /:/rootfs:ro --volume /var/run:/var/run:ro --volume /sys:/sys:ro
    --volume /var/lib/docker/:/var/lib/docker:ro --volume /dev/disk/:/dev/disk:ro
)
CMD_ARGS=(--listen_ip="$LISTEN" --port="$PORT" --housekeeping_interval=10s)
hash=$(printf '%s\n' "$IMAGE" "${RUN_ARGS[@]}" "${CMD_ARGS[@]}" | sha256sum | cut -c1-16)

step "cAdvisor container"
current=$(docker inspect --type container --format "{{index .Config.Labels \"$LABEL\"}}|{{.State.Running}}" "$NAME" 2>/dev/null || true)
cur_hash=${current%%|*}
cur_running=${current##*|}

need_run=0
if [ -z "$current" ]; then
    need_run=1
elif [ "$cur_hash" != "$hash" ]; then
    if [ -z "$cur_hash" ]; then
        say "container '$NAME' exists but was not created by this script (e.g. the plan's 127.0.0.1:8080 variant): replacing it"
    else
        say "container '$NAME' runs with another configuration: replacing it"
    fi
    need_run=1
fi

if [ "$need_run" = 1 ]; then
    # Pull first: a failed pull leaves the running container alone.
    docker image inspect "$IMAGE" >/dev/null 2>&1 || act docker pull "$IMAGE"
    [ -n "$current" ] && act docker rm --force "$NAME"
    act docker run "${RUN_ARGS[@]}" --label "$LABEL=$hash" "$IMAGE" "${CMD_ARGS[@]}"
elif [ "$cur_running" != true ]; then
    act docker start "$NAME"
else
    say "present: $NAME ($IMAGE) listening on $LISTEN:$PORT"
fi

if [ "$DRY_RUN" = 0 ]; then
    # cAdvisor answers /healthz once its collectors are up.
    check_addr=$LISTEN
    [ "$LISTEN" = 0.0.0.0 ] && check_addr=127.0.0.1
    valid_ipv6 "$check_addr" && check_addr="[$check_addr]"
    ok=0
    for _ in $(seq 1 "$HEALTH_TIMEOUT"); do
        if curl -fsS --max-time 2 -o /dev/null "http://$check_addr:$PORT/healthz" 2>/dev/null; then
            ok=1
            break
        fi
        sleep 1
    done
    [ "$ok" = 1 ] || die "cAdvisor does not answer http://$check_addr:$PORT/healthz after $HEALTH_TIMEOUT s: see docker logs $NAME"
    say "cAdvisor is healthy at http://$check_addr:$PORT/metrics"
fi
if [ "$CONTAINERD_STORE" = 1 ]; then
    warn "reminder: containerd image store in use; verify that container series carry a name (see the warning above)"
fi
finish_summary
