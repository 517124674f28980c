#!/usr/bin/env bash
# The doctor as a compose service (docker compose run --rm doctor), checked
# without a Docker engine:
#   - src/doctor/Dockerfile: the other images' dated Debian 12 base, the build stage's COPY set builds
#     the doctor, the runtime packages are exactly the libraries it links
#     (plus the CA certificates its TLS checks need), a non-root user;
#   - compose.yaml's doctor service: under a profile (never started by
#     `up`), on the compose network the services use, one-shot, read-only
#     mounts of .env and the inventory (INVENTORY_DIR), the stack URLs by
#     compose service name, no published port;
#   - its entrypoint's arguments, given to this checkout's build/doctor;
#   - the Supabase default path is the session pooler (IPv4), since the
#     compose network has no IPv6, and README step 4 runs the service.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"
cd "$REPO" || exit 1
START=$SECONDS
DF=src/doctor/Dockerfile
T=$(mktemp -d "${TMPDIR:-/tmp}/doctor-service.XXXXXX")
trap 'rm -rf "$T"' EXIT

[ -f "$DF" ] || { not_ok "$DF exists"; finish; }
instructions() { sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$DF" | grep -vE '^\s*(#|$)'; }
instructions >"$T/df"
froms=$(grep -E '^FROM ' "$T/df")
assert_eq "two stages" "2" "$(wc -l <<<"$froms")"
assert_not_contains "no image uses the latest tag" "$froms" ":latest"
qe_base=$(grep -m1 '^FROM ' src/queue-exporter/Dockerfile | awk '{print $2}')
assert_eq "both stages on the queue exporter's base (Debian 12 slim, dated)" "FROM $qe_base AS build
FROM $qe_base" "$froms"

# Build stage: its COPY lines into an empty tree, its make there.
mkdir -p "$T/ctx"
while read -r _ src dst; do
    mkdir -p "$T/ctx/$(dirname "$dst")"
    case $dst in */) mkdir -p "$T/ctx/$dst" ;; esac
    if [ -d "$REPO/$src" ]; then
        mkdir -p "$T/ctx/$dst" && cp -r "$REPO/$src/." "$T/ctx/$dst"
    else
        cp "$REPO/$src" "$T/ctx/$dst"
    fi
done < <(awk '/^FROM .* AS build/ { b = 1; next } /^FROM / { b = 0 } b && /^COPY / && !/--from/' "$T/df" |
    awk '{ n = NF; for (i = 2; i < n; i++) print "COPY", $i, $n }' | sed 's| \./$| |; s| \./| |')
build_cmd=$(awk '/^FROM .* AS build/ { b = 1; next } /^FROM / { b = 0 } b && /^RUN make/ { sub(/^RUN /, ""); print }' "$T/df")
check "build stage: '$build_cmd' succeeds with only the copied files" bash -c "cd '$T/ctx' && $build_cmd"
BIN=$T/ctx/build/doctor
check "build stage: the result runs" "$BIN" --version

runtime_pkgs=$(awk '/^FROM / { r++ } r == 2 && /apt-get install/' "$T/df" |
    sed 's/.*--no-install-recommends//; s/&&.*//' | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | sort -u)
needed_pkgs=""
while read -r soname; do
    path=$(ldd "$BIN" | awk -v l="$soname" '$1 == l { print $3 }')
    pkg=""
    for candidate in "$path" "$(readlink -f "$path")"; do
        pkg=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
    done
    case $pkg in
    libc6) ok "needed $soname comes with the base image (libc6)" ;;
    "") not_ok "needed $soname: no Debian package found" ;;
    *)
        needed_pkgs="$needed_pkgs $pkg"
        assert_contains "needed $soname: its package $pkg is installed in the runtime stage" "$runtime_pkgs" "$pkg"
        ;;
    esac
done < <(readelf -d "$BIN" | awk '/NEEDED/ { gsub(/[][]/, "", $5); print $5 }')
for p in $runtime_pkgs; do
    [ "$p" = ca-certificates ] && { ok "runtime package ca-certificates: the TLS checks verify against it"; continue; }
    assert_contains "runtime package $p provides a library the binary needs" "$needed_pkgs" "$p"
done
user=$(awk '/^USER /' "$T/df" | tail -1)
check "the image runs as a non-root user ($user)" bash -c "[ -n '$user' ] && ! grep -qE '^USER (0|root)(:|$)' <<<'$user'"

