/* A scripted loopback peer for unit tests: a TCP listener on 127.0.0.1
 * port 0 (the kernel picks a free port) that the test controls, answering
 * each connection with a canned reply (or one a router picks per request),
 * with the reply first (a greeting), with nothing at all (to prove a
 * deadline), or with raw bytes to a binary protocol. refused_port() gives a
 * port where a connection is refused. Static: each test program has its
 * own copy; it needs cmocka.h included first. */
#ifndef TESTS_UNIT_PEER_H
#define TESTS_UNIT_PEER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define PEER_UNUSED __attribute__((unused))

enum peer_mode {
    PEER_REPLY,  /* read the request, send the canned reply, close */
    PEER_SILENT, /* accept, read, never answer (until the test stops it) */
    PEER_GREET,  /* send the canned reply first, then read and close */
    PEER_RAW,    /* answer the first bytes received (a binary protocol), then
                    wait for the client to leave */
};

/* Picks the reply for one request (NULL: use peer->reply). */
typedef const char *(*peer_router)(const char *request);

struct peer {
    int fd;
    int port;
    enum peer_mode mode;
    const char *reply;
    size_t reply_len; /* PEER_RAW: bytes of reply to send (it may hold NULs) */
    peer_router route;
    int stop_pipe[2];
    pthread_t thread;
    int accepted;
    char last_request[8192];
};

/* Reads what the client sends until a blank line (and, for a request with
 * Content-Length, its body), the stop pipe fires, or the client closes. */
PEER_UNUSED static void peer_read_request(struct peer *p, int c)
{
    size_t len = 0;
    p->last_request[0] = '\0';
    for (;;) {
        struct pollfd pf[2] = {{.fd = c, .events = POLLIN},
                               {.fd = p->stop_pipe[0], .events = POLLIN}};
        if (poll(pf, 2, 30000) <= 0 || pf[1].revents)
            return;
        ssize_t n = read(c, p->last_request + len, sizeof(p->last_request) - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        p->last_request[len] = '\0';
        const char *end = strstr(p->last_request, "\r\n\r\n");
        if (!end)
            continue;
        size_t want = 0;
        for (const char *q = p->last_request; q < end; q++)
            if (!strncasecmp(q, "\nContent-Length:", 16))
                want = (size_t)atol(q + 16);
        if ((size_t)(p->last_request + len - (end + 4)) >= want ||
            len >= sizeof(p->last_request) - 1)
            return;
    }
}

PEER_UNUSED static void *peer_main(void *arg)
{
    struct peer *p = arg;
    for (;;) {
        struct pollfd pf[2] = {{.fd = p->fd, .events = POLLIN},
                               {.fd = p->stop_pipe[0], .events = POLLIN}};
        if (poll(pf, 2, -1) <= 0 || pf[1].revents)
            break;
        int c = accept(p->fd, NULL, NULL);
        if (c < 0)
            continue;
        __atomic_add_fetch(&p->accepted, 1, __ATOMIC_SEQ_CST);
        if (p->mode == PEER_RAW) {
            char buf[512];
            struct pollfd pc = {.fd = c, .events = POLLIN};
            if (poll(&pc, 1, 30000) > 0 && read(c, buf, sizeof(buf)) > 0) {
                (void)!send(c, p->reply, p->reply_len, MSG_NOSIGNAL);
                while (poll(&pc, 1, 30000) > 0 && read(c, buf, sizeof(buf)) > 0)
                    ;
            }
        } else if (p->mode == PEER_GREET) {
            (void)!send(c, p->reply, strlen(p->reply), MSG_NOSIGNAL);
            peer_read_request(p, c);
        } else {
            peer_read_request(p, c);
            if (p->mode == PEER_SILENT) {
                struct pollfd s = {.fd = p->stop_pipe[0], .events = POLLIN};
                (void)poll(&s, 1, -1);
            } else {
                const char *out = p->route ? p->route(p->last_request) : NULL;
                if (!out)
                    out = p->reply;
                (void)!send(c, out, strlen(out), MSG_NOSIGNAL);
            }
        }
        close(c);
    }
    return NULL;
}

/* Starts a peer on 127.0.0.1 (a free port the kernel picks) answering
 * len bytes of reply (binary protocols: PEER_RAW). */
PEER_UNUSED static void peer_start_bytes(struct peer *p, enum peer_mode mode, const char *reply,
                                         size_t len)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode;
    p->reply = reply;
    p->reply_len = len;
    p->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(p->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(p->fd, 16), 0);
    socklen_t al = sizeof(a);
    assert_int_equal(getsockname(p->fd, (struct sockaddr *)&a, &al), 0);
    p->port = ntohs(a.sin_port);
    assert_int_equal(pipe(p->stop_pipe), 0);
    assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

/* The same with a text reply. */
PEER_UNUSED static void peer_start(struct peer *p, enum peer_mode mode, const char *reply)
{
    peer_start_bytes(p, mode, reply, reply ? strlen(reply) : 0);
}

PEER_UNUSED static void peer_stop(struct peer *p)
{
    (void)!write(p->stop_pipe[1], "x", 1);
    pthread_join(p->thread, NULL);
    close(p->fd);
    close(p->stop_pipe[0]);
    close(p->stop_pipe[1]);
}

/* A port on 127.0.0.1 where nothing listens: bound but never listening,
 * so a connection is refused and no other process can take the port while
 * *hold stays open (the caller closes it). */
PEER_UNUSED static int refused_port(int *hold)
{
    *hold = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(*hold, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    assert_int_equal(getsockname(*hold, (struct sockaddr *)&a, &al), 0);
    return ntohs(a.sin_port);
}

#endif
