/* Fixtures for the unit tests of the doctor's check groups: a struct doctor
 * built from .env text (no file needed unless a test writes one), lookups
 * of the results a check added, and a scripted loopback peer - a TCP
 * listener on 127.0.0.1 port 0 that the test controls, answering each
 * connection with a canned reply, with garbage, or with nothing at all.
 * Static: each test program has its own copy. */
#ifndef TESTS_UNIT_DOCTOR_DOCTORFIX_H
#define TESTS_UNIT_DOCTOR_DOCTORFIX_H

#define FIX_UNUSED __attribute__((unused))

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

#include "doctor.h"

struct fix {
    struct options opt;
    struct report rep;
    struct doctor d;
};

/* A doctor whose .env is env_text (NULL: the .env could not be read). */
FIX_UNUSED static void fix_init(struct fix *f, const char *env_text)
{
    memset(f, 0, sizeof(*f));
    f->opt.env_file = "/nonexistent/doctor-unit.env";
    f->opt.inventory = "/nonexistent/servers.txt";
    f->opt.timeout = 5;
    f->opt.groups = GROUP_ALL;
    f->opt.prometheus_url = "http://127.0.0.1:1";
    f->opt.alertmanager_url = "http://127.0.0.1:1";
    f->opt.grafana_url = "http://127.0.0.1:1";
    f->opt.max_upload_age = 7200;
    f->opt.cert_min_days = 14;
    f->opt.contract = "sql/contract.yaml";
    f->opt.dashboards = "grafana/dashboards";
    doc_report_init(&f->rep, NULL);
    f->d.opt = &f->opt;
    f->d.rep = &f->rep;
    doc_dotenv_init(&f->d.env);
    if (env_text) {
        doc_dotenv_parse(&f->d.env, env_text, strlen(env_text));
        f->d.env_loaded = true;
    } else {
        snprintf(f->d.env_error, sizeof(f->d.env_error),
                 "/nonexistent/doctor-unit.env: No such file or directory");
    }
}

FIX_UNUSED static void fix_free(struct fix *f)
{
    doc_dotenv_free(&f->d.env);
    doc_report_free(&f->rep);
}

/* The result with this id, or NULL. */
FIX_UNUSED static const struct check_result *fix_find(const struct fix *f, const char *id)
{
    for (size_t i = 0; i < f->rep.n; i++)
        if (!strcmp(f->rep.items[i].id, id))
            return &f->rep.items[i];
    return NULL;
}

/* The result with this id and status; the test fails (naming both) when
 * it is absent or has another status. */
FIX_UNUSED static const struct check_result *fix_expect(const struct fix *f, const char *id,
                                             enum check_status st)
{
    const struct check_result *c = fix_find(f, id);
    if (!c) {
        for (size_t i = 0; i < f->rep.n; i++)
            fprintf(stderr, "  have %s: %s\n", f->rep.items[i].id, f->rep.items[i].detail);
        fail_msg("no result %s", id);
    }
    if (c->status != st)
        fail_msg("%s has status %d (want %d): %s", id, (int)c->status, (int)st, c->detail);
    return c;
}

/* Asserts that haystack contains needle, printing both when not. */
#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                                \
            fail_msg("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);                    \
    } while (0)

/* ---- the scripted loopback peer ---- */

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
    peer_router route;
    int stop_pipe[2];
    pthread_t thread;
    int accepted;
    char last_request[8192];
};

/* Reads what the client sends until a blank line (and, for a request with
 * Content-Length, its body), the stop pipe fires, or the client closes. */
FIX_UNUSED static void peer_read_request(struct peer *p, int c)
{
    size_t len = 0;
    p->last_request[0] = '\0';
    for (;;) {
        struct pollfd pf[2] = {{.fd = c, .events = POLLIN}, {.fd = p->stop_pipe[0], .events = POLLIN}};
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

FIX_UNUSED static void *peer_main(void *arg)
{
    struct peer *p = arg;
    for (;;) {
        struct pollfd pf[2] = {{.fd = p->fd, .events = POLLIN}, {.fd = p->stop_pipe[0], .events = POLLIN}};
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
                (void)!write(c, p->reply, strlen(p->reply));
                while (poll(&pc, 1, 30000) > 0 && read(c, buf, sizeof(buf)) > 0)
                    ;
            }
        } else if (p->mode == PEER_GREET) {
            (void)!write(c, p->reply, strlen(p->reply));
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
                (void)!write(c, out, strlen(out));
            }
        }
        close(c);
    }
    return NULL;
}

/* Starts a peer on 127.0.0.1 (a free port the kernel picks). */
FIX_UNUSED static void peer_start(struct peer *p, enum peer_mode mode, const char *reply)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode;
    p->reply = reply;
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

FIX_UNUSED static void peer_stop(struct peer *p)
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
FIX_UNUSED static int refused_port(int *hold)
{
    *hold = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(*hold, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    assert_int_equal(getsockname(*hold, (struct sockaddr *)&a, &al), 0);
    return ntohs(a.sin_port);
}

#endif
