#include "http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "promtext.h"
#include "route.h"

/* Per-connection memory, which also caps the request line plus headers;
 * larger requests get 431/414 from libmicrohttpd. */
#define CONNECTION_MEMORY_LIMIT (8 * 1024)
#define LISTEN_BACKLOG 128
/* A scrape without X-Prometheus-Scrape-Timeout-Seconds (curl, a browser)
 * waits a little longer than a collection can take. */
#define DEFAULT_WAIT_EXTRA_S 1.5

struct qe_http {
    struct MHD_Daemon *daemon;
    const struct qe_config *cfg;
    struct qe_collector *collector;
    int fd;
};

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

static enum MHD_Result handle_metrics(struct qe_http *h, struct MHD_Connection *conn)
{
    const char *hdr =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Prometheus-Scrape-Timeout-Seconds");
    double wait;
    if (qe_scrape_wait(hdr, h->cfg->collect_timeout_seconds + DEFAULT_WAIT_EXTRA_S, &wait) != 0)
        return reply_text(conn, MHD_HTTP_BAD_REQUEST,
                          "invalid X-Prometheus-Scrape-Timeout-Seconds: expected a positive "
                          "number of seconds\n",
                          NULL);
    struct qe_scrape_result res;
    if (qe_collector_scrape(h->collector, wait, &res) != 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    return reply(conn, MHD_HTTP_OK, PROM_CONTENT_TYPE, res.body, res.len, 1, NULL);
}

static enum MHD_Result handle_readyz(struct qe_http *h, struct MHD_Connection *conn)
{
    struct qe_scrape_result res;
    if (qe_collector_scrape(h->collector, h->cfg->collect_timeout_seconds + DEFAULT_WAIT_EXTRA_S,
                            &res) != 0)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    free(res.body);
    if (res.up)
        return reply_text(conn, MHD_HTTP_OK, "ready: the database answered\n", NULL);
    return reply_printf(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: %s\n", res.error);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    /* Per-request state without allocation: *req_cls points at one of these. */
    static int request_seen, request_has_body;
    struct qe_http *h = cls;
    enum qe_route route = qe_route(method, url);
    if (*req_cls == NULL) {
        *req_cls = &request_seen;
        /* A GET or HEAD is answered once the request is complete, so the
         * connection can be kept alive for the next scrape. Anything else is
         * answered now; libmicrohttpd then closes the connection instead of
         * reading a body nobody wants. */
        if (route != QE_ROUTE_NOT_FOUND && route != QE_ROUTE_METHOD_NOT_ALLOWED)
            return MHD_YES;
    } else if (*upload_data_size != 0) {
        /* A response cannot be queued in the middle of a body: drop the
         * body (bounded by the connection memory and idle limits), answer
         * 400 once it has been read. */
        *upload_data_size = 0;
        *req_cls = &request_has_body;
        return MHD_YES;
    } else if (*req_cls == &request_has_body) {
        return reply_text(conn, MHD_HTTP_BAD_REQUEST, "these endpoints take no request body\n",
                          NULL);
    }
    switch (route) {
    case QE_ROUTE_METRICS:
        return handle_metrics(h, conn);
    case QE_ROUTE_HEALTHZ:
        return reply_text(conn, MHD_HTTP_OK, "ok\n", NULL);
    case QE_ROUTE_READYZ:
        return handle_readyz(h, conn);
    case QE_ROUTE_METHOD_NOT_ALLOWED:
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
    case QE_ROUTE_NOT_FOUND:
        break;
    }
    return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz or /readyz\n",
                      NULL);
}

/* libmicrohttpd's own messages concern client misbehaviour mostly: debug
 * level, so a misbehaving client cannot flood the log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    log_vmsg(LOG_LEVEL_DEBUG, fmt, ap);
}

struct qe_http *qe_http_start(const struct qe_config *cfg, const struct listen_addr *addr,
                              struct qe_collector *collector, char *err, size_t errsz)
{
    struct qe_http *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    h->cfg = cfg;
    h->collector = collector;
    /* Our own socket: bind errors come back with their reason. */
    h->fd = listen_addr_open(addr, LISTEN_BACKLOG, err, errsz);
    if (h->fd < 0) {
        free(h);
        return NULL;
    }
    /* ITC: needed by MHD_quiesce_daemon() at shutdown. */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (addr->ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, h->fd, MHD_OPTION_THREAD_POOL_SIZE, cfg->http_threads,
        MHD_OPTION_CONNECTION_LIMIT, cfg->http_max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->http_max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->http_idle_timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY_LIMIT, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, errsz,
                 "cannot start the HTTP server on %s (libmicrohttpd refused the options)",
                 addr->text);
        close(h->fd);
        free(h);
        return NULL;
    }
    return h;
}

void qe_http_stop(struct qe_http *h)
{
    if (!h)
        return;
    /* Quiesce hands the listening socket back (documented: the caller
     * closes it, after MHD_stop_daemon), so it is closed exactly once. */
    MHD_socket s = MHD_quiesce_daemon(h->daemon);
    MHD_stop_daemon(h->daemon);
    if (s != MHD_INVALID_SOCKET)
        close(s);
    free(h);
}
