#!/usr/bin/env bash
# scripts/install-cadvisor.sh with docker and curl replaced by recorders:
# host networking on the given address, the pinned image, idempotence,
# re-creation on change, the containerd image store warning, --dry-run.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
# shellcheck source=../fixtures/scripts/harness.sh
. "$REPO/tests/fixtures/scripts/harness.sh"

IMAGE=$(sed -n 's/^DEFAULT_IMAGE=//p' "$REPO/scripts/install-cadvisor.sh")
export FAKE_CURL_DIR=$T/dl CADVISOR_HEALTH_TIMEOUT=2
mkdir -p "$FAKE_CURL_DIR"
echo ok >"$FAKE_CURL_DIR/healthz"

case $IMAGE in
ghcr.io/google/cadvisor:v[0-9]*.[0-9]*.[0-9]*) ok "default image is pinned on ghcr.io/google/cadvisor ($IMAGE)" ;;
*) not_ok "default image is pinned on ghcr.io/google/cadvisor" "$IMAGE" ;;
esac

# --- argument errors ------------------------------------------------------------
run_script install-cadvisor.sh
assert_rc "no --listen-address: usage error" 2
assert_contains "no --listen-address: says what to pass" "$OUT" "--listen-address is required"
run_script install-cadvisor.sh --listen-address 203.0.113.10 --image ghcr.io/google/cadvisor:latest
assert_rc "image :latest refused" 2
run_script install-cadvisor.sh --listen-address 203.0.113.10 --image ghcr.io/google/cadvisor
assert_rc "image without a tag refused" 2
rc=0
out=$(PATH=/usr/bin:/bin bash "$REPO/scripts/install-cadvisor.sh" --listen-address 203.0.113.10 2>&1) || rc=$?
if command -v docker >/dev/null 2>&1 && [ "$(command -v docker)" != "$FIX/bin/docker" ]; then
    ok "no docker: skipped (this machine has a real docker CLI)"
else
    assert_eq "no docker CLI: refused" "1" "$rc"
    assert_contains "no docker CLI: points at provision-server.sh" "$out" "docker is not installed (scripts/provision-server.sh"
fi
touch "$FAKE_STATE/docker-down"
run_script install-cadvisor.sh --listen-address 203.0.113.10
assert_rc "daemon down: refused" 1
assert_contains "daemon down: says so" "$OUT" "cannot talk to the Docker daemon"
rm -f "$FAKE_STATE/docker-down"

# --- dry run --------------------------------------------------------------------------
run_script install-cadvisor.sh --listen-address 203.0.113.10 --dry-run
assert_rc "dry run exits 0" 0
assert_contains "dry run: prints the pull" "$OUT" "[dry-run] would run: docker pull $IMAGE"
assert_contains "dry run: prints the run with host networking" "$OUT" "--network host"
assert_contains "dry run: prints the listen address" "$OUT" "--listen_ip=203.0.113.10 --port=8080"
assert_actions "dry run: no command that changes anything ran" ""
check_fails "dry run: no container" test -e "$FAKE_STATE/docker/containers/cadvisor"

# --- first run --------------------------------------------------------------------------
run_script install-cadvisor.sh --listen-address 203.0.113.10
assert_rc "first run exits 0" 0
run_line=$(actions | grep '^docker run ' || true)
assert_eq "first run: pull, then run" "docker pull $IMAGE
$run_line" "$(actions)"
for want in "--name cadvisor" "--restart unless-stopped" "--network host" "--volume /:/rootfs:ro" \
    "--volume /var/lib/docker/:/var/lib/docker:ro" "--device /dev/kmsg" \
    "$IMAGE --listen_ip=203.0.113.10 --port=8080 --housekeeping_interval=10s"; do
    assert_contains "docker run has $want" "$run_line" "$want"
done
assert_not_contains "no port is published by Docker (it would bypass UFW)" "$run_line" "--publish"
assert_not_contains "no -p either" "$run_line" " -p "
assert_contains "first run: healthz checked on the listen address" "$LOG" "http://203.0.113.10:8080/healthz"
assert_contains "first run: reports healthy" "$OUT" "cAdvisor is healthy"
assert_not_contains "classic image store: no containerd warning" "$OUT" "containerd image store"

# --- second run: nothing ------------------------------------------------------------------
run_script install-cadvisor.sh --listen-address 203.0.113.10
assert_actions "second run: no command that changes anything" ""
assert_contains "second run: says no changes" "$OUT" "no changes"

# --- containerd image store: warned ------------------------------------------------------
FAKE_DOCKER_INFO='overlayfs|[["driver-type","io.containerd.snapshotter.v1"]]' \
    run_script install-cadvisor.sh --listen-address 203.0.113.10
assert_rc "containerd image store: still exits 0" 0
assert_contains "containerd image store: warns that names may be lost" "$OUT" "WARNING: Docker uses the containerd image store"
assert_contains "containerd image store: says how to fix it" "$OUT" '"containerd-snapshotter": false'
FAKE_DOCKER_INFO='overlayfs|[["driver-type","io.containerd.snapshotter.v1"]]' \
    run_script install-cadvisor.sh --listen-address 203.0.113.10 --dry-run
assert_contains "containerd image store: the dry run warns too" "$OUT" "containerd image store"

# --- stopped container: started ----------------------------------------------------------------
sed -i '2s/.*/false/' "$FAKE_STATE/docker/containers/cadvisor"
run_script install-cadvisor.sh --listen-address 203.0.113.10
assert_actions "stopped container: only started" "docker start cadvisor"

# --- new address: replaced, image already there -------------------------------------------------
run_script install-cadvisor.sh --listen-address 203.0.113.11
assert_eq "new address: removed and re-created, no pull" "docker rm --force cadvisor
docker run" "$(actions | cut -d' ' -f1-2 | sed 's/^docker rm$/docker rm --force cadvisor/')"
assert_contains "new address: new listen_ip" "$(actions)" "--listen_ip=203.0.113.11"
run_script install-cadvisor.sh --listen-address 203.0.113.11
assert_actions "new address again: no changes" ""

# --- the plan's container (published on 127.0.0.1, no label) is replaced --------------------------
printf '\ntrue\ngcr.io/cadvisor/cadvisor:v0.49.1\n' >"$FAKE_STATE/docker/containers/cadvisor"
run_script install-cadvisor.sh --listen-address 203.0.113.11
assert_contains "foreign container: says it replaces it" "$OUT" "was not created by this script"
assert_eq "foreign container: rm, then run" "2" "$(actions | grep -c -e '^docker rm --force cadvisor$' -e '^docker run ')"

# --- an unhealthy cAdvisor is an error ------------------------------------------------------------
rm -f "$FAKE_CURL_DIR/healthz"
run_script install-cadvisor.sh --listen-address 203.0.113.11
assert_rc "no /healthz answer: non-zero exit" 1
assert_contains "no /healthz answer: points at the logs" "$OUT" "docker logs cadvisor"
finish
