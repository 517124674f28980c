/* The last successful delivery, persisted so that a restart does not reset
 * daily_report_last_success_timestamp_seconds to 0 (which would fire the
 * "report not sent" alert falsely).
 *
 * File format, one "key value" per line:
 *   last_success_timestamp_seconds 1764140400
 * Written to a temporary file in the same directory, fsync'd, then renamed
 * over the old one, so a crash never leaves a half-written state. */
#ifndef DAILY_REPORT_STATE_H
#define DAILY_REPORT_STATE_H

#include <stddef.h>
#include <time.h>

/* Reads the timestamp; *last_success = 0 when the file does not exist.
 * Returns 0, or -1 with err set when it exists but cannot be read or
 * parsed. */
int dr_state_load(const char *path, time_t *last_success, char *err, size_t errsz);

/* Atomically replaces the file. Returns 0, or -1 with err set. */
int dr_state_save(const char *path, time_t last_success, char *err, size_t errsz);

#endif
