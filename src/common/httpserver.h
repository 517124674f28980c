/* The daemons' HTTP server skeleton (libmicrohttpd): /metrics, /healthz
 * (and /-/healthy), /readyz; 404 for anything else, 405 for methods other
 * than GET and HEAD, 400 for a request with a body or a malformed
 * X-Prometheus-Scrape-Timeout-Seconds, a non-numeric Content-Length, or a
 * path holding %00 (404; libmicrohttpd itself answers 4xx to malformed
 * HTTP); optionally one bounded, authenticated POST route. Each connection
 * has its own thread, so a scrape waiting for a collection never delays
 * /healthz; connection count (hence threads), per-IP connection count,
 * idle time, request size and the time to send a complete request
 * (idle_timeout_s from connect or from the previous answer, however slowly
 * bytes trickle) are bounded. Routing is
 * httproute.h (testable without a server); the program supplies what
 * /metrics and /readyz answer. The socket is opened by listenaddr.h, so a
 * bind error comes back with its reason.
 *
 * Memory: glibc gives each new thread its own malloc arena (up to 8 per
 * core), so one thread per connection left up to 16 arenas of a few pages
 * each behind 50 connections (+0.4 MiB private memory in
 * bench/queue-exporter). http_server_start() therefore caps the arenas at
 * HTTP_MALLOC_ARENAS for the whole process, unless the operator chose a
 * cap (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in GLIBC_TUNABLES). */
#ifndef COMMON_HTTPSERVER_H
#define COMMON_HTTPSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "listenaddr.h"

/* An answer the program builds; body is malloc'd (the server frees it).
 * Optionally the answer starts with shared text, sent without a copy (one
 * rendering served to many connections at once): the server calls
 * release(release_ctx) once, when it no longer needs the text. */
struct http_reply {
    unsigned status;
    const char *content_type; /* NULL: text/plain */
    char *body;
    size_t len;
    const char *shared; /* NULL: body only */
    size_t shared_len;
    void (*release)(void *release_ctx);
    void *release_ctx;
};

struct http_endpoints {
    void *ctx;
    /* GET /metrics; wait_s: how long the scrape may wait (from the
     * scrape-timeout header, else default_wait_s). Returns 0, or -1 when
     * out of memory (500). */
    int (*metrics)(void *ctx, double wait_s, struct http_reply *out);
    /* GET /readyz: 200 when ready (why may say what answered), else 503
     * with why. NULL: ready whenever alive. Returns 0 or -1 (500). */
    int (*ready)(void *ctx, bool *ready, char *why, size_t whysz);
    /* GET /healthz and /-/healthy: 200 "ok", or 503 with why when the
     * program knows it is stuck (a run past its time bound). Must not
     * block. NULL: healthy whenever the server answers. */
    int (*healthy)(void *ctx, bool *ok, char *why, size_t whysz);
    double default_wait_s;
    /* Optional POST route (the watcher's webhook); post NULL: none. A
     * request to post_path is checked by authorized() as soon as its
     * headers are in (401 before any body is read), refused with 413
     * unread when its Content-Length exceeds post_max_body (or once the
     * body does, when it comes chunked), else handed whole to post(),
     * which returns 0 or -1 (500). Other methods on post_path get 405. */
    const char *post_path;
    size_t post_max_body;
    bool (*authorized)(void *ctx, const char *authorization_header);
    int (*post)(void *ctx, const char *body, size_t len, struct http_reply *out);
};

struct http_limits {
    unsigned threads; /* unused since one thread serves each connection */
    unsigned max_connections;
    unsigned max_connections_per_ip; /* 0: no per-IP limit */
    unsigned idle_timeout_s;
};

struct http_server;

/* The process-wide malloc arena cap (see above): the handlers only copy
 * small buffers, so one arena costs no measurable throughput. */
#define HTTP_MALLOC_ARENAS 1

/* The arena cap http_server_start() sets, given the environment's
 * MALLOC_ARENA_MAX and GLIBC_TUNABLES (NULL when unset): 0 when the
 * operator already chose one, else HTTP_MALLOC_ARENAS. */
int http_malloc_arenas(const char *malloc_arena_max, const char *glibc_tunables);

/* ep and the ctx it points to must outlive the server. NULL with err. */
struct http_server *http_server_start(const struct listen_addr *addr,
                                      const struct http_limits *limits,
                                      const struct http_endpoints *ep, char *err, size_t errsz);
/* The port it listens on (useful with port 0: the kernel's choice). */
unsigned http_server_port(const struct http_server *s);
/* Stops accepting, waits for the requests in progress, closes the socket. */
void http_server_stop(struct http_server *s);

#endif
