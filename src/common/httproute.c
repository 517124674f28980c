#include "httproute.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Time left for sending the answer once the wait ends. */
#define SCRAPE_MARGIN_S 0.25
#define SCRAPE_MIN_WAIT_S 0.1
/* A client may not make a request wait longer than this. */
#define SCRAPE_MAX_WAIT_S 120.0

enum http_route http_route(const char *method, const char *url)
{
    enum http_route r;
    if (strcmp(url, "/metrics") == 0)
        r = HTTP_ROUTE_METRICS;
    else if (strcmp(url, "/healthz") == 0 || strcmp(url, "/-/healthy") == 0)
        r = HTTP_ROUTE_HEALTHZ;
    else if (strcmp(url, "/readyz") == 0)
        r = HTTP_ROUTE_READYZ;
    else
        return HTTP_ROUTE_NOT_FOUND;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return HTTP_ROUTE_METHOD_NOT_ALLOWED;
    return r;
}

int http_scrape_wait(const char *header, double default_s, double *out)
{
    double t = default_s;
    if (header) {
        char *end = NULL;
        errno = 0;
        t = strtod(header, &end);
        while (end && (*end == ' ' || *end == '\t'))
            end++;
        if (end == header || !end || *end != '\0' || errno == ERANGE || !isfinite(t) || t <= 0)
            return -1;
        t -= SCRAPE_MARGIN_S;
    }
    if (t < SCRAPE_MIN_WAIT_S)
        t = SCRAPE_MIN_WAIT_S;
    if (t > SCRAPE_MAX_WAIT_S)
        t = SCRAPE_MAX_WAIT_S;
    *out = t;
    return 0;
}
