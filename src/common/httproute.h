/* HTTP routing decisions for the daemons' small servers (httpserver.h),
 * kept free of libmicrohttpd so they can be tested alone:
 *   /metrics, /healthz (alias /-/healthy, the daily report's first path),
 *   /readyz; GET and HEAD only. */
#ifndef COMMON_HTTPROUTE_H
#define COMMON_HTTPROUTE_H

enum http_route {
    HTTP_ROUTE_METRICS,
    HTTP_ROUTE_HEALTHZ,
    HTTP_ROUTE_READYZ,
    HTTP_ROUTE_NOT_FOUND,          /* 404 */
    HTTP_ROUTE_METHOD_NOT_ALLOWED, /* 405, known path with a method other than GET/HEAD */
};

/* url is the path without the query string (as libmicrohttpd passes it). */
enum http_route http_route(const char *method, const char *url);

/* How long a scrape may wait for a collection, from the value of
 * X-Prometheus-Scrape-Timeout-Seconds (NULL when absent: default_s).
 * Keeps a margin so the answer arrives before Prometheus gives up.
 * Returns 0, or -1 when the header is not a positive number. */
int http_scrape_wait(const char *header, double default_s, double *out);

#endif
