#!/usr/bin/env bash
# Deploys this repository to /opt/monitoring on the test VPS or on Server F
# over SSH: the files git tracks, plus .env (mode 600), as a new release in
# /opt/monitoring/releases/<id>. The target validates that release with each
# component's own tool run from the images (compose config, the config
# renderer, promtool, amtool, caddy validate, and the doctor's dashboard
# renderer: a dashboard whose SQL is not what sql/contract.yaml gives is
# refused, named, with the command that re-renders it) before anything
# running is touched; then one rename points /opt/monitoring/current at it, `docker
# compose up -d` re-creates exactly the services whose environment or mounted
# files changed, and the deploy waits until the stack is healthy. A stack
# that is not healthy in time is rolled back to the previous release
# automatically (scripts/lib/deploy-remote.sh). Same files for both targets:
# no test variants. See docs/hosts.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

usage() {
    cat <<EOF
Usage: $0 --test-vps [options]
       $0 --host HOST --user USER --key PRIVATE_KEY [options]

Target:
  --test-vps          the test VPS from .env.local (TEST_VPS_HOST, TEST_VPS_USER,
                      TEST_VPS_SSH_KEY = path to the private key, optional
                      TEST_VPS_SSH_PORT). The key may instead come from
                      VPS_MONITORING_SSH_KEY (.env.local or the environment;
                      TEST_VPS_SSH_KEY too): a path, or the private key itself
  --host HOST         production (Server F); env DEPLOY_HOST
  --user USER         SSH user, the admin of provision-server.sh; env DEPLOY_USER
  --key FILE          SSH private key; env DEPLOY_SSH_KEY
  --port N            SSH port (default 22); env DEPLOY_SSH_PORT
Options:
  --env-file FILE     the .env to upload (default: .env of the repository)
  --env-local FILE    where --test-vps reads its settings (default: .env.local)
  --remote-dir DIR    deployment directory (default /opt/monitoring)
  --source DIR        the git checkout to deploy (default: this repository)
  --health-timeout N  seconds the new stack has to become healthy before the
                      deploy rolls back to the previous release (default 300;
                      0 skips the wait); env DEPLOY_HEALTH_TIMEOUT
  --dry-run           print every action, connect to nothing
  -h, --help          this text
EOF
}

SOURCE=$(cd "$HERE/.." && pwd)
TEST_VPS=0
HOST=${DEPLOY_HOST:-}
SSH_USER=${DEPLOY_USER:-}
KEY=${DEPLOY_SSH_KEY:-}
PORT=${DEPLOY_SSH_PORT:-}
ENV_FILE=
ENV_LOCAL=
REMOTE_DIR=/opt/monitoring
HEALTH_TIMEOUT=${DEPLOY_HEALTH_TIMEOUT:-300}
while [ $# -gt 0 ]; do
    case $1 in
    --test-vps) TEST_VPS=1; shift ;;
    --host) need_arg "$1" "${2:-}"; HOST=$2; shift 2 ;;
    --user) need_arg "$1" "${2:-}"; SSH_USER=$2; shift 2 ;;
    --key) need_arg "$1" "${2:-}"; KEY=$2; shift 2 ;;
    --port) need_arg "$1" "${2:-}"; PORT=$2; shift 2 ;;
    --env-file) need_arg "$1" "${2:-}"; ENV_FILE=$2; shift 2 ;;
    --env-local) need_arg "$1" "${2:-}"; ENV_LOCAL=$2; shift 2 ;;
    --remote-dir) need_arg "$1" "${2:-}"; REMOTE_DIR=$2; shift 2 ;;
    --source) need_arg "$1" "${2:-}"; SOURCE=$(cd "$2" 2>/dev/null && pwd) || usage_error "--source $2: no such directory"; shift 2 ;;
    --health-timeout) need_arg "$1" "${2:-}"; HEALTH_TIMEOUT=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
    esac
done
ENV_FILE=${ENV_FILE:-$SOURCE/.env}
ENV_LOCAL=${ENV_LOCAL:-$SOURCE/.env.local}

