/* A scripted SMTP peer for unit tests of code that sends mail: a thread
 * serving 127.0.0.1 on a port the kernel picks, one connection at a time.
 * Connection k answers RCPT TO with reply[k] ("451 ..." for a temporary
 * failure, "550 ..." for a permanent one; NULL or past the list: 250), so
 * a test can script "fail once, then accept". It records what a user would
 * check: how many connections came, the envelope, and the last message
 * accepted. Plain SMTP only (SMTP_TLS=none); static, one per test program. */
#ifndef TESTS_UNIT_FAKESMTP_H
#define TESTS_UNIT_FAKESMTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FAKE_SMTP_MAX_REPLIES 8

struct fake_smtp {
    int ls;
    unsigned port;
    pthread_t thread;
    atomic_int stop;
    const char *reply[FAKE_SMTP_MAX_REPLIES]; /* RCPT TO answer per connection */
    pthread_mutex_t mu;                       /* guards what follows */
    int connections;
    int delivered;       /* messages accepted (DATA ended with 250) */
    char mail_from[256]; /* of the last connection */
    char rcpt_to[1024];  /* of the last connection, "<a>,<b>" */
    char *data;          /* last accepted message, dot-unstuffed, CRLF kept */
    size_t data_len;
};

static void fake_smtp_say(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* One command line (without CRLF); returns 0 to go on, -1 to hang up. */
static int fake_smtp_command(struct fake_smtp *f, int fd, int conn, const char *line, int *in_data)
{
    if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0) {
        fake_smtp_say(fd, "250 fake.test\r\n");
    } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
        pthread_mutex_lock(&f->mu);
        snprintf(f->mail_from, sizeof(f->mail_from), "%s", line + 10);
        f->rcpt_to[0] = '\0';
        pthread_mutex_unlock(&f->mu);
        fake_smtp_say(fd, "250 OK\r\n");
    } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
        const char *r = conn < FAKE_SMTP_MAX_REPLIES ? f->reply[conn] : NULL;
        pthread_mutex_lock(&f->mu);
        size_t l = strlen(f->rcpt_to);
        snprintf(f->rcpt_to + l, sizeof(f->rcpt_to) - l, "%s%s", l ? "," : "", line + 8);
        pthread_mutex_unlock(&f->mu);
        char buf[256];
        snprintf(buf, sizeof(buf), "%s\r\n", r ? r : "250 OK");
        fake_smtp_say(fd, buf);
    } else if (strncasecmp(line, "DATA", 4) == 0) {
        *in_data = 1;
        pthread_mutex_lock(&f->mu);
        free(f->data);
        f->data = NULL;
        f->data_len = 0;
        pthread_mutex_unlock(&f->mu);
        fake_smtp_say(fd, "354 go ahead\r\n");
    } else if (strncasecmp(line, "QUIT", 4) == 0) {
        fake_smtp_say(fd, "221 bye\r\n");
        return -1;
    } else {
        fake_smtp_say(fd, "250 OK\r\n"); /* RSET, NOOP */
    }
    return 0;
}

static void fake_smtp_data_line(struct fake_smtp *f, int fd, const char *line, size_t len,
                                int *in_data)
{
    if (len == 1 && line[0] == '.') {
        *in_data = 0;
        pthread_mutex_lock(&f->mu);
        f->delivered++;
        pthread_mutex_unlock(&f->mu);
        fake_smtp_say(fd, "250 queued\r\n");
        return;
    }
    if (line[0] == '.') { /* dot-stuffing */
        line++;
        len--;
    }
    pthread_mutex_lock(&f->mu);
    char *p = realloc(f->data, f->data_len + len + 3);
    if (p) {
        memcpy(p + f->data_len, line, len);
        memcpy(p + f->data_len + len, "\r\n", 3);
        f->data = p;
        f->data_len += len + 2;
    }
    pthread_mutex_unlock(&f->mu);
}

static void fake_smtp_session(struct fake_smtp *f, int fd, int conn)
{
    static char buf[1 << 16];
    size_t have = 0;
    int in_data = 0;
    fake_smtp_say(fd, "220 fake.test ESMTP\r\n");
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int pr = poll(&p, 1, 100);
        if (atomic_load(&f->stop))
            return;
        if (pr <= 0)
            continue;
        ssize_t n = recv(fd, buf + have, sizeof(buf) - have - 1, 0);
        if (n <= 0)
            return;
        have += (size_t)n;
        buf[have] = '\0';
        char *start = buf, *eol;
        while ((eol = strstr(start, "\r\n")) != NULL) {
            *eol = '\0';
            size_t len = (size_t)(eol - start);
            if (in_data)
                fake_smtp_data_line(f, fd, start, len, &in_data);
            else if (fake_smtp_command(f, fd, conn, start, &in_data) != 0)
                return;
            start = eol + 2;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
    }
}

static void *fake_smtp_main(void *arg)
{
    struct fake_smtp *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd p = {f->ls, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int fd = accept(f->ls, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&f->mu);
        int conn = f->connections++;
        pthread_mutex_unlock(&f->mu);
        fake_smtp_session(f, fd, conn);
        close(fd);
    }
    return NULL;
}

/* Returns 0 with f->port set, or -1. */
static int fake_smtp_start(struct fake_smtp *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    f->ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (f->ls < 0 || bind(f->ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(f->ls, 8) != 0 ||
        getsockname(f->ls, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    f->port = ntohs(a.sin_port);
    return pthread_create(&f->thread, NULL, fake_smtp_main, f) == 0 ? 0 : -1;
}

static void fake_smtp_stop(struct fake_smtp *f)
{
    atomic_store(&f->stop, 1);
    pthread_join(f->thread, NULL);
    close(f->ls);
    free(f->data);
    f->data = NULL;
    pthread_mutex_destroy(&f->mu);
}

#endif
