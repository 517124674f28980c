#!/usr/bin/env bash
# The target side of scripts/deploy.sh, run over SSH as the admin user:
#   check DIR          the target can run the stack (docker, compose, DIR)
#   receive DIR        unpack the release (tar.gz on stdin) into DIR/.deploy/staging,
#                      modes normalised (a checkout made with umask 077 still
#                      gives files every container user can read)
#   receive-env DIR    store .env (stdin) in the staging area, mode 600
#   validate DIR       move the staged release to a new directory
#                      DIR/releases/<id> and check it there with each
#                      component's own tool, run from the images the release
#                      names: `docker compose config -q`, the config renderer
#                      (config-init's image: inventory, templates, secrets),
#                      promtool check config (prometheus.yml and every rule
#                      file), amtool check-config (the rendered
#                      alertmanager.yml and its templates), caddy validate,
#                      and the dashboards' SQL against the release's
#                      sql/contract.yaml (the doctor's image, built from the
#                      release, renders copies; a dashboard that differs
#                      was not re-rendered after a contract edit).
#                      Nothing running is touched; a rejected release is
#                      removed and the previous one stays current.
#   switch DIR REV     one atomic rename points DIR/current at the validated
#                      release; `docker compose up -d` re-creates exactly the
#                      services whose inputs changed (--force-recreate; the
#                      others are left running), then waits until every
#                      container is healthy (DEPLOY_HEALTH_TIMEOUT seconds,
#                      default 300; 0 skips the wait). If the new stack is not
#                      healthy in time, DIR/current is pointed back at the
#                      previous release and its services re-created: an
#                      automatic rollback, reported as a failed deploy.
# The compose project is named after DIR (/opt/monitoring -> "monitoring")
# and its directory is DIR/current, so bind-mount paths stay the same from
# one release to the next. The three newest releases are kept. Data lives in
# named volumes and is never touched.
set -euo pipefail

fail() {
    printf 'deploy (on %s): %s\n' "$(hostname)" "$*" >&2
    exit 1
}

