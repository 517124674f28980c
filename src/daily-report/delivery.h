/* Delivering the report: src/common/smtpsend.h with the settings of
 * settings.h, each attempt to every recipient, temporary failures retried
 * with the shared exponential backoff, a stop request honoured between
 * (and during) attempts. */
#ifndef DAILY_REPORT_DELIVERY_H
#define DAILY_REPORT_DELIVERY_H

#include <stddef.h>

#include "settings.h"
#include "smtpsend.h"

/* One delivery attempt of msg to every configured recipient. */
enum smtp_result dr_send_once(const struct config *c, const char *msg, size_t len, char *err,
                              size_t errsz);

/* Waits `seconds`; returns non-zero when the program is asked to stop, so
 * the retry loop ends early. */
typedef int (*dr_sleep_fn)(int seconds);

/* Up to c->smtp_attempts attempts; the wait before attempt k+1 is
 * smtp_backoff_delay(c->smtp_backoff_s, k+1). Logs each failure.
 * Returns 0 when delivered, -1 otherwise (err holds the last failure). */
int dr_send_with_retry(const struct config *c, const char *msg, size_t len, dr_sleep_fn sleep_fn,
                       int *attempts_made, char *err, size_t errsz);

#endif
