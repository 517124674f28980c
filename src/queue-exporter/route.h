/* HTTP routing decisions, kept free of libmicrohttpd so they can be tested. */
#ifndef QE_ROUTE_H
#define QE_ROUTE_H

enum qe_route {
    QE_ROUTE_METRICS,
    QE_ROUTE_HEALTHZ,
    QE_ROUTE_READYZ,
    QE_ROUTE_NOT_FOUND,          /* 404 */
    QE_ROUTE_METHOD_NOT_ALLOWED, /* 405, known path with a method other than GET/HEAD */
};

/* url is the path without the query string (as libmicrohttpd passes it). */
enum qe_route qe_route(const char *method, const char *url);

/* How long a scrape may wait for a collection, from the value of
 * X-Prometheus-Scrape-Timeout-Seconds (NULL when absent: default_s).
 * Keeps a margin so the answer arrives before Prometheus gives up.
 * Returns 0, or -1 when the header is not a positive number. */
int qe_scrape_wait(const char *header, double default_s, double *out);

#endif
