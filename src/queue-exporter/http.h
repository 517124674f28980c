/* The HTTP server (libmicrohttpd): /metrics, /healthz, /readyz, 404 for
 * anything else, 405 for methods other than GET and HEAD, 400 for a
 * malformed scrape-timeout header (libmicrohttpd itself answers 4xx to
 * malformed HTTP). Requests are read by a small pool of epoll threads, so a
 * slow client costs a socket, not a thread; connection count, per-IP
 * connection count, idle time and request size are bounded. */
#ifndef QE_HTTP_H
#define QE_HTTP_H

#include <stddef.h>

#include "collector.h"
#include "config.h"
#include "listenaddr.h"

struct qe_http;

struct qe_http *qe_http_start(const struct qe_config *cfg, const struct listen_addr *addr,
                              struct qe_collector *collector, char *err, size_t errsz);
/* Stops accepting, waits for the requests in progress, closes the socket. */
void qe_http_stop(struct qe_http *h);

#endif
