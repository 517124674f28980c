#!/usr/bin/env bash
# Alertmanager speaks to the SMTP server as SMTP_TLS says, for every mode,
# with the configuration config-init renders (scripts/render-config.sh
# compose derives the smarthost's port and smtp_require_tls from SMTP_TLS
# and SMTP_PORT). A real Alertmanager posts an alert to a real SMTP sink
# (local/smtp-sink.py) of each kind:
#   - SMTP_TLS=tls (port 465): a sink speaking TLS from the first byte, no
#     STARTTLS, AUTH: the mail arrives, encrypted from the first byte;
#     the same with smtp_require_tls forced to true (the value compose used
#     to fix) gets no mail through: Alertmanager demands STARTTLS inside the
#     TLS session, which an smtps server does not offer. That is why
#     config-init renders false for tls;
#   - SMTP_TLS=starttls: a sink offering STARTTLS and AUTH only after it;
#   - SMTP_TLS=none: a plain sink without TLS: the mail arrives (with true,
#     as before, Alertmanager refused it).
# Everything runs in a network namespace this test creates, so port 465
# (Alertmanager's implicit TLS depends on that very number) is the test's
# own; the loopback stack is not used.
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
. "$REPO/tests/lib.sh"

for bin in prometheus-alertmanager openssl curl ip; do
    command -v "$bin" >/dev/null || { not_ok "$bin is installed"; finish; }
done
[ "$(id -u)" = 0 ] || { not_ok "runs as root (creates a network namespace)"; finish; }

