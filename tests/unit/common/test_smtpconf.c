/* src/common/smtpconf: the one SMTP TLS rule, the cleartext rule,
 * Alertmanager's port rule, mailboxes and recipient lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "smtpconf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void tls_mode_rule(void **state)
{
    (void)state;
    const struct {
        const char *mode;
        int port;
        enum smtp_tls want;
    } cases[] = {
        {NULL, 587, SMTP_TLS_STARTTLS},  {"", 465, SMTP_TLS_IMPLICIT},
        {NULL, 465, SMTP_TLS_IMPLICIT},  {NULL, 0, SMTP_TLS_STARTTLS},
        {NULL, 2525, SMTP_TLS_STARTTLS}, {"starttls", 465, SMTP_TLS_STARTTLS},
        {"tls", 587, SMTP_TLS_IMPLICIT}, {"none", 25, SMTP_TLS_NONE},
    };
    for (size_t i = 0; i < N(cases); i++) {
        enum smtp_tls t;
        assert_int_equal(smtp_tls_resolve(cases[i].mode, cases[i].port, &t), 0);
        assert_int_equal(t, cases[i].want);
    }
    enum smtp_tls t;
    const char *bad[] = {"ssl", "STARTTLS", "yes", "true", " tls"};
    for (size_t i = 0; i < N(bad); i++) {
        assert_int_equal(smtp_tls_resolve(bad[i], 587, &t), -1);
        struct strbuf why;
        sb_init(&why);
        assert_false(smtp_check_tls_mode(bad[i], &why));
        assert_string_equal(sb_str(&why), "is not one of starttls, tls, none");
        sb_free(&why);
    }
    assert_int_equal(smtp_tls_default_port(SMTP_TLS_IMPLICIT), 465);
    assert_int_equal(smtp_tls_default_port(SMTP_TLS_STARTTLS), 587);
    assert_string_equal(smtp_tls_name(SMTP_TLS_NONE), "none");
}

static void cleartext_only_to_this_machine(void **state)
{
    (void)state;
    struct strbuf why;
    sb_init(&why);
    assert_true(smtp_check_cleartext(SMTP_TLS_NONE, "127.0.0.1", true, &why));
    assert_true(smtp_check_cleartext(SMTP_TLS_NONE, "localhost", true, &why));
    assert_true(smtp_check_cleartext(SMTP_TLS_NONE, "smtp.example.eu", false, &why));
    assert_true(smtp_check_cleartext(SMTP_TLS_STARTTLS, "smtp.example.eu", true, &why));
    assert_int_equal(why.len, 0);
    assert_false(smtp_check_cleartext(SMTP_TLS_NONE, "smtp.example.eu", true, &why));
    assert_non_null(strstr(sb_str(&why), "SMTP_TLS=none would send SMTP_PASSWORD unencrypted"));
    sb_free(&why);
    assert_true(smtp_host_is_loopback("127.0.0.1"));
    assert_true(smtp_host_is_loopback("127.255.0.9"));
    assert_true(smtp_host_is_loopback("::1"));
    assert_false(smtp_host_is_loopback("smtp.eu.mailgun.org"));
    assert_false(smtp_host_is_loopback("127.evil.example")); /* a DNS name, not 127/8 */
    assert_false(smtp_host_is_loopback("128.0.0.1"));
}

/* Alertmanager picks TLS by the port (465: TLS from the first byte, else
 * STARTTLS or plain): every combination both senders honour alike passes,
 * the others are refused naming both variables and the fix. */
