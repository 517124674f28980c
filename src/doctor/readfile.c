#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "regfile.h"
#include "util.h"

enum read_file_result doc_read_file(const char *path, size_t max_bytes, struct strbuf *out,
                                    char *err, size_t errlen)
{
    char why[512];
    FILE *f = regfile_open(path, why, sizeof(why)); /* a FIFO would block */
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, why);
        return READ_FILE_CANNOT_OPEN;
    }
    enum read_file_result rc = READ_FILE_OK;
    char chunk[8192];
    size_t total = 0;
    for (;;) {
        size_t room = max_bytes - total;
        /* Asking for one byte past the cap tells a file of exactly
         * max_bytes from a larger one. */
        size_t want = room < sizeof(chunk) ? room + 1 : sizeof(chunk);
        size_t n = fread(chunk, 1, want, f);
        if (n > room) {
            sb_append(out, chunk, room);
            rc = READ_FILE_TOO_LARGE;
            break;
        }
        sb_append(out, chunk, n);
        total += n;
        if (n < want) {
            if (ferror(f)) {
                snprintf(err, errlen, "cannot read %s: read error", path);
                rc = READ_FILE_READ_ERROR;
            }
            break;
        }
    }
    fclose(f);
    doc_sb_xcheck(out);
    return rc;
}
