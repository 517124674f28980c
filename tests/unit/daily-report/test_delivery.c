/* delivery.c against a real SMTP peer on loopback (fakesmtp.h): the
 * message reaches every recipient byte for byte, a temporary refusal is
 * retried after the shared backoff (the waits are recorded, not slept), a
 * permanent one is not, and a stop request ends the retries, before an
 * attempt or during the wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cancel.h"
#include "delivery.h"
#include "fakesmtp.h"
#include "peer.h"
#include "smtpconfig.h"

static const char MSG[] = "From: Monitoring <report@example.eu>\r\n"
                          "To: ops@example.eu\r\n"
                          "Subject: Daily health report 2026-11-27: all clear\r\n"
                          "\r\n"
                          "All clear.\r\n"
                          ".hidden line starting with a dot\r\n";

static struct fake_smtp smtp;
static struct config cfg;
static int waits[8], nwaits, stop_in_wait;

static int record_wait(int seconds)
{
    if (nwaits < 8)
        waits[nwaits++] = seconds;
    return stop_in_wait;
}

static int setup(void **state)
{
    (void)state;
    if (fake_smtp_start(&smtp) != 0)
        return -1;
    smtp_config(&cfg, smtp.port, 3, 30);
    cfg.rcpt[1] = (char *)"boss@example.eu";
    cfg.nrcpt = 2;
    nwaits = 0;
    stop_in_wait = 0;
    dr_cancel_set_check(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_smtp_stop(&smtp);
    return 0;
}

static int deliver(int *attempts, char *err, size_t errsz)
{
    err[0] = '\0';
    return dr_send_with_retry(&cfg, MSG, strlen(MSG), record_wait, attempts, err, errsz);
}

static void delivered_at_once_to_every_recipient(void **state)
{
    (void)state;
    int attempts = -1;
    char err[512];
    assert_int_equal(deliver(&attempts, err, sizeof(err)), 0);
    assert_int_equal(attempts, 1);
    assert_int_equal(nwaits, 0);
    assert_int_equal(smtp.connections, 1);
    assert_int_equal(smtp.delivered, 1);
    assert_string_equal(smtp.mail_from, "<report@example.eu>");
    assert_string_equal(smtp.rcpt_to, "<ops@example.eu>,<boss@example.eu>");
    assert_int_equal(smtp.data_len, strlen(MSG));
    assert_memory_equal(smtp.data, MSG, strlen(MSG));
}

static void temporary_refusal_is_retried_after_the_backoff(void **state)
{
    (void)state;
    smtp.reply[0] = "451 4.3.0 mailbox busy, try later";
    int attempts = -1;
    char err[512];
    assert_int_equal(deliver(&attempts, err, sizeof(err)), 0);
    assert_int_equal(attempts, 2);
    assert_int_equal(nwaits, 1);
    assert_int_equal(waits[0], 30);
    assert_int_equal(smtp.connections, 2);
    assert_int_equal(smtp.delivered, 1);
}

static void every_attempt_refused_gives_the_last_reason(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        smtp.reply[i] = "451 4.3.0 try later";
    int attempts = -1;
    char err[512];
    assert_int_equal(deliver(&attempts, err, sizeof(err)), -1);
    assert_int_equal(attempts, 3);
    assert_int_equal(nwaits, 2);
    assert_int_equal(waits[0], 30); /* doubling: 30 s, then 60 s */
    assert_int_equal(waits[1], 60);
    assert_int_equal(smtp.connections, 3);
    assert_int_equal(smtp.delivered, 0);
    char where[64];
    snprintf(where, sizeof(where), "127.0.0.1:%u", smtp.port);
    assert_non_null(strstr(err, where));
    assert_non_null(strstr(err, "451"));
}

static void permanent_refusal_is_not_retried(void **state)
{
    (void)state;
    smtp.reply[0] = "550 5.1.1 no such user";
    int attempts = -1;
    char err[512];
    assert_int_equal(deliver(&attempts, err, sizeof(err)), -1);
    assert_int_equal(attempts, 1);
    assert_int_equal(nwaits, 0);
    assert_int_equal(smtp.connections, 1);
    assert_non_null(strstr(err, "550"));
}

static void stop_during_the_wait_ends_the_retries(void **state)
{
    (void)state;
    smtp.reply[0] = "421 4.7.0 too many connections";
    stop_in_wait = 1;
    int attempts = -1;
    char err[512];
    assert_int_equal(deliver(&attempts, err, sizeof(err)), -1);
    assert_int_equal(attempts, 1);
    assert_int_equal(nwaits, 1);
    assert_int_equal(smtp.connections, 1);
    assert_int_equal(smtp.delivered, 0);
}

static void stop_before_delivery_sends_nothing(void **state)
{
    (void)state;
    dr_cancel_set_check(stop_now);
    int attempts = -1;
    char err[512];
    assert_int_equal(deliver(&attempts, err, sizeof(err)), -1);
    dr_cancel_set_check(NULL);
    assert_int_equal(attempts, 0);
    assert_string_equal(err, "stop requested before delivery");
    assert_int_equal(smtp.connections, 0);
}

/* A port with a bound socket that does not listen: connection refused. */
static void unreachable_server_is_temporary(void **state)
{
    (void)state;
    int hold;
    cfg.smtp_port = refused_port(&hold);
    char err[512];
    assert_int_equal(dr_send_once(&cfg, MSG, strlen(MSG), err, sizeof(err)), SMTP_TEMPORARY);
    char where[64];
    snprintf(where, sizeof(where), "127.0.0.1:%d", cfg.smtp_port);
    assert_non_null(strstr(err, where));
    close(hold);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(delivered_at_once_to_every_recipient, setup, teardown),
        cmocka_unit_test_setup_teardown(temporary_refusal_is_retried_after_the_backoff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(every_attempt_refused_gives_the_last_reason, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(permanent_refusal_is_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_during_the_wait_ends_the_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_before_delivery_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(unreachable_server_is_temporary, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
