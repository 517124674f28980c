#include "httpserver.h"

#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httproute.h"
#include "log.h"

/* Per-connection memory, which also caps the request line plus headers;
 * larger requests get 431/414 from libmicrohttpd. */
#define CONNECTION_MEMORY_LIMIT (8 * 1024)
#define LISTEN_BACKLOG 128
/* One thread per connection (bounded by max_connections): a handler that
 * waits for a collection holds its own thread only. Our handlers keep
 * little on the stack; ASan's red zones fit too. */
#define THREAD_STACK_SIZE (512 * 1024)
/* How often the watchdog looks for connections past their deadline. */
#define WATCHDOG_PERIOD_MS 250

/* Per TCP connection, from libmicrohttpd's connect to its close. A
 * request must be complete (line and headers) within the request deadline
 * of the connection's start or of the end of its previous request:
 * libmicrohttpd's own timeout is an idle timeout, which a client sending a
 * byte now and then never triggers. */
struct conn_state {
    struct conn_state *prev, *next;
    MHD_socket fd;
    double since;   /* CLOCK_MONOTONIC s */
    int in_handler; /* a complete GET/HEAD being answered: no deadline */
    int cut;        /* shut down by the watchdog */
};

struct http_server {
    struct MHD_Daemon *daemon;
    const struct http_endpoints *ep;
    int fd;
    unsigned port;
    double request_deadline_s;
    pthread_mutex_t mu; /* guards conns and stop */
    pthread_cond_t wake;
    struct conn_state *conns;
    int stop, watchdog_started;
    pthread_t watchdog;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct conn_state *conn_state_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* libmicrohttpd calls this on connect and before it closes the socket,
 * so the watchdog never shuts down a descriptor number already reused. */
static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *s = cls;
    pthread_mutex_lock(&s->mu);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_state *st = calloc(1, sizeof(*st));
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (st && ci) {
            st->fd = ci->connect_fd;
            st->since = mono_now();
            st->next = s->conns;
            if (s->conns)
                s->conns->prev = st;
            s->conns = st;
        } else {
            free(st);
            st = NULL;
        }
        *socket_context = st;
    } else if (*socket_context) {
        struct conn_state *st = *socket_context;
        if (st->prev)
            st->prev->next = st->next;
        else
            s->conns = st->next;
        if (st->next)
            st->next->prev = st->prev;
        free(st);
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&s->mu);
}

/* A request answered: the next one on this connection gets a fresh
 * deadline. */
static void request_done(void **req_cls);

static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    request_done(req_cls);
    struct http_server *s = cls;
    pthread_mutex_lock(&s->mu);
    struct conn_state *st = conn_state_of(conn);
    if (st) {
        st->in_handler = 0;
        st->since = mono_now();
    }
    pthread_mutex_unlock(&s->mu);
}

