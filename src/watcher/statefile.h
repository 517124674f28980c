/* The watcher's memory across restarts: the phase, the last heartbeat and
 * which mails of the current outage went out (machine.h), in a small text
 * file of "key=value" lines under a version line:
 *
 *     watcher-state 1
 *     phase=silent
 *     last_beat=1764496800
 *     ...
 *
 * Written atomically (src/common/atomicfile.h: a temporary file in the
 * same directory, fsync, rename, fsync of the directory), so a crash or a
 * power cut leaves either the old or the new state, never half of one. Formatting and parsing are
 * pure (unit-tested); only wd_statefile_save/load touch the disk. */
#ifndef WD_STATEFILE_H
#define WD_STATEFILE_H

#include <stddef.h>

#include "machine.h"
#include "strbuf.h"

void wd_state_format(const struct wd_state *s, struct strbuf *out);
/* Parses what wd_state_format wrote. Unknown keys are refused (a newer
 * format), as are missing ones. Returns 0, or -1 with "line N: reason". */
int wd_state_parse(const char *text, struct wd_state *s, char *err, size_t errsz);

/* Returns 1 when loaded, 0 when the file does not exist (a first start),
 * -1 with err naming the file and the problem. */
int wd_statefile_load(const char *path, struct wd_state *s, char *err, size_t errsz);
/* Returns 0, or -1 with err naming the file. */
int wd_statefile_save(const char *path, const struct wd_state *s, char *err, size_t errsz);

#endif
