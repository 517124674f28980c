/* Opening a file the programs read as configuration (the exporter's
 * --config, the doctor's .env and inventory) only when it is a regular
 * file. A FIFO would block the reader forever (nothing writes to it) and a
 * device could stream without end; both are refused at once, by name.
 * The open itself cannot block: O_NONBLOCK until the type is known. */
#ifndef COMMON_REGFILE_H
#define COMMON_REGFILE_H

#include <stddef.h>
#include <stdio.h>

/* Returns the stream (mode "r"), or NULL with the reason in err ("not a
 * regular file", or strerror); the caller names the file. */
FILE *regfile_open(const char *path, char *err, size_t errsz);

#endif
