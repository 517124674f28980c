#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpserver.h"
#include "promtext.h"

/* A scrape without X-Prometheus-Scrape-Timeout-Seconds (curl, a browser)
 * waits a little longer than a collection can take. */
#define DEFAULT_WAIT_EXTRA_S 1.5

struct qe_http {
    struct http_server *server;
    struct http_endpoints ep;
    const struct qe_config *cfg;
    struct qe_collector *collector;
};

static void release_page(void *page)
{
    qe_page_release(page);
}

/* The collection's rendering is shared, not copied, by every answer. */
static int metrics(void *ctx, double wait_s, struct http_reply *out)
{
    struct qe_http *h = ctx;
    struct qe_scrape_result res;
    if (qe_collector_scrape(h->collector, wait_s, &res) != 0)
        return -1;
    out->content_type = PROM_CONTENT_TYPE;
    out->shared = res.shared;
    out->shared_len = res.shared_len;
    out->release = res.page ? release_page : NULL;
    out->release_ctx = res.page;
    out->body = res.body;
    out->len = res.len;
    return 0;
}

/* Ready when the latest finished collection reached the database. Never
 * waits for a collection: a probe must answer while one is blocked. */
static int ready(void *ctx, bool *is_ready, char *why, size_t whysz)
{
    struct qe_http *h = ctx;
    int up = 0;
    qe_collector_status(h->collector, &up, why, whysz);
    *is_ready = up;
    return 0;
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
    h->ep = (struct http_endpoints){.ctx = h,
                                    .metrics = metrics,
                                    .ready = ready,
                                    .default_wait_s =
                                        cfg->collect_timeout_seconds + DEFAULT_WAIT_EXTRA_S};
    const struct http_limits lim = {.threads = cfg->http_threads,
                                    .max_connections = cfg->http_max_connections,
                                    .max_connections_per_ip = cfg->http_max_connections_per_ip,
                                    .idle_timeout_s = cfg->http_idle_timeout_seconds};
    h->server = http_server_start(addr, &lim, &h->ep, err, errsz);
    if (!h->server) {
        free(h);
        return NULL;
    }
    return h;
}

unsigned qe_http_port(const struct qe_http *h)
{
    return http_server_port(h->server);
}

void qe_http_stop(struct qe_http *h)
{
    if (!h)
        return;
    http_server_stop(h->server);
    free(h);
}
