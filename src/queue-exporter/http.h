/* The exporter's HTTP endpoints on the common server skeleton
 * (src/common/httpserver.h, limits from [exporter] http_*): /metrics waits
 * for the collector (at most what the scrape-timeout header allows),
 * /readyz is 200 once a collection reached the database, /healthz is 200
 * while the process lives. */
#ifndef QE_HTTP_H
#define QE_HTTP_H

#include <stddef.h>

#include "collector.h"
#include "config.h"
#include "listenaddr.h"

struct qe_http;

struct qe_http *qe_http_start(const struct qe_config *cfg, const struct listen_addr *addr,
                              struct qe_collector *collector, char *err, size_t errsz);
/* The port it listens on (with port 0 in addr: the kernel's choice). */
unsigned qe_http_port(const struct qe_http *h);
/* Stops accepting, waits for the requests in progress, closes the socket. */
void qe_http_stop(struct qe_http *h);

#endif
