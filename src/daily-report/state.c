#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_KEY "last_success_timestamp_seconds"

int dr_state_load(const char *path, time_t *last_success, char *err, size_t errsz)
{
    *last_success = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errsz, "state file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    int found = 0, bad = 0;
    while (fgets(line, sizeof(line), f)) {
        char key[64];
        long long v;
        char extra;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "%63s %lld %c", key, &v, &extra) == 2 && strcmp(key, STATE_KEY) == 0 &&
            v >= 0) {
            *last_success = (time_t)v;
            found = 1;
        } else if (strncmp(line, STATE_KEY, strlen(STATE_KEY)) == 0) {
            bad = 1;
        }
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr || bad || !found) {
        *last_success = 0;
        snprintf(err, errsz, "state file %s: no valid '%s <unix seconds>' line", path, STATE_KEY);
        return -1;
    }
    return 0;
}

int dr_state_save(const char *path, time_t last_success, char *err, size_t errsz)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        snprintf(err, errsz, "state file path too long");
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errsz, "state file %s: cannot create %s: %s", path, tmp, strerror(errno));
        return -1;
    }
    char buf[160];
    int len = snprintf(buf, sizeof(buf),
                       "# daily-report state; written by the program, do not edit\n%s %lld\n",
                       STATE_KEY, (long long)last_success);
    int ok = len > 0 && write(fd, buf, (size_t)len) == (ssize_t)len && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (!ok || rename(tmp, path) != 0) {
        if (ok)
            saved = errno;
        snprintf(err, errsz, "state file %s: cannot write: %s", path, strerror(saved));
        unlink(tmp);
        return -1;
    }
    /* Make the rename itself durable. */
    char dircopy[4096];
    snprintf(dircopy, sizeof(dircopy), "%s", path);
    int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
