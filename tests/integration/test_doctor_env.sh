#!/usr/bin/env bash
# build/doctor, group env and the command line: a good .env passes, a
# broken one fails with these exact messages, secrets never appear, and
# the doctor's variable list matches .env.example.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
. "$REPO/tests/fixtures/doctor/lib.sh"

# --- command line -----------------------------------------------------------
run_doctor --version
assert_eq "--version prints the version" "doctor $(cat "$REPO/VERSION")" "$OUT"
run_doctor --help
assert_rc "--help exits 0" 0
assert_contains "--help lists the groups" "$OUT" "--only GROUP[,GROUP]"
run_doctor --frobnicate
assert_rc "an unknown option exits 2" 2
assert_eq "an unknown option is named" "doctor: unknown option: --frobnicate" "$OUT"
run_doctor --only env,bogus
assert_rc "an unknown group exits 2" 2
assert_eq "an unknown group is named" \
    "doctor: --only: unknown group 'bogus' (groups: env, s3, smtp, supabase, targets, dns, stack, watcher)" "$OUT"

# --- a good .env --------------------------------------------------------------
GOOD=$DT/good.env
cp "$FIX/good.env" "$GOOD"
chmod 600 "$GOOD"
run_doctor --env-file "$GOOD" --only env
assert_rc "a good .env passes (exit 0)" 0
assert_check "good: file read" "✓" env.file "$GOOD: 31 variables read"
assert_check "good: mode 600" "✓" env.permissions "$GOOD has mode 0600"
assert_check "good: required set" "✓" env.required "all 26 required variables are set"
assert_check "good: no placeholder" "✓" env.placeholders "no placeholder values"
assert_check "good: formats" "✓" env.format "30 variables well formed and consistent"
assert_line "good: summary" "$OUT" "5 passed, 0 failed, 0 skipped"
assert_not_contains "good: only the env group ran" "$OUT" "s3."

# REPORT_TZ and REPORT_TIME are optional, as in compose.yaml (${VAR:-}: the
# daily report's defaults): a .env without them, or with them empty, passes.
NOSCHED=$DT/no-schedule.env
grep -v '^REPORT_T' "$GOOD" >"$NOSCHED"
chmod 600 "$NOSCHED"
run_doctor --env-file "$NOSCHED" --only env
assert_rc "a .env without REPORT_TZ and REPORT_TIME passes (exit 0)" 0
assert_check "... they are not required" "✓" env.required "all 26 required variables are set"
assert_check "... and the rest is well formed" "✓" env.format "28 variables well formed and consistent"
printf 'REPORT_TZ=\nREPORT_TIME=\n' >>"$NOSCHED"
run_doctor --env-file "$NOSCHED" --only env
assert_rc "a .env with REPORT_TZ= and REPORT_TIME= empty passes too (exit 0)" 0

chmod 640 "$GOOD"
run_doctor --env-file "$GOOD" --only env
assert_rc "mode 640 fails (exit 1)" 1
assert_check "mode 640 is reported with the fix" "✗" env.permissions \
    "$GOOD has mode 0640: other users on this machine can read its secrets (must be 600)" \
    "chmod 600 $GOOD"
run_doctor --env-file "$GOOD" --only env --skip env.permissions
assert_rc "--skip env.permissions makes it pass" 0
assert_check "--skip shows the check as skipped" "—" env.permissions "skipped by --skip"
chmod 400 "$GOOD"
run_doctor --env-file "$GOOD" --only env
assert_check "mode 400 (stricter) passes" "✓" env.permissions "$GOOD has mode 0400"
chmod 600 "$GOOD"

# --- a broken .env: every kind of mistake, exact messages -----------------------
BAD=$DT/broken.env
cp "$FIX/broken.env" "$BAD"
chmod 644 "$BAD"
run_doctor --env-file "$BAD" --only env
assert_rc "a broken .env fails (exit 1)" 1
assert_check "broken: unparsable lines by number" "✗" env.file \
    "$BAD: 2 line(s) not understood: line 19: expected KEY=VALUE (a name of letters, digits and _, then =); line 28: unterminated double quote" \
    "write each variable as KEY=VALUE on its own line; quote values with spaces or # in single quotes"
assert_check "broken: mode 644" "✗" env.permissions \
    "$BAD has mode 0644: other users on this machine can read its secrets (must be 600)" "chmod 600 $BAD"
assert_check "broken: missing and empty variables" "✗" env.required \
    "missing: WASABI_SECRET_KEY, SUPABASE_GRAFANA_PASSWORD; empty: SMTP_USER" \
    "set them in the .env (see .env.example)"
assert_check "broken: placeholders (a secret's pattern unsaid)" "✗" env.placeholders \
    "placeholder values left: SMTP_PASSWORD (a placeholder), SERVER_F_PUBLIC_IP (documentation address (RFC 5737)), SUPABASE_URL (<...>)" \
    "replace them with the real values"
