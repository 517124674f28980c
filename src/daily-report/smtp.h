/* Delivery over SMTP with libcurl: STARTTLS (required, certificate
 * verified), implicit TLS, or plain for a loopback sink; AUTH when a user
 * is configured. Temporary failures are retried with exponential backoff. */
#ifndef DAILY_REPORT_SMTP_H
#define DAILY_REPORT_SMTP_H

#include <stddef.h>

#include "settings.h"

enum smtp_result {
    SMTP_OK = 0,
    SMTP_TEMPORARY = -1, /* connection trouble, 4xx: worth another attempt */
    SMTP_PERMANENT = -2, /* 5xx (bad credentials, rejected address): retrying cannot help */
};

/* One delivery attempt of msg to every configured recipient. */
enum smtp_result smtp_send_once(const struct config *c, const char *msg, size_t len, char *err,
                                size_t errsz);

/* Waits `seconds`; returns non-zero when the program is asked to stop, so
 * the retry loop ends early. */
typedef int (*smtp_sleep_fn)(int seconds);

/* Up to c->smtp_attempts attempts; the wait before attempt k+1 is
 * c->smtp_backoff_s * 2^(k-1), capped at 15 minutes. Logs each failure.
 * Returns 0 when delivered, -1 otherwise (err holds the last failure). */
int smtp_send_with_retry(const struct config *c, const char *msg, size_t len,
                         smtp_sleep_fn sleep_fn, int *attempts_made, char *err, size_t errsz);

/* The delay before attempt n (n >= 2). Exposed for unit tests. */
int smtp_backoff_delay(int base_s, int attempt);

#endif
