/* Reading a whole (small) file into memory, with a size cap and a message
 * naming the file on failure: the .env, the inventory and CA files are all
 * read through it. */
#ifndef DOCTOR_READFILE_H
#define DOCTOR_READFILE_H

#include <stddef.h>

#include "strbuf.h"

enum read_file_result {
    READ_FILE_OK,
    READ_FILE_CANNOT_OPEN, /* err: "cannot read PATH: <strerror>" */
    READ_FILE_TOO_LARGE,   /* out holds the first max_bytes bytes */
    READ_FILE_READ_ERROR,  /* err: "cannot read PATH: read error"; out holds what was read */
};

/* Appends the contents of path to out, at most max_bytes of them. On
 * allocation failure the process aborts, like the other doctor helpers. */
enum read_file_result doc_read_file(const char *path, size_t max_bytes, struct strbuf *out,
                                    char *err, size_t errlen);

#endif
