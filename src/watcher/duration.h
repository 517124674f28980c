/* The watcher's time arithmetic as people read and write it: periods in
 * the Prometheus style ("90s", "10m", "4h", "1h30m", "2d"; a bare number is
 * seconds), a period in words for mails ("1 h 12 min"), and instants in
 * UTC ("2026-11-30 10:12:03 UTC"). Pure functions. */
#ifndef WD_DURATION_H
#define WD_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Up to 400 days. Returns 0, or -1 for anything else (empty, a unit
 * repeated or out of order, overflow, zero). */
int wd_duration_parse(const char *s, int64_t *out);
/* The env-table validator shape (envvar.h). */
bool wd_duration_check(const char *s, struct strbuf *why);

/* "45 s", "12 min", "1 h 12 min", "3 d 2 h": the two largest units;
 * negative values are written as 0 s. */
void wd_duration_words(int64_t seconds, char *out, size_t outsz);

/* "2026-11-30 10:12:03 UTC"; "never" for 0. */
void wd_utc_text(int64_t t, char *out, size_t outsz);

#endif