assert_check "broken: \$ in a password, and too short; value not shown" "✗" env.format.GRAFANA_ADMIN_PASSWORD \
    "GRAFANA_ADMIN_PASSWORD contains '\$', which docker compose expands as a variable (the value would change); GRAFANA_ADMIN_PASSWORD is 8 characters long; use 16 or more random characters" \
    "put the value in single quotes: GRAFANA_ADMIN_PASSWORD='...'; generate one: openssl rand -base64 24 (Grafana applies it at its first start only; to change it later: docker compose up -d config-init && docker compose exec -T grafana sh -c 'grafana cli admin reset-admin-password --password-from-stdin < /run/monitoring/admin_password')"
assert_check "broken: duplicate key" "✗" env.format.ALERT_EMAIL_TO \
    "ALERT_EMAIL_TO is set twice (lines 13 and 14); the last one wins" "keep one definition"
assert_check "broken: label with a space" "✗" env.format.MONITORING_CLUSTER \
    "MONITORING_CLUSTER=ecotrans prod may only contain letters, digits, - and _" \
    "e.g. MONITORING_CLUSTER=ecotrans-prod"
assert_check "broken: port" "✗" env.format.SMTP_PORT "SMTP_PORT=58x is not a port number (1-65535)" \
    "SMTP_PORT=587 (STARTTLS) or 465 (TLS)"
assert_check "broken: sender" "✗" env.format.SMTP_FROM \
    "SMTP_FROM=monitoring is not an email address (name@domain or Name <name@domain>)" \
    "e.g. SMTP_FROM=monitoring@mg.ecotrans.eu"
assert_check "broken: time zone" "✗" env.format.REPORT_TZ \
    "REPORT_TZ=Europe/Pariss is not a time zone: neither a zone of /usr/share/zoneinfo (is tzdata installed?) nor a POSIX TZ string" \
    "empty for the daily report's default (Europe/Paris), or e.g. REPORT_TZ=UTC"
assert_check "broken: report time" "✗" env.format.REPORT_TIME "REPORT_TIME=8am is not a time of day HH:MM between 00:00 and 23:59" \
    "empty for the daily report's default (08:00), or e.g. REPORT_TIME=07:30"
assert_check "broken: bucket name" "✗" env.format.WASABI_BUCKET \
    "WASABI_BUCKET=Ecotrans_Monitoring is not a valid bucket name (3-63 of a-z 0-9 . -)" \
    "e.g. WASABI_BUCKET=ecotrans-monitoring"
assert_check "broken: endpoint with a scheme" "✗" env.format.WASABI_ENDPOINT \
    "WASABI_ENDPOINT=https://s3.eu-central-1.wasabisys.com must be host[:port] without a scheme (Thanos adds https)" \
    "e.g. WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com"
assert_check "broken: transaction pooler port" "✗" env.format.SUPABASE_DB_PORT \
    "SUPABASE_DB_PORT=6543 is the transaction pooler, which breaks prepared statements and session settings; use 5432" \
    "SUPABASE_DB_PORT=5432"
assert_check "broken: sslmode" "✗" env.format.SUPABASE_SSLMODE \
    "SUPABASE_SSLMODE=disable must be require, verify-ca or verify-full (the connection leaves this server)" \
    "SUPABASE_SSLMODE=verify-full (with SUPABASE_CA_CERT), or require"
assert_check "broken: DSN fields and pooler suffix; DSN not shown" "✗" env.format.QUEUE_EXPORTER_DSN \
    "QUEUE_EXPORTER_DSN lacks dbname, sslmode; QUEUE_EXPORTER_DSN: user queue_exporter has no .<project-ref> suffix, which the session pooler needs to find the project" \
    "host=<db host> port=5432 dbname=postgres user=queue_exporter password=... sslmode=require; use user queue_exporter.<project-ref> with the pooler"
assert_check "broken: pooler user without suffix" "✗" env.format.SUPABASE_GRAFANA_USER \
    "SUPABASE_GRAFANA_USER: user grafana_readonly has no .<project-ref> suffix, which the session pooler needs to find the project" \
    "use user grafana_readonly.<project-ref> with the pooler"
assert_line "broken: summary" "$OUT" "0 passed, 17 failed, 0 skipped"
# shellcheck disable=SC2016 # a literal '$' is the point
for secret in 'sh$rt-pw' changeme test-only-exporter-pw-0001 half-quoted-secret-0001; do
    assert_not_contains "broken: secret value '$secret' is never printed" "$OUT" "$secret"
done

