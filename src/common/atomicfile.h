/* Replacing a small file so that a crash or a power cut leaves either the
 * old or the new content, never half of one: the bytes go to a temporary
 * file in the same directory, are fsynced, renamed over the target, and the
 * directory is fsynced so the rename itself survives. For the programs'
 * state files (the watcher's; the daily report's could use it too). */
#ifndef COMMON_ATOMICFILE_H
#define COMMON_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 0, or -1 with "path: reason" in err; no temporary file is left
 * behind either way. mode applies to a newly created file. */
int atomic_file_replace(const char *path, const void *data, size_t len, mode_t mode, char *err,
                        size_t errsz);

#endif