# env_local_get KEY: the value of KEY in .env.local, read as data (the file
# is never executed), surrounding quotes removed.
env_local_get() {
    local line val=''
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=(.*)$ ]] || continue
        val=${BASH_REMATCH[2]}
        val=${val#"${val%%[![:space:]]*}"}
        val=${val%"${val##*[![:space:]]}"}
        if [[ $val =~ ^\"(.*)\"$ || $val =~ ^\'(.*)\'$ ]]; then val=${BASH_REMATCH[1]}; fi
    done <"$ENV_LOCAL"
    printf '%s' "$val"
}

# --- the target ---------------------------------------------------------------------
if [ "$TEST_VPS" = 1 ]; then
    [ -f "$ENV_LOCAL" ] || die "$ENV_LOCAL not found: --test-vps reads the test VPS from it. Create it (it is gitignored) with:
    TEST_VPS_HOST=<ip or name of the test VPS>
    TEST_VPS_USER=<the admin user, e.g. claude-admin>
    TEST_VPS_SSH_KEY=<path to the private key, e.g. ~/.ssh/monitoring_test>"
    for var in TEST_VPS_HOST TEST_VPS_USER; do
        [ -n "$(env_local_get $var)" ] || die "$ENV_LOCAL does not set $var (needed by --test-vps)"
    done
    HOST=$(env_local_get TEST_VPS_HOST)
    SSH_USER=$(env_local_get TEST_VPS_USER)
    # The key: .env.local first, then the operator's environment (where the
    # plan keeps it), TEST_VPS_SSH_KEY before VPS_MONITORING_SSH_KEY.
    KEY='' KEY_VAR=''
    for var in TEST_VPS_SSH_KEY VPS_MONITORING_SSH_KEY; do
        [ -z "$KEY" ] && [ -n "$(env_local_get $var)" ] && { KEY=$(env_local_get $var); KEY_VAR="$var in $ENV_LOCAL"; }
    done
    for var in TEST_VPS_SSH_KEY VPS_MONITORING_SSH_KEY; do
        [ -z "$KEY" ] && [ -n "${!var:-}" ] && { KEY=${!var}; KEY_VAR="$var in the environment"; }
    done
    [ -n "$KEY" ] || die "$ENV_LOCAL does not set TEST_VPS_SSH_KEY (needed by --test-vps), and neither TEST_VPS_SSH_KEY nor VPS_MONITORING_SSH_KEY is in the environment"
    if [[ $KEY == "-----BEGIN "* ]]; then
        # The private key itself: into a 600 file of this run's own
        # directory (removed at exit), never onto a command line.
        make_workdir
        (umask 077 && printf '%s\n' "$KEY" >"$WORKDIR/test-vps.key")
        KEY=$WORKDIR/test-vps.key
        KEY_VAR="$KEY_VAR (the key itself)"
    fi
    [ -n "$(env_local_get TEST_VPS_SSH_PORT)" ] && PORT=$(env_local_get TEST_VPS_SSH_PORT)
else
    [ -n "$HOST$SSH_USER$KEY" ] || usage_error "choose a target: --test-vps (settings from .env.local) or --host/--user/--key (production)"
    [ -n "$HOST" ] || usage_error "--host (or DEPLOY_HOST) is missing"
    [ -n "$SSH_USER" ] || usage_error "--user (or DEPLOY_USER) is missing"
    [ -n "$KEY" ] || usage_error "--key (or DEPLOY_SSH_KEY) is missing: the path to the SSH private key"
    KEY_VAR="--key"
fi
PORT=${PORT:-22}
[[ $HOST =~ ^[A-Za-z0-9][A-Za-z0-9.:-]*$ ]] || die "target host '$HOST' is not a host name or IP address"
[[ $SSH_USER =~ ^[a-z_][a-z0-9_-]*$ ]] || die "SSH user '$SSH_USER' is not a valid user name"
valid_port "$PORT" || die "SSH port '$PORT' is not a port number"
[[ $HEALTH_TIMEOUT =~ ^[0-9]+$ ]] || usage_error "--health-timeout '$HEALTH_TIMEOUT' is not a number of seconds"
[[ $REMOTE_DIR =~ ^/[A-Za-z0-9._/-]+$ && $REMOTE_DIR != / ]] || usage_error "--remote-dir '$REMOTE_DIR' must be an absolute path"
# A literal "~/" from .env.local means the home directory.
# shellcheck disable=SC2088
case $KEY in "~/"*) KEY=$HOME/${KEY#"~/"} ;; esac
[ -f "$KEY" ] || die "SSH key $KEY ($KEY_VAR): no such file"
[ -r "$KEY" ] || die "SSH key $KEY ($KEY_VAR): not readable by $(id -un)"
# ssh ignores a private key that others can read; say so before it does.
if [ $((8#$(stat -c '%a' "$KEY") & 8#077)) -ne 0 ]; then
    die "SSH key $KEY is readable by other users (mode $(stat -c '%a' "$KEY")): chmod 600 $KEY"
fi
[ -f "$ENV_FILE" ] || die "$ENV_FILE not found: copy .env.example to .env and fill it in (it is uploaded with mode 600, never committed)"

# --- the release: what git tracks --------------------------------------------------------
git -C "$SOURCE" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    die "$SOURCE is not a git checkout: deploy ships the files git tracks"
for secret in .env .env.local; do
    if git -C "$SOURCE" ls-files --error-unmatch -- "$secret" >/dev/null 2>&1; then
        die "$secret is tracked by git in $SOURCE: secrets must never be committed (git rm --cached $secret)"
    fi
done
[ -n "$WORKDIR" ] || make_workdir
# Files deleted in the working tree but still in the index are skipped.
git -C "$SOURCE" ls-files -z | while IFS= read -r -d '' f; do
    if [ -e "$SOURCE/$f" ] || [ -L "$SOURCE/$f" ]; then printf '%s\0' "$f"; fi
done >"$WORKDIR/files"
NFILES=$(tr -cd '\0' <"$WORKDIR/files" | wc -c)
[ "$NFILES" -gt 0 ] || die "git tracks no files in $SOURCE"
git -C "$SOURCE" ls-files --others --exclude-standard >"$WORKDIR/untracked"
if [ -s "$WORKDIR/untracked" ]; then
    warn "not deployed, because git does not track them: $(head -5 "$WORKDIR/untracked" | tr '\n' ' ')$([ "$(wc -l <"$WORKDIR/untracked")" -gt 5 ] && echo '...')"
fi
REVISION=$(git -C "$SOURCE" describe --always --dirty --tags 2>/dev/null || echo unknown)

SSH=(ssh -i "$KEY" -p "$PORT" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=15
    -o ServerAliveInterval=15 -o StrictHostKeyChecking=accept-new
    -o ControlMaster=auto -o "ControlPath=$WORKDIR/cm" -o ControlPersist=120 "$SSH_USER@$HOST")
# One SSH connection for all steps; closed on exit.
close_master() {
    [ "$DRY_RUN" = 1 ] || "${SSH[@]:0:${#SSH[@]}-1}" -O exit "$SSH_USER@$HOST" >/dev/null 2>&1 || true
    rm -rf "$WORKDIR"
}
trap close_master EXIT
QDIR=$(printf '%q' "$REMOTE_DIR")
HELPER="$QDIR/.deploy/remote.sh"

# on_target DESC STDIN REMOTE_COMMAND: one step on the target.
on_target() {
    local desc=$1 input=$2 rcmd=$3
    step "$desc"
    if [ "$DRY_RUN" = 1 ]; then
        say "[dry-run] would run: $(quote_cmd "${SSH[@]}" "$rcmd")${input:+ < $input}"
        return 0
    fi
    "${SSH[@]}" "$rcmd" <"${input:-/dev/null}"
}

step "deploying $SOURCE ($REVISION, $NFILES files) to $SSH_USER@$HOST:$REMOTE_DIR"
on_target "checking the target" "$HERE/lib/deploy-remote.sh" "bash -s -- check $QDIR" ||
    die "the target is not ready (see above); nothing was changed"
on_target "installing the deploy helper" "$HERE/lib/deploy-remote.sh" \
    "mkdir -p $QDIR/.deploy && chmod 700 $QDIR/.deploy && cat > $HELPER" ||
    die "could not write $REMOTE_DIR/.deploy/remote.sh on the target"
step "uploading $NFILES files to the staging area"
if [ "$DRY_RUN" = 1 ]; then
    say "[dry-run] would run: tar -C $(quote_cmd "$SOURCE") --null --no-recursion -T <git ls-files> -czf - | $(quote_cmd "${SSH[@]}" "bash $HELPER receive $QDIR")"
else
    tar -C "$SOURCE" --null --no-recursion -T "$WORKDIR/files" -czf - |
        "${SSH[@]}" "bash $HELPER receive $QDIR" || die "upload to $HOST failed; nothing was switched"
fi
on_target "uploading .env (mode 600)" "$ENV_FILE" "bash $HELPER receive-env $QDIR" ||
    die "upload of .env failed; nothing was switched"
on_target "validating the configuration on the target" "" "bash $HELPER validate $QDIR" ||
    die "the target rejected the configuration (see above); nothing was switched, the running stack is unchanged"
on_target "switching to the new release" "" "DEPLOY_HEALTH_TIMEOUT=$HEALTH_TIMEOUT bash $HELPER switch $QDIR $(printf '%q' "$REVISION")" ||
    die "the new release did not come up healthy on the target (see above); it was rolled back to the previous release where there was one"

if [ "$DRY_RUN" = 1 ]; then
    say "$PROG: dry run: nothing was uploaded or changed"
else
    say "$PROG: deployed $REVISION to $SSH_USER@$HOST:$REMOTE_DIR"
fi