static void *watchdog_main(void *arg)
{
    struct http_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        double now = mono_now();
        for (struct conn_state *st = s->conns; st; st = st->next)
            if (!st->in_handler && !st->cut && now - st->since > s->request_deadline_s) {
                /* The connection's thread sees end of input and closes. */
                shutdown(st->fd, SHUT_RDWR);
                st->cut = 1;
                log_debug("HTTP: a connection sent no complete request within %.0f s; closed",
                          s->request_deadline_s);
            }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += WATCHDOG_PERIOD_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                             char *body, size_t len, int take_ownership, const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, take_ownership ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (take_ownership)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The shared text and the body of one answer, until libmicrohttpd has
 * sent them. */
struct reply_parts {
    char *body;
    void (*release)(void *);
    void *release_ctx;
};

static void reply_parts_free(void *cls)
{
    struct reply_parts *p = cls;
    free(p->body);
    if (p->release)
        p->release(p->release_ctx);
    free(p);
}

/* A program's answer: shared text then body, or body alone. Takes both. */
static enum MHD_Result reply_program(struct MHD_Connection *conn, struct http_reply *r)
{
    const char *ctype = r->content_type ? r->content_type : "text/plain; charset=utf-8";
    if (!r->shared) {
        if (r->release)
            r->release(r->release_ctx);
        return reply(conn, r->status, ctype, r->body, r->len, 1, NULL);
    }
    struct reply_parts *p = malloc(sizeof(*p));
    if (!p) {
        free(r->body);
        if (r->release)
            r->release(r->release_ctx);
        return MHD_NO;
    }
    *p =
        (struct reply_parts){.body = r->body, .release = r->release, .release_ctx = r->release_ctx};
    const struct MHD_IoVec iov[2] = {{r->shared, r->shared_len}, {r->body, r->len}};
    struct MHD_Response *resp =
        MHD_create_response_from_iovec(iov, r->len ? 2 : 1, reply_parts_free, p);
    if (!resp) {
        reply_parts_free(p);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text,
                                  const char *allow)
{
    /* Static strings: libmicrohttpd may use them as they are. */
    return reply(conn, status, "text/plain; charset=utf-8", (char *)text, strlen(text), 0, allow);
}

static enum MHD_Result reply_printf(struct MHD_Connection *conn, unsigned status, const char *fmt,
                                    ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result reply_printf(struct MHD_Connection *conn, unsigned status, const char *fmt,
                                    ...)
{
    char *text = malloc(512);
    if (!text)
        return MHD_NO;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, 512, fmt, ap);
    va_end(ap);
    return reply(conn, status, "text/plain; charset=utf-8", text, strlen(text), 1, NULL);
}

static enum MHD_Result handle_metrics(struct http_server *s, struct MHD_Connection *conn)
{
    const char *hdr =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Prometheus-Scrape-Timeout-Seconds");
    double wait;
    if (http_scrape_wait(hdr, s->ep->default_wait_s, &wait) != 0)
        return reply_text(conn, MHD_HTTP_BAD_REQUEST,
                          "invalid X-Prometheus-Scrape-Timeout-Seconds: expected a positive "
                          "number of seconds\n",
                          NULL);
    struct http_reply r = {.status = MHD_HTTP_OK};
    if (s->ep->metrics(s->ep->ctx, wait, &r) != 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    return reply_program(conn, &r);
}

static enum MHD_Result handle_readyz(struct http_server *s, struct MHD_Connection *conn)
{
    bool ready = true;
    char why[400] = "";
    if (s->ep->ready && s->ep->ready(s->ep->ctx, &ready, why, sizeof(why)) != 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    if (ready)
        return reply_printf(conn, MHD_HTTP_OK, "ready%s%s\n", why[0] ? ": " : "", why);
    return reply_printf(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: %s\n", why);
}

static enum MHD_Result handle_healthz(struct http_server *s, struct MHD_Connection *conn)
{
    bool ok = true;
    char why[400] = "";
    if (s->ep->healthy && s->ep->healthy(s->ep->ctx, &ok, why, sizeof(why)) != 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    if (ok)
        return reply_text(conn, MHD_HTTP_OK, "ok\n", NULL);
    return reply_printf(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unhealthy: %s\n", why);
}

/* Per-request state without allocation: *req_cls points at one of these. */
static int request_seen, request_has_body;

/* A Content-Length libmicrohttpd 0.9.75 would misread: anything but
 * decimal digits (it took "-5" and sent the status line twice). */
static bool bad_content_length(struct MHD_Connection *conn)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (!v)
        return false;
    if (!*v || strlen(v) > 18)
        return true;
    for (const char *p = v; *p; p++)
        if (*p < '0' || *p > '9')
            return true;
    return false;
}

static void mark_in_handler(struct http_server *s, struct MHD_Connection *conn)
{
    pthread_mutex_lock(&s->mu);
    struct conn_state *st = conn_state_of(conn);
    if (st)
        st->in_handler = 1;
    pthread_mutex_unlock(&s->mu);
}

/* A POST body being read (the optional POST route). */
struct post_req {
    char *buf;
    size_t len;
    int too_large;
};

/* Frees the POST route's request state (called from request_completed). */
static void request_done(void **req_cls)
{
    if (*req_cls && *req_cls != &request_seen && *req_cls != &request_has_body) {
        struct post_req *p = *req_cls;
        free(p->buf);
        free(p);
    }
    *req_cls = NULL;
}

static enum MHD_Result post_begin(struct http_server *s, struct MHD_Connection *conn,
                                  const char *method, void **req_cls)
{
    if (strcmp(method, "POST") != 0)
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "POST");
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (s->ep->authorized && !s->ep->authorized(s->ep->ctx, auth))
        return reply_text(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n", NULL);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > s->ep->post_max_body)
        return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n", NULL);
    struct post_req *p = calloc(1, sizeof(*p));
    if (!p)
        return MHD_NO;
    *req_cls = p;
    return MHD_YES;
}

/* The POST route: *req_cls is NULL on the first call, then a post_req. */
static enum MHD_Result handle_post(struct http_server *s, struct MHD_Connection *conn,
                                   const char *method, const char *data, size_t *size,
                                   void **req_cls)
{
    if (*req_cls == NULL)
        return post_begin(s, conn, method, req_cls);
    struct post_req *p = *req_cls;
    if (*size != 0) {
        /* Beyond the limit the rest is read and dropped (bounded by the
         * idle timeout): a response cannot be queued mid-body. */
        if (!p->too_large && p->len + *size <= s->ep->post_max_body) {
            char *nb = realloc(p->buf, p->len + *size + 1);
            if (!nb)
                return MHD_NO;
            memcpy(nb + p->len, data, *size);
            p->buf = nb;
            p->len += *size;
            p->buf[p->len] = '\0';
        } else {
            p->too_large = 1;
        }
        *size = 0;
        return MHD_YES;
    }
    if (p->too_large)
        return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n", NULL);
    mark_in_handler(s, conn);
    struct http_reply r = {.status = MHD_HTTP_OK};
    if (s->ep->post(s->ep->ctx, p->buf ? p->buf : "", p->len, &r) != 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    return reply_program(conn, &r);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    (void)version;
    struct http_server *s = cls;
    if (s->ep->post && s->ep->post_path && strcmp(url, s->ep->post_path) == 0)
        return handle_post(s, conn, method, upload_data, upload_data_size, req_cls);
    enum http_route route = http_route(method, url);
    if (*req_cls == NULL) {
        *req_cls = &request_seen;
        if (bad_content_length(conn))
            return reply_text(conn, MHD_HTTP_BAD_REQUEST, "invalid Content-Length\n", NULL);
        /* A GET or HEAD is answered once the request is complete, so the
         * connection can be kept alive for the next scrape. Anything else is
         * answered now; libmicrohttpd then closes the connection instead of
         * reading a body nobody wants. */
        if (route != HTTP_ROUTE_NOT_FOUND && route != HTTP_ROUTE_METHOD_NOT_ALLOWED)
            return MHD_YES;
    } else if (*upload_data_size != 0) {
        /* A response cannot be queued in the middle of a body: drop the
         * body (bounded by the request deadline), answer 400 once it has
         * been read. */
        *upload_data_size = 0;
        *req_cls = &request_has_body;
        return MHD_YES;
    } else if (*req_cls == &request_has_body) {
        return reply_text(conn, MHD_HTTP_BAD_REQUEST, "these endpoints take no request body\n",
                          NULL);
    }
    /* The request is complete: waiting for a collection is legitimate. */
    mark_in_handler(s, conn);
    switch (route) {
    case HTTP_ROUTE_METRICS:
        return handle_metrics(s, conn);
    case HTTP_ROUTE_HEALTHZ:
        return handle_healthz(s, conn);
    case HTTP_ROUTE_READYZ:
        return handle_readyz(s, conn);
    case HTTP_ROUTE_METHOD_NOT_ALLOWED:
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
    case HTTP_ROUTE_NOT_FOUND:
        break;
    }
    return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz or /readyz\n",
                      NULL);
}

/* libmicrohttpd decodes %00 into a NUL inside the path, so "/metrics%00"
 * reached us as "/metrics". A path holding %00 stays undecoded (and
 * routes to 404); everything else is decoded as usual. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    for (const char *p = s; (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0')
            return strlen(s);
    return MHD_http_unescape(s);
}

/* libmicrohttpd's own messages concern client misbehaviour mostly: debug
 * level, so a misbehaving client cannot flood the log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    log_vmsg(LOG_LEVEL_DEBUG, fmt, ap);
}

static unsigned bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int http_malloc_arenas(const char *malloc_arena_max, const char *glibc_tunables)
{
    if (malloc_arena_max && malloc_arena_max[0])
        return 0;
    if (glibc_tunables && strstr(glibc_tunables, "glibc.malloc.arena_max="))
        return 0;
    return HTTP_MALLOC_ARENAS;
}

/* Before the first connection thread exists, so no extra arena is made. */
static void cap_malloc_arenas(void)
{
    int n = http_malloc_arenas(getenv("MALLOC_ARENA_MAX"), getenv("GLIBC_TUNABLES"));
    /* Under ASan mallopt is a no-op returning 0: nothing to report. */
    if (n > 0 && mallopt(M_ARENA_MAX, n) != 1)
        log_debug("HTTP: mallopt(M_ARENA_MAX, %d) not applied", n);
}

struct http_server *http_server_start(const struct listen_addr *addr, const struct http_limits *lim,
                                      const struct http_endpoints *ep, char *err, size_t errsz)
{
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->ep = ep;
    s->request_deadline_s = lim->idle_timeout_s;
    cap_malloc_arenas();
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    /* Our own socket: bind errors come back with their reason. */
    s->fd = listen_addr_open(addr, LISTEN_BACKLOG, err, errsz);
    if (s->fd < 0)
        goto fail;
    s->port = bound_port(s->fd);
    /* ITC: needed by MHD_quiesce_daemon() at shutdown. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (addr->ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_CONNECTION_LIMIT, lim->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY_LIMIT, MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_SIZE,
        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s, MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errsz,
                 "cannot start the HTTP server on %s (libmicrohttpd refused the options)",
                 addr->text);
        close(s->fd);
        goto fail;
    }
    if (pthread_create(&s->watchdog, NULL, watchdog_main, s) != 0) {
        snprintf(err, errsz, "cannot start the HTTP watchdog thread: %s", strerror(errno));
        http_server_stop(s);
        return NULL;
    }
    s->watchdog_started = 1;
    return s;
fail:
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
}

unsigned http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    /* Quiesce hands the listening socket back (documented: the caller
     * closes it, after MHD_stop_daemon), so it is closed exactly once. */
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    MHD_stop_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    if (s->watchdog_started) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->watchdog, NULL);
    }
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
