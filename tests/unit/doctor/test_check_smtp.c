/* Group smtp: connect, STARTTLS and AUTH the way Alertmanager and the
 * daily report will, without sending mail. The server is a scripted SMTP
 * peer on 127.0.0.1 that this test runs; SMTP_TLS=none lets the AUTH step
 * be judged without a certificate (TLS itself is covered by the
 * integration test against the SMTP sink). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctorfix.h"
#include "smtpconf.h"

/* How the scripted server behaves. */
struct smtp_script {
    const char *greeting;  /* first line, e.g. "220 mx ESMTP" */
    const char *ehlo_caps; /* extra 250- lines after EHLO, each ending "\r\n" */
    const char *auth_reply;
    struct peer *p;
    char seen[4096]; /* commands received, one per line */
};

static void send_line(int c, const char *s)
{
    (void)!send(c, s, strlen(s), MSG_NOSIGNAL);
}

/* One SMTP session: answers line by line until QUIT or the client leaves. */
static void smtp_session_peer(struct smtp_script *s, int c)
{
    send_line(c, s->greeting);
    char buf[2048];
    size_t len = 0;
    bool awaiting_credentials = false;
    for (;;) {
        struct pollfd pf[2] = {{.fd = c, .events = POLLIN},
                               {.fd = s->p->stop_pipe[0], .events = POLLIN}};
        if (poll(pf, 2, 30000) <= 0 || pf[1].revents)
            return;
        ssize_t n = read(c, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = '\0';
        char *nl;
        while ((nl = strstr(buf, "\r\n")) != NULL) {
            *nl = '\0';
            strncat(s->seen, buf, sizeof(s->seen) - strlen(s->seen) - 2);
            strcat(s->seen, "\n");
            if (awaiting_credentials) {
                /* The base64 credentials of AUTH PLAIN without an initial
                 * response (RFC 4954). */
                awaiting_credentials = false;
                send_line(c, s->auth_reply);
            } else if (!strncasecmp(buf, "EHLO", 4)) {
                send_line(c, "250-mx.unit.test\r\n");
                send_line(c, s->ehlo_caps);
                send_line(c, "250 8BITMIME\r\n");
            } else if (!strncasecmp(buf, "AUTH", 4)) {
                awaiting_credentials = strchr(buf + 5, ' ') == NULL;
                send_line(c, awaiting_credentials ? "334 \r\n" : s->auth_reply);
            } else if (!strncasecmp(buf, "QUIT", 4)) {
                send_line(c, "221 bye\r\n");
                return;
            } else {
                send_line(c, "250 ok\r\n");
            }
            size_t used = (size_t)(nl + 2 - buf);
            memmove(buf, nl + 2, len - used + 1);
            len -= used;
        }
    }
}

static void *smtp_peer_main(void *arg)
{
    struct smtp_script *s = arg;
    struct pollfd pf[2] = {{.fd = s->p->fd, .events = POLLIN},
                           {.fd = s->p->stop_pipe[0], .events = POLLIN}};
    if (poll(pf, 2, -1) > 0 && !pf[1].revents) {
        int c = accept(s->p->fd, NULL, NULL);
        if (c >= 0) {
            smtp_session_peer(s, c);
            close(c);
        }
    }
    return NULL;
}

/* Starts the scripted server and runs the check with SMTP_TLS=tls_mode. */
static void run(struct fix *f, struct smtp_script *s, struct peer *p, const char *tls_mode)
{
    /* The generic peer's socket and stop pipe, with the SMTP thread. */
    peer_start(p, PEER_SILENT, "");
    (void)!write(p->stop_pipe[1], "x", 1);
    pthread_join(p->thread, NULL);
    close(p->stop_pipe[0]);
    close(p->stop_pipe[1]);
    assert_int_equal(pipe(p->stop_pipe), 0);
    s->p = p;
    assert_int_equal(pthread_create(&p->thread, NULL, smtp_peer_main, s), 0);
    char env[512];
    snprintf(env, sizeof(env),
             "SMTP_HOST=127.0.0.1\nSMTP_PORT=%d\nSMTP_USER=postmaster@mg.ecotrans.eu\n"
             "SMTP_PASSWORD=smtp-unit-secret-9f8e7d\nSMTP_TLS=%s\n",
             p->port, tls_mode);
    fix_init(f, env);
    doc_check_smtp(&f->d);
}

static void accepted_auth_passes_and_no_mail_is_sent(void **state)
{
    (void)state;
    struct smtp_script s = {.greeting = "220 mx.unit.test ESMTP ready\r\n",
                            .ehlo_caps = "250-AUTH PLAIN LOGIN\r\n",
                            .auth_reply = "235 2.7.0 Authentication successful\r\n"};
    struct peer p;
    struct fix f;
    run(&f, &s, &p, "none");
    peer_stop(&p);
    char want[128];
    snprintf(want, sizeof(want), "127.0.0.1:%d answered: 220 mx.unit.test ESMTP ready", p.port);
    assert_string_equal(fix_expect(&f, "smtp.connect", CHECK_PASS)->detail, want);
    assert_contains(fix_expect(&f, "smtp.starttls", CHECK_SKIP)->detail, "SMTP_TLS=none");
    assert_string_equal(fix_expect(&f, "smtp.auth", CHECK_PASS)->detail,
                        "AUTH PLAIN accepted for postmaster@mg.ecotrans.eu; no mail sent (the "
                        "session ended with NOOP, QUIT)");
    /* No mail transaction reached the server. */
    assert_null(strstr(s.seen, "MAIL FROM"));
    assert_null(strstr(s.seen, "RCPT TO"));
    assert_contains(s.seen, "NOOP");
    fix_free(&f);
}

static void rejected_auth_names_the_reply_never_the_password(void **state)
{
    (void)state;
    struct smtp_script s = {.greeting = "220 mx.unit.test ESMTP\r\n",
                            .ehlo_caps = "250-AUTH PLAIN\r\n",
                            .auth_reply = "535 5.7.0 Mailgun is not loving your login\r\n"};
    struct peer p;
    struct fix f;
    run(&f, &s, &p, "none");
    peer_stop(&p);
    const struct check_result *c = fix_expect(&f, "smtp.auth", CHECK_FAIL);
    assert_contains(c->detail, "AUTH PLAIN rejected for postmaster@mg.ecotrans.eu: 535");
    assert_contains(c->fix, "check SMTP_USER and SMTP_PASSWORD");
    char *json = doc_report_json(&f.rep, "x.env", "0");
    assert_null(strstr(json, "smtp-unit-secret"));
    free(json);
    fix_free(&f);
}

static void a_server_without_auth_is_caught(void **state)
{
    (void)state;
    struct smtp_script s = {
        .greeting = "220 relay ESMTP\r\n", .ehlo_caps = "250-SIZE 1000\r\n", .auth_reply = ""};
    struct peer p;
    struct fix f;
    run(&f, &s, &p, "none");
    peer_stop(&p);
    assert_contains(fix_expect(&f, "smtp.auth", CHECK_FAIL)->detail,
                    "offers no AUTH after TLS: SMTP_USER/SMTP_PASSWORD were not tested");
    fix_free(&f);
}

static void no_starttls_offered_means_a_clear_password_refused(void **state)
{
    (void)state;
    struct smtp_script s = {.greeting = "220 mx ESMTP\r\n",
                            .ehlo_caps = "250-AUTH PLAIN\r\n",
                            .auth_reply = "235 ok\r\n"};
    struct peer p;
    struct fix f;
    run(&f, &s, &p, "starttls");
    peer_stop(&p);
    fix_expect(&f, "smtp.connect", CHECK_PASS);
    const struct check_result *c = fix_expect(&f, "smtp.starttls", CHECK_FAIL);
    assert_contains(c->detail, "does not offer STARTTLS: the password would cross the network in "
                               "clear");
    assert_string_equal(fix_expect(&f, "smtp.auth", CHECK_SKIP)->detail,
                        "AUTH is only tried over TLS (see smtp.starttls)");
    /* The password was never sent. */
    assert_null(strstr(s.seen, "AUTH"));
    fix_free(&f);
}

static void a_refusing_greeting_stops_the_session(void **state)
{
    (void)state;
    struct smtp_script s = {
        .greeting = "554 5.7.1 no service for you\r\n", .ehlo_caps = "", .auth_reply = ""};
    struct peer p;
    struct fix f;
    run(&f, &s, &p, "none");
    peer_stop(&p);
    const struct check_result *c = fix_expect(&f, "smtp.connect", CHECK_FAIL);
    assert_contains(c->detail, "refused the session: 554 5.7.1 no service for you");
    assert_string_equal(c->fix, "check SMTP_HOST and SMTP_PORT");
    assert_string_equal(fix_expect(&f, "smtp.auth", CHECK_SKIP)->detail,
                        "no SMTP session (see smtp.connect)");
    fix_free(&f);
}

static void implicit_tls_against_a_plain_server_says_what_465_expects(void **state)
{
    (void)state;
    struct smtp_script s = {.greeting = "220 plain ESMTP\r\n", .ehlo_caps = "", .auth_reply = ""};
    struct peer p;
    struct fix f;
    run(&f, &s, &p, "tls");
    peer_stop(&p);
    const struct check_result *c = fix_expect(&f, "smtp.connect", CHECK_FAIL);
    assert_string_equal(c->fix, "port 465 expects TLS from the first byte; check SMTP_PORT (587 "
                                "for STARTTLS)");
    fix_free(&f);
}

static void nothing_listening_and_bad_inputs_are_named(void **state)
{
    (void)state;
    int hold;
    int port = refused_port(&hold);
    char env[256];
    snprintf(env, sizeof(env),
             "SMTP_HOST=127.0.0.1\nSMTP_PORT=%d\nSMTP_USER=u@x.eu\nSMTP_PASSWORD=pw-unit-1234\n",
             port);
    struct fix f;
    fix_init(&f, env);
    doc_check_smtp(&f.d);
    const struct check_result *c = fix_expect(&f, "smtp.connect", CHECK_FAIL);
    assert_contains(c->detail, "connection refused or no route");
    assert_contains(c->fix, "Mailgun also listens on 587, 465 and 2525");
    fix_free(&f);
    close(hold);

    fix_init(&f, "SMTP_HOST=smtp.eu.mailgun.org\nSMTP_PORT=5x7\nSMTP_USER=u@x.eu\n"
                 "SMTP_PASSWORD=pw-unit-1234\n");
    doc_check_smtp(&f.d);
    assert_string_equal(fix_expect(&f, "smtp.connect", CHECK_FAIL)->detail,
                        "cannot check: SMTP_PORT=5x7 is not a port number (1-65535)");
    fix_expect(&f, "smtp.starttls", CHECK_SKIP);
    fix_free(&f);
    fix_init(&f, "SMTP_HOST=smtp.eu.mailgun.org\nSMTP_PORT=587\nSMTP_USER=u@x.eu\n"
                 "SMTP_PASSWORD=pw-unit-1234\nSMTP_TLS=ssl\n");
    doc_check_smtp(&f.d);
    assert_string_equal(fix_expect(&f, "smtp.connect", CHECK_FAIL)->detail,
                        "cannot check: SMTP_TLS=ssl is not one of starttls, tls, none");
    fix_free(&f);
}

/* SMTP_PORT empty or absent (compose passes ${SMTP_PORT:-}): the session
 * goes where every sender goes, src/common/smtpconf.h's default port.
 * Whatever answers on 127.0.0.1 there, the checks name host:port. */
static void an_empty_port_is_the_senders_default(void **state)
{
    (void)state;
    static const struct {
        const char *env, *where;
    } cases[] = {
        {"SMTP_PORT=\n", "127.0.0.1:" SMTP_STR(SMTP_PORT_DEFAULT)},
        {"", "127.0.0.1:" SMTP_STR(SMTP_PORT_DEFAULT)},
        {"SMTP_PORT=\nSMTP_TLS=starttls\n", "127.0.0.1:" SMTP_STR(SMTP_PORT_DEFAULT)},
        {"SMTP_PORT=\nSMTP_TLS=tls\n", "127.0.0.1:" SMTP_STR(SMTP_PORT_DEFAULT_TLS)},
    };
    assert_int_equal(SMTP_PORT_DEFAULT, 587);
    assert_int_equal(SMTP_PORT_DEFAULT_TLS, 465);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char env[256];
        snprintf(env, sizeof(env),
                 "SMTP_HOST=127.0.0.1\nSMTP_USER=u@x.eu\nSMTP_PASSWORD=pw-unit-1234\n%s",
                 cases[i].env);
        struct fix f;
        fix_init(&f, env);
        f.opt.timeout = 5;
        doc_check_smtp(&f.d);
        const struct check_result *c = fix_find(&f, "smtp.connect");
        assert_non_null(c);
        assert_null(strstr(c->detail, "cannot check"));
        assert_contains(c->detail, cases[i].where);
        fix_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted_auth_passes_and_no_mail_is_sent),
        cmocka_unit_test(rejected_auth_names_the_reply_never_the_password),
        cmocka_unit_test(a_server_without_auth_is_caught),
        cmocka_unit_test(no_starttls_offered_means_a_clear_password_refused),
        cmocka_unit_test(a_refusing_greeting_stops_the_session),
        cmocka_unit_test(implicit_tls_against_a_plain_server_says_what_465_expects),
        cmocka_unit_test(nothing_listening_and_bad_inputs_are_named),
        cmocka_unit_test(an_empty_port_is_the_senders_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
