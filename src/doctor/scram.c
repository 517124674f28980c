#include "scram.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Passwords longer than this are refused rather than cut. */
enum { SCRAM_MAX_PASSWORD = 1024 };

long doc_scram_password_line(const char *buf, size_t len, char *err, size_t errlen)
{
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    if (len == 0) {
        snprintf(err, errlen, "the password is empty");
        return -1;
    }
    if (memchr(buf, '\0', len)) {
        snprintf(err, errlen, "the password holds a NUL byte");
        return -1;
    }
    if (memchr(buf, '\n', len)) {
        snprintf(err, errlen, "the password spans several lines (one line expected)");
        return -1;
    }
    return (long)len;
}

/* Reads at most SCRAM_MAX_PASSWORD + 2 bytes of fd into buf. */
static long read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
        /* A prompt answer ends at the first newline. */
        if (isatty(fd) && memchr(buf, '\n', n))
            break;
    }
    return (long)n;
}

/* On a terminal: prompt on /dev/tty without echo. */
static long read_prompt(const char *role, char *buf, size_t cap)
{
    int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0)
        return -1;
    struct termios old, quiet;
    if (tcgetattr(tty, &old) != 0) {
        close(tty);
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    dprintf(tty, "Password for %s: ", role);
    tcsetattr(tty, TCSAFLUSH, &quiet);
    long n = read_all(tty, buf, cap);
    tcsetattr(tty, TCSAFLUSH, &old);
    dprintf(tty, "\n");
    close(tty);
    return n;
}

static int usage_error(const char *msg)
{
    fprintf(stderr,
            "doctor --scram-verifier: %s\n"
            "usage: doctor --scram-verifier ROLE [--password-file FILE]\n"
            "  reads the password from FILE, else from standard input, else from a prompt\n"
            "  (never from the command line) and prints its SCRAM-SHA-256 verifier\n",
            msg);
    return 2;
}

/* The verifier, from libpq. PQencryptPasswordConn needs a PGconn only for
 * its error message when the algorithm is given: a connection object whose
 * conninfo fails to parse has one, and no socket is ever opened. */
static int print_verifier(const char *role, const char *password)
{
    PGconn *conn = PQconnectStart("scram-offline");
    if (!conn) {
        fprintf(stderr, "doctor --scram-verifier: out of memory\n");
        return 2;
    }
    char *v = PQencryptPasswordConn(conn, password, role, "scram-sha-256");
    if (!v) {
        fprintf(stderr, "doctor --scram-verifier: libpq could not compute the verifier: %s",
                PQerrorMessage(conn));
        PQfinish(conn);
        return 2;
    }
    printf("%s\n", v);
    PQfreemem(v);
    PQfinish(conn);
    return fflush(stdout) == 0 ? 0 : 2;
}

int doc_scram_main(int argc, char **argv)
{
    const char *role = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--password-file") && i + 1 < argc)
            file = argv[++i];
        else if (argv[i][0] == '-')
            return usage_error("unknown option (a password is never an argument)");
        else if (!role)
            role = argv[i];
        else
            return usage_error("one ROLE only (a password is never an argument)");
    }
    if (!role || !*role)
        return usage_error("name the role, e.g. grafana_readonly");

    char buf[SCRAM_MAX_PASSWORD + 2];
    long n;
    const char *from = file ? file : "standard input";
    if (file) {
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "doctor --scram-verifier: cannot read %s: %s\n", file, strerror(errno));
            return 2;
        }
        n = read_all(fd, buf, sizeof(buf));
        close(fd);
    } else if (isatty(STDIN_FILENO)) {
        from = "the prompt";
        n = read_prompt(role, buf, sizeof(buf));
    } else {
        n = read_all(STDIN_FILENO, buf, sizeof(buf));
    }
    if (n < 0) {
        fprintf(stderr, "doctor --scram-verifier: cannot read the password from %s: %s\n", from,
                strerror(errno));
        return 2;
    }
    if ((size_t)n > SCRAM_MAX_PASSWORD + 1) {
        fprintf(stderr, "doctor --scram-verifier: %s: the password is longer than %d bytes\n", from,
                SCRAM_MAX_PASSWORD);
        return 2;
    }
    char err[128];
    long len = doc_scram_password_line(buf, (size_t)n, err, sizeof(err));
    if (len < 0) {
        fprintf(stderr, "doctor --scram-verifier: %s: %s\n", from, err);
        return 2;
    }
    buf[len] = '\0';
    int rc = print_verifier(role, buf);
    explicit_bzero(buf, sizeof(buf));
    return rc;
}
