/* src/common/smtpsend: the shared retry policy, and a refused connection
 * reported as a temporary failure naming the server. (Delivery to a real
 * SMTP server: tests/integration/test_daily_report*.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "smtpsend.h"

static void retry_backoff_doubles_and_caps(void **state)
{
    (void)state;
    assert_int_equal(smtp_backoff_delay(30, 2), 30);
    assert_int_equal(smtp_backoff_delay(30, 3), 60);
    assert_int_equal(smtp_backoff_delay(30, 4), 120);
    assert_int_equal(smtp_backoff_delay(30, 5), 240);
    assert_int_equal(smtp_backoff_delay(30, 10), 900); /* capped at 15 min */
    assert_int_equal(smtp_backoff_delay(0, 5), 0);
    assert_int_equal(smtp_backoff_delay(1, 3), 2);
}

static void refused_connection_is_temporary(void **state)
{
    (void)state;
    /* Port 1 on loopback: nothing listens there. */
    const struct smtp_server s = {.host = "127.0.0.1",
                                  .port = 1,
                                  .tls = SMTP_TLS_NONE,
                                  .connect_timeout_s = 5,
                                  .timeout_s = 5};
    const char *rcpt[] = {"ops@example.eu"};
    char err[512];
    const char msg[] = "Subject: x\r\n\r\nbody\r\n";
    assert_int_equal(smtp_send(&s, "m@example.eu", rcpt, 1, msg, sizeof(msg) - 1, err, sizeof(err)),
                     SMTP_TEMPORARY);
    assert_ptr_equal(strstr(err, "SMTP 127.0.0.1:1: "), err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_backoff_doubles_and_caps),
        cmocka_unit_test(refused_connection_is_temporary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