work=$(mktemp -d /tmp/alerts-smtp-tls.XXXXXX)
PIDS=$work/pids
NS=amtls$$
DAEMONS=()
cleanup() {
    for d in "${DAEMONS[@]}"; do stop_daemon "$PIDS" "$d"; done
    ip netns del "$NS" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$PIDS"
if ! ip netns add "$NS" || ! ip netns exec "$NS" ip link set lo up; then
    not_ok "create the network namespace $NS"
    finish
fi
in_ns() { ip netns exec "$NS" "$@"; }
# in_ns_port PORT: something listens on 127.0.0.1:PORT inside the namespace.
in_ns_port() { in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/smtp.key" -out "$work/smtp.crt" >/dev/null 2>&1 ||
    { not_ok "create a test certificate for the SMTP sinks"; finish; }
umask 077
smtp_secret=$(openssl rand -hex 16)
printf '%s' "$smtp_secret" >"$work/smtp_password"
umask 022

# sink NAME PORT [ARGS...]: an SMTP sink in the namespace, mail in $work/NAME.mail.
sink() {
    local name=$1 port=$2
    shift 2
    DAEMONS+=("sink-$name")
    start_daemon "$PIDS" "sink-$name" "$work/sink-$name.log" ip netns exec "$NS" "$PY3" "$REPO/local/smtp-sink.py" \
        --listen "127.0.0.1:$port" --maildir "$work/$name.mail" "$@"
}
auth=(--auth-user postmaster@mg.test --auth-password-file "$work/smtp_password")
tls=(--tls-cert "$work/smtp.crt" --tls-key "$work/smtp.key")
sink smtps 465 "${auth[@]}" "${tls[@]}" --implicit-tls
sink starttls 587 "${auth[@]}" "${tls[@]}"
sink plain 2525
if eventually 15 in_ns_port 465 && eventually 15 in_ns_port 587 && eventually 15 in_ns_port 2525; then
    ok "SMTP sinks up in the namespace: smtps on 465, STARTTLS on 587, plain on 2525"
else
    not_ok "SMTP sinks up in the namespace" "$(tail -n 5 "$work"/sink-*.log 2>&1)"
    finish
fi
# The smtps sink really is TLS from the first byte, without STARTTLS.
greeting=$(in_ns timeout 10 openssl s_client -connect 127.0.0.1:465 -quiet -verify_return_error \
    -CAfile "$work/smtp.crt" </dev/null 2>/dev/null | head -n 1)
assert_contains "the smtps sink greets inside TLS" "$greeting" "220 "

# render NAME VAR=VALUE...: alertmanager.yml as config-init renders it for
# SMTP_HOST=127.0.0.1, with the container's paths pointed at this test's files.
render() {
    local name=$1 out
    shift
    out=$(env -i PATH="$PATH" REPO_DIR="$REPO" RENDER_OUT="$work/$name.r" \
        SMTP_HOST=127.0.0.1 SMTP_USER=postmaster@mg.test SMTP_PASSWORD="$smtp_secret" \
        SMTP_FROM=alertmanager@mg.test ALERT_EMAIL_TO=ops@ecotrans.test GRAFANA_DOMAIN=grafana.test \
        WASABI_BUCKET=b WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com WASABI_REGION=eu-central-1 \
        GRAFANA_ADMIN_PASSWORD=x1 SUPABASE_GRAFANA_PASSWORD=x2 WASABI_ACCESS_KEY=x3 WASABI_SECRET_KEY=x4 \
        SUPABASE_DB_HOST=db.example.supabase.co QUEUE_EXPORTER_DSN="host=db.example.supabase.co password=x5" \
        WATCHDOG_RECEIVER=watchdog-off GROUP_WAIT=1s GROUP_INTERVAL=2s "$@" \
        sh "$REPO/scripts/render-config.sh" compose 2>&1) || { printf '%s\n' "$out"; return 1; }
    sed -e "s#/etc/alertmanager/rendered/#$work/$name.r/alertmanager/#" \
        -e "s#/etc/alertmanager/templates/#$REPO/alertmanager/templates/#" \
        "$work/$name.r/alertmanager/alertmanager.yml" >"$work/$name.yml"
}
# smtp_of NAME: "SMARTHOST REQUIRE_TLS" of the rendered file.
smtp_of() {
    sed -n "s/^  smtp_smarthost: '\(.*\)'$/\1/p; s/^  smtp_require_tls: //p" "$work/$1.yml" | paste -sd' '
}

# am NAME WEBPORT: an Alertmanager on the rendered NAME.yml in the namespace,
# trusting the sinks' certificate only; posts one critical alert.
am() {
    local name=$1 port=$2
    DAEMONS+=("am-$name")
    start_daemon "$PIDS" "am-$name" "$work/am-$name.log" ip netns exec "$NS" env SSL_CERT_FILE="$work/smtp.crt" \
        prometheus-alertmanager --config.file="$work/$name.yml" --storage.path="$work/am-$name.data" \
        --web.listen-address="127.0.0.1:$port" --cluster.listen-address=
    eventually 20 in_ns curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/-/ready" ||
        { not_ok "Alertmanager ($name) is up" "$(tail -n 5 "$work/am-$name.log")"; return 1; }
    in_ns curl -fsS -o /dev/null --max-time 10 -H 'Content-Type: application/json' \
        "http://127.0.0.1:$port/api/v2/alerts" -d "[{\"labels\": {\"alertname\": \"InstanceDown\",
        \"severity\": \"critical\", \"server\": \"B\", \"scope\": \"host\", \"case\": \"$name\"},
        \"annotations\": {\"summary\": \"Server B is down ($name)\"}}]" ||
        { not_ok "post an alert to Alertmanager ($name)"; return 1; }
}
mail_in() { compgen -G "$work/$1.mail/*.eml" >/dev/null; }

# ---- the three modes, as config-init renders them ---------------------------------------
render tls SMTP_TLS=tls SMTP_PORT= || not_ok "render SMTP_TLS=tls"
assert_eq "SMTP_TLS=tls: smarthost on 465, smtp_require_tls false" "127.0.0.1:465 false" "$(smtp_of tls)"
render starttls SMTP_TLS=starttls SMTP_PORT= || not_ok "render SMTP_TLS=starttls"
assert_eq "SMTP_TLS=starttls: smarthost on 587, smtp_require_tls true" "127.0.0.1:587 true" "$(smtp_of starttls)"
render none SMTP_TLS=none SMTP_PORT=2525 || not_ok "render SMTP_TLS=none"
assert_eq "SMTP_TLS=none SMTP_PORT=2525: smarthost on 2525, smtp_require_tls false" "127.0.0.1:2525 false" \
    "$(smtp_of none)"
# What compose fixed before: smtp_require_tls true whatever SMTP_TLS said.
sed 's/^  smtp_require_tls: false$/  smtp_require_tls: true/' "$work/tls.yml" >"$work/tls-req.yml"
sed 's/^  smtp_require_tls: false$/  smtp_require_tls: true/' "$work/none.yml" >"$work/none-req.yml"

am tls 9093 && am starttls 9094 && am none 9095 && am tls-req 9096 && am none-req 9097

if eventually 30 mail_in smtps; then
    ok "SMTP_TLS=tls: the mail arrives over TLS from the first byte (port 465, AUTH)"
    assert_contains "... it is the alert posted" "$(cat "$work"/smtps.mail/*.eml)" "Server B is down (tls)"
else
    not_ok "SMTP_TLS=tls: the mail arrives over TLS from the first byte" \
        "$(tail -n 5 "$work/am-tls.log" "$work/sink-smtps.log")"
fi
if eventually 30 mail_in starttls; then
    ok "SMTP_TLS=starttls: the mail arrives after STARTTLS (port 587, AUTH)"
else
    not_ok "SMTP_TLS=starttls: the mail arrives after STARTTLS" "$(tail -n 5 "$work/am-starttls.log")"
fi
if eventually 30 mail_in plain; then
    ok "SMTP_TLS=none: the mail arrives over plain SMTP"
    assert_contains "... it is the alert posted" "$(cat "$work"/plain.mail/*.eml)" "Server B is down (none)"
else
    not_ok "SMTP_TLS=none: the mail arrives over plain SMTP" "$(tail -n 5 "$work/am-none.log")"
fi
# With true, Alertmanager gives up at the missing STARTTLS, each time it tries.
refused() { grep -q "does not advertise the STARTTLS extension" "$work/am-$1.log"; }
if eventually 30 refused tls-req; then
    ok "smtp_require_tls true on 465 gets no mail through: Alertmanager demands STARTTLS inside TLS"
else
    not_ok "smtp_require_tls true on 465 gets no mail through" "$(tail -n 5 "$work/am-tls-req.log")"
fi
if eventually 30 refused none-req; then
    ok "smtp_require_tls true towards a plain server gets no mail through"
else
    not_ok "smtp_require_tls true towards a plain server gets no mail through" "$(tail -n 5 "$work/am-none-req.log")"
fi
assert_eq "... and neither mail reached a sink (one mail per sink, from its own case)" \
    "1 1" "$(find "$work/smtps.mail" -name '*.eml' | wc -l) $(find "$work/plain.mail" -name '*.eml' | wc -l)"
finish
