/* Minimal HTTP GET over libcurl for the report's JSON sources.
 *
 * Bounded: a connect timeout, a total timeout and a maximum body size, so
 * a hung or runaway source costs at most one section of the report. Error
 * messages carry the URL with any user:password@ removed. */
#ifndef DAILY_REPORT_HTTP_CLIENT_H
#define DAILY_REPORT_HTTP_CLIENT_H

#include <stddef.h>

#define HTTP_MAX_BODY (32u * 1024u * 1024u)

struct http_response {
    long status; /* HTTP status code, 0 when no response arrived */
    char *body;  /* NUL-terminated, owned */
    size_t len;
};

/* Call once at startup, before any thread exists. */
int http_global_init(void);
void http_global_cleanup(void);

/* GET url. Returns 0 when a response arrived (any status; the caller
 * judges it), -1 with err set on transport failure. */
int http_get(const char *url, long timeout_s, struct http_response *out, char *err, size_t errsz);
void http_response_free(struct http_response *r);

/* Copies url into out for messages: "user:password@" becomes "***@" and a
 * query string becomes "?..." (it may hold tokens, and PromQL in
 * percent-encoding is unreadable anyway). */
void http_redact_url(const char *url, char *out, size_t outsz);

/* Percent-encodes s (RFC 3986 unreserved kept) for a query string.
 * Returns a malloc'd string or NULL. */
char *http_query_escape(const char *s);

#endif
