#!/usr/bin/env bash
# build/doctor, group smtp, against local/smtp-sink.py (a real SMTP server)
# offering STARTTLS with a test certificate and requiring AUTH, like
# Mailgun's submission port; and against the loopback stack's sink, which
# offers neither. The doctor must authenticate without sending any mail.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
. "$REPO/tests/fixtures/doctor/lib.sh"

USER_NAME=postmaster@mg.ecotrans.test
PASSWORD=test-only-smtp-password-0001
make_certs "$DT/tls" || { not_ok "test certificates" "openssl failed"; finish; }
printf '%s\n' "$PASSWORD" >"$DT/smtp-password"
SP=$(dport 625)
start_daemon "$DT/pids" sink "$DT/sink.log" "$PY3" "$REPO/local/smtp-sink.py" \
    --listen "127.0.0.1:$SP" --maildir "$DT/mail" --auth-user "$USER_NAME" \
    --auth-password-file "$DT/smtp-password" --tls-cert "$DT/tls/server.crt" --tls-key "$DT/tls/server.key"
check "the SMTP sink (STARTTLS + AUTH) starts" started sink "$SP" 20

smtpenv() {
    local f=$1
    shift
    write_env "$f" "SMTP_HOST=localhost" "SMTP_PORT=$SP" "SMTP_USER=$USER_NAME" \
        "SMTP_PASSWORD=$PASSWORD" "$@"
}

smtpenv "$DT/good.env"
run_doctor --env-file "$DT/good.env" --only smtp --cacert "$DT/tls/ca.crt"
assert_rc "good SMTP settings pass (exit 0)" 0
assert_check "the server answers" "✓" smtp.connect "localhost:$SP answered: 220 localhost Python SMTP 1.4.3"
assert_status "STARTTLS is negotiated" "✓" smtp.starttls
assert_contains "the TLS version is shown" "$OUT" "STARTTLS negotiated: TLSv1."
assert_check "AUTH succeeds without mail" "✓" smtp.auth \
    "AUTH PLAIN accepted for $USER_NAME; no mail sent (the session ended with NOOP, QUIT)"
assert_eq "no message reached the sink" 0 "$(find "$DT/mail" -name '*.eml' | wc -l)"
assert_not_contains "the password is never printed" "$OUT" "$PASSWORD"

# Wrong password: the server's refusal is reported.
smtpenv "$DT/wrong.env" "SMTP_PASSWORD=test-only-wrong-password-0001"
run_doctor --env-file "$DT/wrong.env" --only smtp --cacert "$DT/tls/ca.crt" --timeout 5
assert_rc "a wrong password fails" 1
assert_check "a wrong password is rejected by the server" "✗" smtp.auth \
    "AUTH PLAIN rejected for $USER_NAME: 535 5.7.8 Authentication credentials invalid" \
    "check SMTP_USER and SMTP_PASSWORD (Mailgun: Sending > Domain settings > SMTP credentials; EU domains authenticate only at smtp.eu.mailgun.org)"
assert_not_contains "the wrong password is not printed either" "$OUT" "test-only-wrong-password"

# The certificate must be trusted: no --cacert, the test CA is unknown.
run_doctor --env-file "$DT/good.env" --only smtp
assert_check "an untrusted certificate fails STARTTLS" "✗" smtp.starttls \
    "TLS with localhost:$SP failed: the TLS certificate is not trusted or does not match the name (SSL certificate problem: unable to get local issuer certificate)" \
    "SMTP_HOST must be the name on the provider's certificate (e.g. smtp.eu.mailgun.org)"
assert_check "no AUTH without TLS" "—" smtp.auth "AUTH is only tried over TLS (see smtp.starttls)"

# A server without STARTTLS (the stack's plain sink): the password is never sent.
if [ -n "${SMTP_MAILDIR:-}" ] && [ -n "${SMTP_PORT:-}" ]; then
    before=$(find "$SMTP_MAILDIR" -name '*.eml' 2>/dev/null | wc -l)
    write_env "$DT/plain.env" "SMTP_HOST=127.0.0.1" "SMTP_PORT=$SMTP_PORT" "SMTP_USER=$USER_NAME" \
        "SMTP_PASSWORD=$PASSWORD"
    run_doctor --env-file "$DT/plain.env" --only smtp
    assert_check "a server without STARTTLS fails" "✗" smtp.starttls \
        "127.0.0.1:$SMTP_PORT does not offer STARTTLS: the password would cross the network in clear" \
        "use the provider's submission port with STARTTLS (SMTP_PORT=587) or TLS (465)"
    assert_check "and AUTH is not attempted" "—" smtp.auth "AUTH is only tried over TLS (see smtp.starttls)"
    assert_eq "the stack's sink got no mail from the doctor" "$before" \
        "$(find "$SMTP_MAILDIR" -name '*.eml' 2>/dev/null | wc -l)"
else
    not_ok "the loopback stack's SMTP sink is known (stack.env)" "SMTP_PORT/SMTP_MAILDIR unset"
fi

# Nothing listening.
closed=$(dport 697)
smtpenv "$DT/closed.env" "SMTP_HOST=127.0.0.1" "SMTP_PORT=$closed"
run_doctor --env-file "$DT/closed.env" --only smtp
assert_rc "an unreachable server fails" 1
assert_contains "an unreachable server is reported" "$OUT" \
    "$(check_line "✗" smtp.connect "cannot talk to 127.0.0.1:$closed: connection refused or no route (")"
assert_line "with a fix" "$OUT" \
    "$(fix_line "outbound port blocked? check the provider's firewall; Mailgun also listens on 587, 465 and 2525")"

# Port 25 is refused by the format check; the group itself names the problem.
smtpenv "$DT/nopw.env" "SMTP_PASSWORD="
run_doctor --env-file "$DT/nopw.env" --only smtp
assert_check "an empty password is named" "✗" smtp.connect \
    "cannot check: SMTP_PASSWORD is empty in $DT/nopw.env" \
    "fill these variables in the .env (see .env.example), then run again"

finish
