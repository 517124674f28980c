/* The delivery settings of the daily report's tests that send through
 * fakesmtp.h (test_delivery.c, test_run.c): plain SMTP to the fake on
 * loopback, one sender, recipients as given. */
#ifndef TESTS_UNIT_DR_SMTPCONFIG_H
#define TESTS_UNIT_DR_SMTPCONFIG_H

#include <string.h>

#include "settings.h"

static void smtp_config(struct config *c, unsigned port, int attempts, int backoff_s)
{
    memset(c, 0, sizeof(*c));
    c->smtp_host = "127.0.0.1";
    c->smtp_port = (int)port;
    c->smtp_tls = SMTP_TLS_NONE;
    c->from_header = "Monitoring <report@example.eu>";
    c->from_addr = (char *)"report@example.eu";
    c->rcpt[0] = (char *)"ops@example.eu";
    c->nrcpt = 1;
    c->smtp_attempts = attempts;
    c->smtp_backoff_s = backoff_s;
}

/* For dr_cancel_set_check: a stop is pending. */
static int stop_now(void)
{
    return 1;
}

#endif
