#include "regfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *regfile_open(const char *path, char *err, size_t errsz)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errsz, "%s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, errsz, "not a regular file");
    } else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0) {
        FILE *fp = fdopen(fd, "r");
        if (fp)
            return fp;
        snprintf(err, errsz, "%s", strerror(errno));
    } else {
        snprintf(err, errsz, "%s", strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}
