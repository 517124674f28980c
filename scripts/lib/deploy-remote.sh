#!/usr/bin/env bash
# The target side of scripts/deploy.sh, run over SSH as the admin user:
#   check DIR          the target can run the stack (docker, compose, DIR)
#   receive DIR        unpack the release (tar.gz on stdin) into DIR/.deploy/staging
#   receive-env DIR    store .env (stdin) in the staging area, mode 600
#   validate DIR       `docker compose config -q` on the staged release
#   switch DIR REV     put the release in place, remove files the previous
#                      release shipped and this one does not, `docker compose
#                      up -d` (with --force-recreate for the services whose
#                      inputs changed), `docker compose ps`
# Data that the stack writes under DIR is never touched: only files listed
# in the previous release's manifest are ever removed.
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

# Every compose call names the project directory and its .env explicitly.
compose() {
    local d=$1
    shift
    docker compose --project-directory "$d" --env-file "$d/.env" "$@"
}

# The per-service fingerprint of everything a container is created from:
# its resolved definition (environment after .env interpolation, env_file
# contents merged in by compose) plus the content of the deployed files it
# bind-mounts and of its file-based secrets/configs. `docker compose
# restart` re-reads none of these; a changed fingerprint means re-create.
# Only files of the release manifest are read, never data directories.
# A service that waits for a changed one-shot service (depends_on with
# condition service_completed_successfully, e.g. config-init rendering
# configuration into a volume) consumes its output, so it changed too.
# Prints "hash SERVICE SHA256" lines, then "changed SERVICE" lines (compared
# with the fingerprints of the last successful deploy, if any).
HASH_PY='
import hashlib, json, os, sys
cfg = json.load(sys.stdin)
root = os.path.realpath(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as f:
    manifest = sorted(l.rstrip("\n") for l in f if l.strip())
old = {}
if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
    with open(sys.argv[3], encoding="utf-8") as f:
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
    src = os.path.realpath(src)
    if not (src == root or src.startswith(root + os.sep)):
        return []
    rel = os.path.relpath(src, root)
    if rel == ".env" and os.path.isfile(src):
        return [(".env", digest(src))]
    out = []
    for m in manifest:
        if m == rel or rel == "." or m.startswith(rel + "/"):
            p = os.path.join(root, m)
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
changed = {n for n, h in new.items() if n in old and old[n] != h}
grew = True
while grew:
    grew = False
    for n, deps in waits_for.items():
        if n in old and n not in changed and any(d in changed for d in deps):
            changed.add(n)
            grew = True
for n in sorted(changed):
    print("changed", n)
'

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
    if ! out=$(compose "$stage" config -q 2>&1); then
        printf '%s\n' "$out" >&2
        fail "docker compose config rejected the new release (above); nothing was switched"
    fi
    echo "configuration valid (docker compose config -q)"
    ;;
switch)
    rev=${3:-unknown}
    [ -f "$stage/.env" ] || fail "no validated release staged"
    (cd "$stage" && find . \( -type f -o -type l \) ! -path ./.env -print | sed 's|^\./||' | LC_ALL=C sort) >"$meta/manifest.new"
    if [ -f "$meta/manifest" ]; then
        LC_ALL=C comm -23 "$meta/manifest" "$meta/manifest.new" | while IFS= read -r f; do
            rm -f -- "${dir:?}/$f"
            echo "removed $f (no longer in the release)"
        done
    fi
    cp -a "$stage/." "$dir/"
    chmod 600 "$dir/.env"
    mv -f "$meta/manifest.new" "$meta/manifest"

    # Secrets are in the resolved configuration: piped, never written.
    result=$(compose "$dir" config --format json |
        python3 -c "$HASH_PY" "$dir" "$meta/manifest" "$meta/service-hashes") ||
        fail "could not compute the service fingerprints (docker compose config --format json)"
    mapfile -t changed < <(printf '%s\n' "$result" | sed -n 's/^changed //p')
    cd "$dir"
    if [ ${#changed[@]} -gt 0 ]; then
        echo "environment or mounted files changed for: ${changed[*]} (re-creating them: restart would not reload them)"
        compose "$dir" up -d --build --force-recreate --no-deps "${changed[@]}"
    elif [ -f "$meta/service-hashes" ]; then
        echo "no service's environment or mounted files changed since the last deploy"
    fi
    compose "$dir" up -d --build --remove-orphans
    # Recorded only after a successful up: a failed deploy is retried in full.
    printf '%s\n' "$result" | grep '^hash ' >"$meta/service-hashes"
    printf '%s\n' "$rev" >"$meta/revision"
    rm -rf "$stage"
    echo "deployed revision $rev"
    compose "$dir" ps
    ;;
*) fail "unknown command '$cmd'" ;;
esac