# The same as JSON, for machines.
run_doctor --env-file "$BAD" --only env --json
assert_rc "--json: exit status is the same" 1
check "--json: one valid JSON document" jq -e . <<<"$OUT"
assert_eq "--json: ok is false" false "$(jq -r .ok <<<"$OUT")"
assert_eq "--json: failed count" 17 "$(jq -r .summary.failed <<<"$OUT")"
assert_eq "--json: a check's detail" "SMTP_PORT=58x is not a port number (1-65535)" \
    "$(jq -r '.checks[] | select(.id == "env.format.SMTP_PORT") | .detail' <<<"$OUT")"
assert_eq "--json: a check's fix" "SMTP_PORT=587 (STARTTLS) or 465 (TLS)" \
    "$(jq -r '.checks[] | select(.id == "env.format.SMTP_PORT") | .fix' <<<"$OUT")"
assert_eq "--json: group and status" "env fail" \
    "$(jq -r '.checks[] | select(.id == "env.permissions") | "\(.group) \(.status)"' <<<"$OUT")"
assert_eq "--json: check ids are unique" "" "$(jq -r '.checks[].id' <<<"$OUT" | sort | uniq -d)"
assert_not_contains "--json: no secret" "$OUT" "test-only-exporter-pw-0001"

# --- the redactor: a secret copied into a printed value is masked ----------
LEAK=$DT/leak.env
sed -e 's/^MONITORING_CLUSTER=.*/MONITORING_CLUSTER="test-only-smtp-password-0001 x"/' "$FIX/good.env" >"$LEAK"
chmod 600 "$LEAK"
run_doctor --env-file "$LEAK" --only env
assert_check "a secret inside another variable's value is masked" "✗" env.format.MONITORING_CLUSTER \
    "MONITORING_CLUSTER=*** x may only contain letters, digits, - and _" "e.g. MONITORING_CLUSTER=ecotrans-prod"
assert_not_contains "the SMTP password does not appear" "$OUT" "test-only-smtp-password-0001"

# --- no .env -------------------------------------------------------------------
run_doctor --env-file "$DT/absent.env" --only env
assert_rc "a missing .env fails" 1
assert_check "a missing .env is named, with the fix" "✗" env.file \
    "cannot read $DT/absent.env: No such file or directory" \
    "cp .env.example $DT/absent.env, fill it in and chmod 600 it (or pass --env-file)"
assert_check "the other env checks are skipped with why" "—" env.required "no .env to check"

# --- .env.example and the doctor agree -------------------------------------------
# Every variable of .env.example is known to the doctor, and every variable
# the doctor knows is in .env.example.
example_keys=$(grep -oE '^[A-Z][A-Z0-9_]*=' "$REPO/.env.example" | tr -d = | sort -u)
spec_keys=$(grep -oE '^    \{"[A-Z][A-Z0-9_]*", ENV_' "$REPO/src/doctor/envspec.c" | grep -oE '[A-Z][A-Z0-9_]+' | grep -v '^ENV_' | sort -u)
assert_eq "the doctor checks exactly the variables of .env.example" "$example_keys" "$spec_keys"
EX=$DT/example.env
cp "$REPO/.env.example" "$EX"
chmod 600 "$EX"
run_doctor --env-file "$EX" --only env
assert_check "every value .env.example fills in is well formed" "✓" env.format \
    "$(grep -E '^[A-Z][A-Z0-9_]*=[^ #]' "$REPO/.env.example" | grep -vc '<') variables well formed and consistent"
spec_required=$(grep -oE '^    \{"[A-Z][A-Z0-9_]*", ENV_REQUIRED' "$REPO/src/doctor/envspec.c" | grep -oE '"[A-Z0-9_]+"' | tr -d '"')
empty_required=$(grep -E '^[A-Z][A-Z0-9_]*=( |$)' "$REPO/.env.example" | cut -d= -f1 | grep -xF "$spec_required" | paste -sd, | sed 's/,/, /g')
assert_check "the empty variables of .env.example are the ones reported" "✗" env.required \
    "empty: $empty_required" "set them in the .env (see .env.example)"

# --- the stack group without --only: nothing running is a skip, not a failure --
closed=$(dport 698)
DOCTOR_PROMETHEUS_URL=http://127.0.0.1:$closed run_doctor --env-file "$GOOD" --skip s3,smtp,supabase,targets,dns
assert_rc "before deploy (no stack), the default run passes" 0
assert_check "the stack group is skipped with why" "—" stack \
    "no stack running here (nothing answers at http://127.0.0.1:$closed); \`doctor --only stack\` checks it anyway"
assert_check "--skip GROUP skips the group" "—" s3 "skipped by --skip"
DOCTOR_PROMETHEUS_URL=http://127.0.0.1:$closed run_doctor --env-file "$GOOD" --only stack --skip stack.caddy-cert \
    --alertmanager-url '' --grafana-url ''
assert_rc "--only stack with nothing running fails" 1
assert_status "--only stack: Prometheus not ready is a failure" "✗" stack.prometheus-ready

finish