static void alertmanager_port_rule(void **state)
{
    (void)state;
    const struct {
        const char *mode;
        const char *port; /* SMTP_PORT as in .env; NULL: unset */
        const char *why;  /* NULL: accepted */
    } cases[] = {
        {NULL, NULL, NULL},
        {NULL, "465", NULL},
        {NULL, "2525", NULL},
        {"starttls", NULL, NULL},
        {"starttls", "2525", NULL},
        {"tls", NULL, NULL},
        {"tls", "465", NULL},
        {"none", NULL, NULL},
        {"none", "25", NULL},
        {"tls", "587",
         "SMTP_TLS=tls with SMTP_PORT=587: Alertmanager uses TLS from the first byte only on port "
         "465 and STARTTLS on any other port; set SMTP_PORT=465 (or leave it empty), or "
         "SMTP_TLS=starttls"},
        {"tls", "2465",
         "SMTP_TLS=tls with SMTP_PORT=2465: Alertmanager uses TLS from the first byte only on "
         "port 465 and STARTTLS on any other port; set SMTP_PORT=465 (or leave it empty), or "
         "SMTP_TLS=starttls"},
        {"starttls", "465",
         "SMTP_TLS=starttls with SMTP_PORT=465: Alertmanager uses TLS from the first byte on port "
         "465, not STARTTLS; set SMTP_TLS=tls, or SMTP_PORT=587 (or leave it empty)"},
        {"none", "465",
         "SMTP_TLS=none with SMTP_PORT=465: Alertmanager uses TLS from the first byte on port "
         "465, not plain SMTP; set SMTP_TLS=tls, or SMTP_PORT=587 (or leave it empty)"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        int port = cases[i].port ? atoi(cases[i].port) : 0;
        enum smtp_tls t;
        assert_int_equal(smtp_tls_resolve(cases[i].mode, port, &t), 0);
        if (!port)
            port = smtp_tls_default_port(t);
        struct strbuf why;
        sb_init(&why);
        bool ok = smtp_check_alertmanager(t, port, &why);
        if (cases[i].why) {
            assert_false(ok);
            assert_string_equal(sb_str(&why), cases[i].why);
        } else {
            assert_true(ok);
            assert_int_equal(why.len, 0);
        }
        sb_free(&why);
    }
}

static void mailboxes(void **state)
{
    (void)state;
    char out[320];
    assert_int_equal(smtp_mailbox_address("a@b.eu", out, sizeof(out)), 0);
    assert_string_equal(out, "a@b.eu");
    assert_int_equal(smtp_mailbox_address("  Ops Team <ops@b.eu>", out, sizeof(out)), 0);
    assert_string_equal(out, "ops@b.eu");
    const char *bad[] = {"",
                         "no-at",
                         "two@@b.eu",
                         "a@b.eu\r\nBcc: x@y",
                         "a b@c.eu",
                         "<a@b.eu",
                         "Name <a@b.eu> trailing",
                         "@b.eu",
                         "a@",
                         "a@b.eu,c@d.eu"};
    for (size_t i = 0; i < N(bad); i++) {
        if (smtp_mailbox_address(bad[i], out, sizeof(out)) != -1)
            fail_msg("'%s' gave an address", bad[i]);
        struct strbuf why;
        sb_init(&why);
        if (smtp_check_mailbox(bad[i], &why))
            fail_msg("'%s' accepted", bad[i]);
        sb_free(&why);
    }
    struct strbuf why;
    sb_init(&why);
    assert_true(smtp_check_mailbox("Monitoring <monitoring@mg.ecotrans.eu>", &why));
    assert_false(smtp_check_mailbox("Evil\r\nBcc: x@y.eu <a@b.eu>", &why));
    sb_free(&why);
}

static void recipient_lists(void **state)
{
    (void)state;
    const char *good[] = {"ops@example.eu", "ops@example.eu,boss@example.eu",
                          "ops@example.eu, boss@example.eu,", " ops@example.eu "};
    for (size_t i = 0; i < N(good); i++) {
        struct strbuf why;
        sb_init(&why);
        if (!smtp_check_rcpt_list(good[i], &why))
            fail_msg("'%s' refused: %s", good[i], sb_str(&why));
        sb_free(&why);
    }
    const char *bad[] = {"", " , ", "Ops <ops@example.eu>", "not-an-address",
                         "ops@example.eu;boss@example.eu"};
    for (size_t i = 0; i < N(bad); i++) {
        struct strbuf why;
        sb_init(&why);
        if (smtp_check_rcpt_list(bad[i], &why))
            fail_msg("'%s' accepted", bad[i]);
        sb_free(&why);
    }
    char many[40 * 20] = "";
    for (int i = 0; i < SMTP_MAX_RCPT + 1; i++)
        strcat(many, "a@example.eu,");
    struct strbuf why;
    sb_init(&why);
    assert_false(smtp_check_rcpt_list(many, &why));
    assert_non_null(strstr(sb_str(&why), "at most 32"));
    sb_free(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_mode_rule),          cmocka_unit_test(cleartext_only_to_this_machine),
        cmocka_unit_test(alertmanager_port_rule), cmocka_unit_test(mailboxes),
        cmocka_unit_test(recipient_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
