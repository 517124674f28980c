/* The SMTP dialogue as the debug callback sees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "smtp_transcript.h"

static void feed(struct smtp_transcript *t, const char *const *lines)
{
    for (; *lines; lines++) {
        const char *l = *lines;
        if (l[0] == '>')
            doc_smtp_transcript_out(t, l + 2);
        else if (l[0] == '<')
            doc_smtp_transcript_in(t, l + 2);
        else
            doc_smtp_transcript_info(t, l + 2);
    }
}

static void starttls_then_auth_accepted(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "< 220 smtp.eu.mailgun.org ESMTP",
        "> EHLO doctor",
        "< 250-smtp.eu.mailgun.org",
        "< 250-AUTH PLAIN LOGIN",
        "< 250-STARTTLS",
        "< 250 SIZE 52428800",
        "> STARTTLS",
        "< 220 go ahead",
        "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384",
        "> EHLO doctor",
        "< 250-smtp.eu.mailgun.org",
        "< 250 AUTH PLAIN LOGIN",
        "> AUTH PLAIN",
        "< 334 ",
        "> AHBvc3RtYXN0ZXJAbWcuZWNvdHJhbnMuZXUAc2VjcmV0LXBhc3N3b3Jk",
        "< 235 2.7.0 Authentication successful",
        "> NOOP",
        "< 250 OK",
        NULL,
    };
    struct smtp_transcript t;
    doc_smtp_transcript_init(&t);
    feed(&t, lines);
    assert_int_equal(t.greeting_code, 220);
    assert_string_equal(t.greeting, "220 smtp.eu.mailgun.org ESMTP");
    assert_int_equal(t.ehlo_count, 2);
    assert_true(t.starttls_sent);
    assert_int_equal(t.starttls_code, 220);
    assert_true(t.tls_up);
    assert_string_equal(t.tls_info, "TLSv1.3 / TLS_AES_256_GCM_SHA384");
    assert_true(t.offers_auth);
    assert_string_equal(t.auth_mechs, "PLAIN LOGIN");
    assert_true(t.auth_sent);
    assert_string_equal(t.auth_mech, "PLAIN");
    assert_int_equal(t.auth_code, 235);
    assert_int_equal(t.noop_code, 250);
    /* The base64 credentials are recorded nowhere. */
    assert_null(strstr(t.auth_mech, "AHBv"));
    assert_null(strstr(t.auth_reply, "AHBv"));
}

static void capabilities_are_those_of_the_latest_ehlo(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "< 220 hi",   "> EHLO d", "< 250-hi", "< 250-AUTH PLAIN", "< 250 STARTTLS",
        "> STARTTLS", "< 220 ok", "> EHLO d", "< 250 hi",         NULL,
    };
    struct smtp_transcript t;
    doc_smtp_transcript_init(&t);
    feed(&t, lines);
    assert_false(t.offers_auth);
    assert_false(t.offers_starttls);
    assert_false(t.auth_sent);
}

static void auth_rejected_and_no_starttls(void **state)
{
    (void)state;
    static const char *const rejected[] = {
        "< 220 hi",
        "> EHLO d",
        "< 250 AUTH LOGIN",
        "> AUTH LOGIN",
        "< 334 VXNlcm5hbWU6",
        "> dXNlcg==",
        "< 334 UGFzc3dvcmQ6",
        "> cGFzcw==",
        "< 535 5.7.8 Authentication credentials invalid",
        NULL,
    };
    struct smtp_transcript t;
    doc_smtp_transcript_init(&t);
    feed(&t, rejected);
    assert_int_equal(t.auth_code, 535);
    assert_string_equal(t.auth_reply, "535 5.7.8 Authentication credentials invalid");
    assert_string_equal(t.auth_mech, "LOGIN");

    static const char *const plain[] = {"< 220 hi", "> EHLO d", "< 250-hi", "< 250 HELP", NULL};
    doc_smtp_transcript_init(&t);
    feed(&t, plain);
    assert_false(t.offers_starttls);
    assert_false(t.starttls_sent);
    assert_int_equal(t.ehlo_count, 1);
}

static void refused_greeting(void **state)
{
    (void)state;
    static const char *const lines[] = {"< 554 no service for you", NULL};
    struct smtp_transcript t;
    doc_smtp_transcript_init(&t);
    feed(&t, lines);
    assert_int_equal(t.greeting_code, 554);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(starttls_then_auth_accepted),
        cmocka_unit_test(capabilities_are_those_of_the_latest_ehlo),
        cmocka_unit_test(auth_rejected_and_no_starttls),
        cmocka_unit_test(refused_greeting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