[ $# -ge 2 ] || fail "usage: $0 check|receive|receive-env|validate|switch DIR [REVISION]"
cmd=$1
dir=${2%/}
[[ $dir =~ ^/[A-Za-z0-9._/-]+$ ]] || fail "deployment directory '$dir' must be an absolute path"
meta=$dir/.deploy
stage=$meta/staging
project=$(basename "$dir")
current=$dir/current
HEALTH_TIMEOUT=${DEPLOY_HEALTH_TIMEOUT:-300}
[[ $HEALTH_TIMEOUT =~ ^[0-9]+$ ]] || fail "DEPLOY_HEALTH_TIMEOUT='$HEALTH_TIMEOUT' is not a number of seconds"

# compose PROJECT_DIR RELEASE ARGS...: every call names the project, its
# directory (DIR/current once switched), the release's compose file and .env.
compose() {
    local d=$1 r=$2
    shift 2
    docker compose -p "$project" --project-directory "$d" -f "$r/compose.yaml" --env-file "$r/.env" "$@"
}

# The per-service fingerprint of everything a container is created from:
# its resolved definition (environment after .env interpolation, env_file
# contents merged in by compose), the content of the deployed files it
# bind-mounts and of its file-based secrets/configs, and the content that
# config-init renders into the named volumes it mounts (measured during
# validation, so a secret changed in .env reaches exactly the services that
# read it, and config-init runs again). `docker compose restart` re-reads
# none of these; a changed fingerprint means re-create. Only files of the
# release manifest are read, never data directories; a mount of the whole
# project directory (config-init reads .env from it) counts through what is
# rendered from it. Prints "hash SERVICE SHA256" and "oneshot SERVICE" lines,
# then "changed SERVICE" lines (compared with the last successful deploy).
HASH_PY='
import hashlib, json, os, sys
cfg = json.load(sys.stdin)
# Paths in the configuration are under the project directory (DIR/current);
# the files are read from the release being deployed (not yet current).
root = os.path.normpath(sys.argv[1])
real = sys.argv[2]
with open(sys.argv[3], encoding="utf-8") as f:
    manifest = sorted(l.rstrip("\n") for l in f if l.strip())
rendered = {}
if os.path.exists(sys.argv[5]):
    with open(sys.argv[5], encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                rendered[parts[0]] = parts[1]
old = {}
if os.path.exists(sys.argv[4]):
    with open(sys.argv[4], encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "hash":
                old[parts[1]] = parts[2]

def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(65536), b""):
            h.update(block)
    return h.hexdigest()

def deployed(src):
    src = os.path.normpath(src)
    if not (src == root or src.startswith(root + os.sep)):
        return []
    rel = os.path.relpath(src, root)
    if rel == ".":
        return []
    if rel == ".env" and os.path.isfile(os.path.join(real, rel)):
        return [(".env", digest(os.path.join(real, rel)))]
    out = []
    for m in manifest:
        if m == rel or rel == "." or m.startswith(rel + "/"):
            p = os.path.join(real, m)
            if os.path.isfile(p):
                out.append((m, digest(p)))
    return out

services = cfg.get("services", {})
new, waits_for = {}, {}
for name, svc in sorted(services.items()):
    if svc.get("profiles"):
        continue  # run by hand (the doctor): never (re)started by a deploy
    h = hashlib.sha256(json.dumps(svc, sort_keys=True).encode())
    inputs = []
    for v in svc.get("volumes") or []:
        if isinstance(v, dict) and v.get("type") == "bind":
            inputs += deployed(v["source"])
        elif isinstance(v, dict) and v.get("type") == "volume" and v.get("source") in rendered:
            inputs.append(("volume:" + v["source"], rendered[v["source"]]))
    for ef in svc.get("env_file") or []:
        inputs += deployed(ef if isinstance(ef, str) else ef.get("path", ""))
    for kind in ("secrets", "configs"):
        for ref in svc.get(kind) or []:
            src = ref.get("source") if isinstance(ref, dict) else ref
            f = ((cfg.get(kind) or {}).get(src) or {}).get("file")
            if f:
                inputs += deployed(f)
    for p, d in sorted(set(inputs)):
        h.update(("\0" + p + "\0" + d).encode())
    new[name] = h.hexdigest()
    deps = svc.get("depends_on") or {}
    if isinstance(deps, dict):
        waits_for[name] = [d for d, c in deps.items()
                           if (c or {}).get("condition") == "service_completed_successfully"]
    print("hash", name, new[name])
    if svc.get("restart") == "no":
        print("oneshot", name)
changed = {n for n, h in new.items() if n in old and old[n] != h}
# Without digests of the rendered output (none measured), a service that
# waits for a changed one-shot counts as changed too: more re-creations,
# never a stale one.
grew = not rendered
while grew:
    grew = False
    for n, deps in waits_for.items():
        if n in old and n not in changed and any(d in changed for d in deps):
            changed.add(n)
            grew = True
for n in sorted(changed):
    print("changed", n)
'

# The docker run arguments that reproduce one service's view of a release
# for its own tool: its image and user, its bind mounts taken from the new
# release (DIR/current/... -> the release directory), the volumes config-init
# renders into replaced by the freshly rendered copies under CHECKDIR, data
# volumes left out. Environment values are exported (never on a command
# line) and passed by name with -e.
#   TOOL_PY SERVICE LINK RELEASE CHECKDIR args  -> NUL-separated docker run args
#   TOOL_PY SERVICE LINK RELEASE CHECKDIR env   -> export lines for eval
TOOL_PY='
import json, os, shlex, sys
cfg = json.load(sys.stdin)
name, link, rel, check, what = sys.argv[1:6]
svc = cfg["services"][name]
init = cfg["services"].get("config-init", {})
rendered = {v["source"] for v in init.get("volumes") or [] if v.get("type") == "volume"}
env = svc.get("environment") or {}
if what == "env":
    for k, v in sorted(env.items()):
        if v is not None:
            print("export %s=%s" % (k, shlex.quote(str(v))))
    sys.exit(0)
args = ["--rm", "--interactive", "--network", "none"]
if svc.get("user"):
    args += ["--user", svc["user"]]
for k in sorted(env):
    args += ["-e", k]
for v in svc.get("volumes") or []:
    src, tgt = v.get("source", ""), v["target"]
    if v.get("type") == "bind":
        src = os.path.normpath(src)
        if src == link or src.startswith(link + os.sep):
            src = os.path.join(rel, os.path.relpath(src, link))
        args += ["-v", "%s:%s:ro" % (src, tgt)]
    elif v.get("type") == "volume" and src in rendered:
        d = os.path.join(check, src)
        os.makedirs(d, exist_ok=True)
        args += ["-v", "%s:%s%s" % (d, tgt, ":ro" if name != "config-init" else "")]
args.append(svc["image"])
sys.stdout.write("\0".join(args) + "\0")
'

# run_tool JSON SERVICE RELEASE CHECKDIR ENTRYPOINT ARGS...: one check run
# from SERVICE's image, as SERVICE sees the new release (plus the docker run
# arguments in tool_mounts, where a tool writes).
tool_mounts=()
run_tool() {
    local json=$1 svc=$2 rel=$3 check=$4 entry=$5 envs
    shift 5
    local -a args
    mapfile -d '' -t args < <(printf '%s' "$json" | python3 -c "$TOOL_PY" "$svc" "$rel" "$rel" "$check" args) || return 1
    envs=$(printf '%s' "$json" | python3 -c "$TOOL_PY" "$svc" "$rel" "$rel" "$check" env) || return 1
    local img=${args[-1]}
    unset 'args[-1]'
    (
        eval "$envs"
        docker run "${args[@]}" ${tool_mounts[@]+"${tool_mounts[@]}"} --entrypoint "$entry" "$img" "$@" </dev/null
    )
}

# flag_value JSON SERVICE FLAG: the value of --FLAG=VALUE in SERVICE's command.
flag_value() {
    printf '%s' "$1" | python3 -c '
import json, sys
cmd = json.load(sys.stdin)["services"][sys.argv[1]].get("command") or []
print(next((a.split("=", 1)[1] for a in cmd if a.startswith(sys.argv[2] + "=")), ""))' "$2" "$3"
}

# drop_check: remove the rendered check copies; they belong to the services'
# users (config-init chowns them), so the config-init image removes them.
init_image=''
drop_check() {
    [ -e "$meta/check" ] || return 0
    rm -rf "$meta/check" 2>/dev/null && return 0
    [ -n "$init_image" ] && docker run --rm --network none -v "$meta:/deploy-meta" --entrypoint rm "$init_image" -rf /deploy-meta/check
    [ ! -e "$meta/check" ] || echo "could not remove $meta/check" >&2
}

# check_dashboards JSON RELEASE CHECKDIR: the SQL of the release's
# dashboards is what its contract gives. The doctor's image, built from the
# release (a tool image: nothing running uses it), renders copies of the
# dashboards for the release's sql/contract.yaml; a dashboard that differs
# was not re-rendered after the contract was edited, and Grafana would
# query columns the contract (and the roles' grants) no longer have.
check_dashboards() {
    local json=$1 rel=$2 check=$3 out f stale=()
    if ! out=$(compose "$rel" "$rel" --profile tools build doctor 2>&1); then
        printf '%s\n' "$out" | tail -20 >&2
        echo "docker compose build doctor failed for the new release (above): it renders the dashboards' SQL" >&2
        return 1
    fi
    mkdir "$check/dashboards"
    cp "$rel"/grafana/dashboards/*.json "$check/dashboards/"
    tool_mounts=(-v "$check/dashboards:/render")
    out=$(run_tool "$json" doctor "$rel" "$check" /usr/local/bin/doctor --render-dashboards \
        --contract /repo/sql/contract.yaml --dashboard-sql /repo/sql/dashboard-sql.json --dashboards /render 2>&1) ||
        { tool_mounts=(); printf '%s\n' "$out" >&2; echo "the doctor (its image) could not render the new release's dashboards from sql/contract.yaml (above)" >&2; return 1; }
    tool_mounts=()
    for f in "$rel"/grafana/dashboards/*.json; do
        cmp -s "$f" "$check/dashboards/${f##*/}" || stale+=("grafana/dashboards/${f##*/}")
    done
    if [ ${#stale[@]} -gt 0 ]; then
        echo "stale dashboards: the SQL of ${stale[*]} is not what sql/contract.yaml gives (the contract was edited, the dashboards not re-rendered)." >&2
        echo "Fix: in your checkout run \`make build/doctor && build/doctor --render-dashboards\`, commit sql/contract.yaml and grafana/dashboards together, deploy again" >&2
        return 1
    fi
    echo "dashboards rendered for sql/contract.yaml (doctor --render-dashboards)"
}

# validate_release RELEASE: every check, each with its own tool, on the new
# release's own directory (its project directory during validation).
validate_release() {
    local rel=$1 json out check=$meta/check conf
    if ! out=$(compose "$rel" "$rel" config -q 2>&1); then
        printf '%s\n' "$out" >&2
        echo "docker compose config rejected the new release (above)" >&2
        return 1
    fi
    echo "compose file valid (docker compose config -q)"
    # Secrets are in the resolved configuration: held in memory, never written.
    # With the "tools" profile: Compose v2 leaves a service of an inactive
    # profile (the doctor) out of `config`.
    json=$(compose "$rel" "$rel" --profile tools config --format json) || { echo "docker compose config --format json failed" >&2; return 1; }
    services=$(printf '%s' "$json" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["services"]))')
    init_image=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"].get("config-init", {}).get("image", ""))')
    drop_check
    mkdir -m 700 "$check"
    if [[ " $services " == *" config-init "* ]]; then
        if ! out=$(run_tool "$json" config-init "$rel" "$check" sh /repo/scripts/render-config.sh compose 2>&1); then
            printf '%s\n' "$out" >&2
            echo "the config renderer (config-init's image) rejected the new release: inventory or templates (above)" >&2
            return 1
        fi
        echo "configuration rendered (config-init's image): inventory and templates valid"
    fi
    if [[ " $services " == *" prometheus "* ]]; then
        conf=$(flag_value "$json" prometheus --config.file)
        if ! out=$(run_tool "$json" prometheus "$rel" "$check" promtool check config "${conf:-/etc/prometheus/prometheus.yml}" 2>&1); then
            printf '%s\n' "$out" >&2
            echo "promtool (prometheus' image) rejected the new release's Prometheus configuration or rules (above)" >&2
            return 1
        fi
        echo "Prometheus configuration and rules valid (promtool check config)"
    fi
    if [[ " $services " == *" alertmanager "* ]]; then
        conf=$(flag_value "$json" alertmanager --config.file)
        if ! out=$(run_tool "$json" alertmanager "$rel" "$check" amtool check-config "${conf:-/etc/alertmanager/alertmanager.yml}" 2>&1); then
            printf '%s\n' "$out" >&2
            echo "amtool (alertmanager's image) rejected the new release's alertmanager.yml (above)" >&2
            return 1
        fi
        echo "Alertmanager configuration valid (amtool check-config)"
    fi
    if [[ " $services " == *" caddy "* ]]; then
        if ! out=$(run_tool "$json" caddy "$rel" "$check" caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile 2>&1); then
            printf '%s\n' "$out" | tail -20 >&2
            echo "caddy validate (caddy's image) rejected the new release's Caddyfile (above)" >&2
            return 1
        fi
        echo "Caddyfile valid (caddy validate)"
    fi
    if [[ " $services " == *" doctor "* ]]; then
        check_dashboards "$json" "$rel" "$check" || return 1
    fi
    # What config-init renders, per volume (digests only), for the switch's
    # fingerprints. The files belong to the services' users: read as root
    # inside config-init's image.
    if [ -n "$init_image" ]; then
        docker run --rm --network none -v "$check:/c:ro" --entrypoint sh "$init_image" \
            -c 'cd /c && find . -type f | LC_ALL=C sort | xargs -r sha256sum' |
            python3 -c '
import collections, hashlib, sys
vol = collections.defaultdict(hashlib.sha256)
for line in sys.stdin:
    digest, path = line.split(None, 1)
    parts = path.strip().split("/", 2)
    vol[parts[1]].update((path.strip() + " " + digest + "\n").encode())
for v, h in sorted(vol.items()):
    print(v, h.hexdigest())' >"$meta/rendered.pending" || { echo "could not digest the rendered configuration" >&2; return 1; }
    fi
}

# stack_health: "ok", or the services not healthy yet (one line).
stack_health() {
    local lines bad='' svc state status
    lines=$(docker ps -a --filter "label=com.docker.compose.project=$project" \
        --filter "label=com.docker.compose.oneoff=False" \
        --format '{{.Label "com.docker.compose.service"}}|{{.State}}|{{.Status}}') || return 1
    [ -n "$lines" ] || { echo "no container"; return 1; }
    while IFS='|' read -r svc state status; do
        case $state/$status in
        */*'(healthy)'*) ;;
        */*'(health: starting)'* | */*'(unhealthy)'*) bad+="$svc: $status; " ;;
        running/*) ;;
        exited/'Exited (0)'*) ;;
        *) bad+="$svc: $status; " ;;
        esac
    done <<<"$lines"
    [ -z "$bad" ] && { echo ok; return 0; }
    echo "$bad"
    return 1
}

# wait_healthy: every container healthy (or running, or a one-shot exited 0)
# within DEPLOY_HEALTH_TIMEOUT seconds.
wait_healthy() {
    [ "$HEALTH_TIMEOUT" = 0 ] && return 0
    local deadline=$((SECONDS + HEALTH_TIMEOUT)) h
    while :; do
        h=$(stack_health) && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "not healthy after ${HEALTH_TIMEOUT}s: $h" >&2
            return 1
        fi
        sleep 2
    done
}

# point_current RELEASE_ID: DIR/current -> releases/RELEASE_ID, one rename.
point_current() {
    ln -sfn "releases/$1" "$dir/.current.tmp"
    mv -T "$dir/.current.tmp" "$current"
}

# bring_up RELEASE_DIR SERVICES...: re-create SERVICES, converge the rest.
# Changed one-shots (config-init) run first and must exit 0: the services
# re-created after them read what they render.
bring_up() {
    local rel=$1 s first=() rest=()
    shift
    for s in "$@"; do
        if [[ " ${oneshots[*]} " == *" $s "* ]]; then first+=("$s"); else rest+=("$s"); fi
    done
    for s in "${first[@]}"; do
        compose "$current" "$rel" up -d --force-recreate --no-deps "$s" || return 1
        wait_oneshot "$s" || return 1
    done
    if [ ${#rest[@]} -gt 0 ]; then
        compose "$current" "$rel" up -d --build --force-recreate --no-deps "${rest[@]}" || return 1
    fi
    compose "$current" "$rel" up -d --build --remove-orphans
}

# wait_oneshot SERVICE: its container exited 0 (bounded by the health timeout).
wait_oneshot() {
    local deadline=$((SECONDS + (HEALTH_TIMEOUT > 0 ? HEALTH_TIMEOUT : 300))) st
    while :; do
        st=$(docker ps -a --filter "label=com.docker.compose.project=$project" \
            --filter "label=com.docker.compose.service=$1" --filter label=com.docker.compose.oneoff=False \
            --format '{{.State}} {{.Status}}' | head -1)
        case $st in
        'exited Exited (0)'*) return 0 ;;
        exited*) echo "$1 failed: $st" >&2; return 1 ;;
        esac
        [ "$SECONDS" -lt "$deadline" ] || { echo "$1 did not finish: $st" >&2; return 1; }
        [ -z "$st" ] && [ "$HEALTH_TIMEOUT" = 0 ] && return 0
        sleep 1
    done
}

case $cmd in
check)
    command -v docker >/dev/null || fail "docker is not installed: run scripts/provision-server.sh on this server"
    docker compose version >/dev/null 2>&1 || fail "the Docker Compose v2 plugin is missing: apt-get install docker-compose-plugin"
    docker info >/dev/null 2>&1 ||
        fail "$(id -un) cannot use the Docker daemon: is it running, and is $(id -un) in the docker group? (scripts/provision-server.sh)"
    command -v python3 >/dev/null || fail "python3 is missing (it computes which services changed): apt-get install python3"
    if [ -d "$dir" ]; then
        [ -w "$dir" ] || fail "$dir is not writable by $(id -un): scripts/provision-server.sh creates it for the admin user"
    else
        mkdir -p "$dir" 2>/dev/null || fail "cannot create $dir as $(id -un): scripts/provision-server.sh creates it for the admin user"
    fi
    echo "target ready: $(docker compose version 2>/dev/null | head -1), $dir writable"
    ;;
receive)
    mkdir -p "$meta"
    chmod 700 "$meta"
    rm -rf "$stage"
    mkdir "$stage"
    tar -xzf - -C "$stage" --no-same-owner
    # Readable by every container user, whatever umask the checkout had;
    # writable by the admin only (.env comes next, mode 600).
    chmod -R u+rwX,go+rX,go-w "$stage"
    echo "received $(find "$stage" -type f | wc -l) files"
    ;;
receive-env)
    [ -d "$stage" ] || fail "nothing staged: receive must run first"
    umask 077
    cat >"$stage/.env.tmp"
    chmod 600 "$stage/.env.tmp"
    mv -f "$stage/.env.tmp" "$stage/.env"
    echo "received .env (mode 600)"
    ;;
validate)
    [ -f "$stage/.env" ] || fail "no .env staged"
    id=$(date -u +%Y%m%dT%H%M%SZ)-$$
    mkdir -p "$dir/releases"
    mv "$stage" "$dir/releases/$id"
    rel=$dir/releases/$id
    if ! validate_release "$rel"; then
        drop_check
        rm -rf "$rel"
        fail "the new release was rejected (above); nothing was switched, the running stack is unchanged"
    fi
    drop_check
    printf '%s\n' "$id" >"$meta/pending"
    echo "release $id validated"
    ;;
switch)
    rev=${3:-unknown}
    [ -f "$meta/pending" ] || fail "no validated release pending: validate must run first"
    id=$(cat "$meta/pending")
    rel=$dir/releases/$id
    [ -f "$rel/.env" ] || fail "release $id is incomplete"
    prev=$(readlink "$current" 2>/dev/null || true)
    prev=${prev#releases/}
    (cd "$rel" && find . \( -type f -o -type l \) ! -path ./.env -print | sed 's|^\./||' | LC_ALL=C sort) >"$meta/manifest.new"
    # Files of a deploy made before releases existed (DIR/compose.yaml ...).
    old_layout=0
    [ -z "$prev" ] && [ -f "$meta/manifest" ] && [ -f "$dir/compose.yaml" ] && old_layout=1
    # The switch: one rename. Nothing running has been touched yet.
    point_current "$id"
    echo "switched $current -> releases/$id"
    # Fingerprints on the project directory the stack runs from (DIR/current).
    # Secrets are in the resolved configuration: piped, never written.
    if ! result=$(compose "$current" "$rel" config --format json |
        python3 -c "$HASH_PY" "$current" "$rel" "$meta/manifest.new" "$meta/service-hashes" "$meta/rendered.pending"); then
        if [ -n "$prev" ]; then point_current "$prev"; else rm -f "$current"; fi
        fail "could not compute the service fingerprints (docker compose config --format json); nothing was re-created"
    fi
    mapfile -t changed < <(printf '%s\n' "$result" | sed -n 's/^changed //p')
    mapfile -t oneshots < <(printf '%s\n' "$result" | sed -n 's/^oneshot //p')
    cd "$dir"
    if [ ${#changed[@]} -gt 0 ]; then
        echo "environment or mounted files changed for: ${changed[*]} (re-creating them: restart would not reload them)"
    elif [ -f "$meta/service-hashes" ]; then
        echo "no service's environment or mounted files changed since the last deploy"
    fi
    if ! bring_up "$rel" "${changed[@]}" || ! wait_healthy; then
        if [ -z "$prev" ] || [ ! -d "$dir/releases/$prev" ]; then
            fail "the new stack did not come up healthy and there is no previous release to roll back to"
        fi
        echo "the new stack is not healthy: rolling back to release $prev" >&2
        point_current "$prev"
        bring_up "$dir/releases/$prev" "${changed[@]}" || true
        wait_healthy || echo "the previous release is not healthy either: look at docker compose ps" >&2
        rm -rf "$rel" "$meta/pending" "$meta/manifest.new"
        fail "deploy of $rev rolled back: $current points at release $prev again"
    fi
    # Recorded only after a healthy up: a failed deploy is retried in full.
    printf '%s\n' "$result" | grep '^hash ' >"$meta/service-hashes"
    printf '%s\n' "$rev" >"$meta/revision"
    rm -f "$meta/rendered.pending"
    if [ "$old_layout" = 1 ]; then
        while IFS= read -r f; do rm -f -- "${dir:?}/$f"; done <"$meta/manifest"
        rm -f "$dir/.env"
        echo "removed the files of the pre-release layout from $dir"
    fi
    mv -f "$meta/manifest.new" "$meta/manifest"
    rm -f "$meta/pending"
    # Keep the three newest releases (current among them).
    find "$dir/releases" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort -r | tail -n +4 |
        while IFS= read -r old; do
            [ "$old" = "$id" ] || [ "$old" = "$prev" ] || rm -rf "${dir:?}/releases/$old"
        done
    echo "deployed revision $rev (release $id)"
    compose "$current" "$rel" ps
    ;;
*) fail "unknown command '$cmd'" ;;
esac
