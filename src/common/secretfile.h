/* Reading a secret (a password, a token) from a file, the way systemd's
 * LoadCredential, Docker secrets and config-init hand them over: the whole
 * file, bounded, the trailing newline an editor or `echo` adds removed,
 * never empty, no NUL inside. Messages name the variable and the file,
 * never the content. (The daily report's SMTP_PASSWORD_FILE reader could
 * use it too.) */
#ifndef COMMON_SECRETFILE_H
#define COMMON_SECRETFILE_H

#include <stddef.h>

/* Reads at most outsz - 2 bytes into out. what names the setting in
 * messages ("SMTP_PASSWORD_FILE"). Returns 0, or -1 with "WHAT: path:
 * reason" in err (out is then emptied). */
int secret_file_read(const char *what, const char *path, char *out, size_t outsz, char *err,
                     size_t errsz);

#endif