# --- the compose service -------------------------------------------------------------------
svc=$("$PY3" - <<'PY'
import json, yaml
c = yaml.safe_load(open("compose.yaml"))
s = c["services"].get("doctor", {})
print(json.dumps({"service": s, "services": sorted(c["services"])}))
PY
)
sv() { jq -c "$1" <<<"$svc"; }
assert_eq "doctor: under the tools profile (docker compose up never starts it)" '["tools"]' "$(sv .service.profiles)"
assert_eq "doctor: on the compose network the services use" '["monitoring"]' "$(sv .service.networks)"
assert_eq "doctor: one-shot (no restart policy)" '"no"' "$(sv .service.restart)"
assert_eq "doctor: built from src/doctor/Dockerfile" '"src/doctor/Dockerfile"' "$(sv .service.build.dockerfile)"
assert_eq "doctor: publishes no port" "null" "$(sv .service.ports)"
assert_eq "doctor: no capability but reading files" '["ALL"] ["DAC_READ_SEARCH"]' "$(sv .service.cap_drop) $(sv .service.cap_add)"
assert_eq "doctor: .env, inventory, contract and dashboards mounted read-only" \
    '["./.env:/repo/.env:ro","./inventory:/repo/inventory:ro","./sql:/repo/sql:ro","./grafana/dashboards:/repo/grafana/dashboards:ro"]' \
    "$(sv .service.volumes)"
# The doctor's default paths, relative to the image's WORKDIR /repo, are those mounts.
assert_eq "the image works in /repo" "WORKDIR /repo" "$(grep '^WORKDIR /repo' "$T/df")"
for path in sql/contract.yaml grafana/dashboards; do
    assert_contains "the doctor's default $path is under a mount" "$("$BIN" --help)" "$path"
done
ep=$(jq -r '.service.entrypoint | join(" ")' <<<"$svc")
# shellcheck disable=SC2016 # compose's own ${...}, literally
assert_eq "doctor: reads /repo/.env and the INVENTORY_DIR inventory" \
    '/usr/local/bin/doctor --env-file /repo/.env --inventory /repo/${INVENTORY_DIR:-inventory}/servers.txt' "$ep"
for v in PROMETHEUS:prometheus:9090 ALERTMANAGER:alertmanager:9093 GRAFANA:grafana:3000; do
    name=${v%%:*} target=${v#*:}
    assert_eq "doctor: DOCTOR_${name}_URL is the compose service ${target%%:*}" "\"http://$target\"" \
        "$(sv ".service.environment.DOCTOR_${name}_URL")"
    assert_contains "doctor: compose has the service ${target%%:*}" "$(sv .services)" "\"${target%%:*}\""
    assert_contains "the doctor honours DOCTOR_${name}_URL" "$("$BIN" --help)" "DOCTOR_${name}_URL"
done

# The entrypoint's arguments, mapped to a /repo-like directory, on this build.
mkdir -p "$T/repo/inventory/test-vps"
cp inventory/servers.txt "$T/repo/inventory/"
cp inventory/test-vps/servers.txt "$T/repo/inventory/test-vps/"
cp .env.example "$T/repo/.env" && chmod 600 "$T/repo/.env"
for dir in inventory inventory/test-vps; do
    mapfile -t args < <(jq -r '.service.entrypoint[1:][]' <<<"$svc" |
        sed -e "s|/repo/|$T/repo/|" -e "s|\${INVENTORY_DIR:-inventory}|$dir|")
    out=$("$BIN" "${args[@]}" --only env 2>&1)
    assert_contains "the entrypoint's arguments work (INVENTORY_DIR=$dir): .env read" "$out" "$T/repo/.env"
    assert_not_contains "the entrypoint's arguments work (INVENTORY_DIR=$dir): no usage error" "$out" "--help"
done

# --- Supabase: the session pooler is the default path ------------------------------------------
assert_contains ".env.example: SUPABASE_DB_HOST is the session pooler (IPv4)" "$(grep '^SUPABASE_DB_HOST=' .env.example)" \
    ".pooler.supabase.com"
assert_contains ".env.example: the pooler's user names carry the project ref" "$(grep '^SUPABASE_GRAFANA_USER=' .env.example)" \
    "grafana_readonly.<project-ref>"
assert_not_contains ".env.example: never the transaction pooler" "$(grep '^SUPABASE_DB_PORT=' .env.example)" "6543"
step4=$(sed -n '/^4\. \*\*Check\*\*/,/^5\. /p' README.md)
assert_contains "README step 4 runs the doctor as the compose service, in the deploy's compose project" "$step4" "docker compose -p monitoring run --rm doctor"
echo "# duration: $((SECONDS - START)) s"
finish
