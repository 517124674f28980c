#include "secretfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int secret_file_read(const char *what, const char *path, char *out, size_t outsz, char *err,
                     size_t errsz)
{
    out[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errsz, "%s: %s: %s", what, path, strerror(errno));
        return -1;
    }
    size_t n = fread(out, 1, outsz - 1, f);
    int bad = ferror(f) || !feof(f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    const char *why = bad                ? "unreadable or too long"
                      : n == 0           ? "is empty"
                      : strlen(out) != n ? "contains a NUL byte"
                                         : NULL;
    if (why) {
        memset(out, 0, outsz);
        snprintf(err, errsz, "%s: %s: %s", what, path, why);
        return -1;
    }
    return 0;
}
