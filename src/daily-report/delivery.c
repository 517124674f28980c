#include "delivery.h"

#include <stdio.h>
#include <string.h>

#include "cancel.h"
#include "log.h"

enum smtp_result dr_send_once(const struct config *c, const char *msg, size_t len, char *err,
                              size_t errsz)
{
    const struct smtp_server server = {.host = c->smtp_host,
                                       .port = c->smtp_port,
                                       .tls = c->smtp_tls,
                                       .user = c->smtp_user,
                                       .password = c->smtp_password,
                                       .ca_file = c->smtp_ca_file,
                                       .connect_timeout_s = 15,
                                       .timeout_s = 120,
                                       .progress = dr_cancel_xferinfo};
    return smtp_send(&server, c->from_addr, (const char *const *)c->rcpt, c->nrcpt, msg, len, err,
                     errsz);
}

int dr_send_with_retry(const struct config *c, const char *msg, size_t len, dr_sleep_fn sleep_fn,
                       int *attempts_made, char *err, size_t errsz)
{
    *attempts_made = 0;
    for (int attempt = 1; attempt <= c->smtp_attempts; attempt++) {
        if (attempt > 1) {
            int d = smtp_backoff_delay(c->smtp_backoff_s, attempt);
            log_info("retrying delivery in %d s (attempt %d of %d)", d, attempt, c->smtp_attempts);
            if (sleep_fn && sleep_fn(d)) {
                log_warn("stop requested; giving up delivery");
                return -1;
            }
        }
        if (dr_cancel_requested()) {
            snprintf(err, errsz, "stop requested before delivery");
            return -1;
        }
        *attempts_made = attempt;
        enum smtp_result r = dr_send_once(c, msg, len, err, errsz);
        if (r == SMTP_OK)
            return 0;
        log_warn("delivery attempt %d of %d failed: %s", attempt, c->smtp_attempts, err);
        if (r == SMTP_PERMANENT) {
            log_error("permanent SMTP failure; not retrying");
            return -1;
        }
    }
    return -1;
}
