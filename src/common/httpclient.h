/* The HTTP client every program uses: libcurl, one request in, status +
 * body (a strbuf) + headers out, bounded in time and size.
 *
 * http_get() is the common case (a JSON API): GET, compressed, a body cap
 * that fails the request, and an error message that names the URL with
 * its credentials and query string redacted through libcurl's URL API (a
 * query may hold tokens; PromQL in percent-encoding is unreadable anyway).
 * http_perform() takes the full request (methods, bodies, AWS SigV4, CA
 * file, certificate read-out); http_perform_many() runs several at once.
 * http_escape() percent-encodes a query parameter with curl_easy_escape. */
#ifndef COMMON_HTTPCLIENT_H
#define COMMON_HTTPCLIENT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "strbuf.h"

/* Body cap when a request sets none: no answer the programs read is this
 * big; the cap bounds memory when a URL points at something that streams. */
#define HTTP_DEFAULT_MAX_BODY (32u * 1024u * 1024u)

struct http_request {
    const char *method; /* NULL: GET */
    const char *url;
    const char *body; /* request body (PUT, POST), or NULL */
    size_t body_len;
    struct curl_slist *headers; /* extra headers, caller-owned */
    const char *aws_sigv4;      /* e.g. "aws:amz:eu-central-1:s3", or NULL */
    const char *user;           /* with aws_sigv4: the access key */
    const char *password;       /* with aws_sigv4: the secret key */
    long timeout;               /* seconds, whole transfer (0: 10) */
    long connect_timeout;       /* seconds (0: as timeout) */
    size_t max_body;            /* 0: HTTP_DEFAULT_MAX_BODY */
    bool fail_on_cap;           /* a larger body fails the request (else it is cut) */
    bool stop_on_cap;           /* keep the first max_body bytes, then end the transfer
                                   (a success, truncated set): an endless body costs
                                   neither memory nor time */
    bool compressed;            /* accept gzip/deflate */
    const char *cacert;         /* CA bundle replacing the system's, or NULL */
    bool insecure;              /* do not verify the peer (certificate read-out only) */
    bool want_certinfo;         /* fill cert_* of the response */
    bool head;                  /* HEAD: no body */
};

struct http_response {
    CURLcode code;
    char error[CURL_ERROR_SIZE]; /* libcurl's message when code != CURLE_OK */
    long status;                 /* HTTP status, 0 when none */
    struct strbuf body;          /* sb_str(&body) is NUL-terminated */
    struct strbuf headers;       /* raw response header lines of the last response */
    bool truncated;              /* body larger than the cap (cut, or failed) */
    bool have_cert;              /* the leaf certificate was read */
    time_t cert_not_after;
    char cert_subject[256];
    char cert_issuer[256];
};

/* Once at startup, before any thread exists. user_agent: "program/version".
 * progress (may be NULL) is installed on every transfer: returning
 * non-zero aborts it (the daily report's cancellation on SIGTERM). */
int http_global_init(const char *user_agent, curl_xferinfo_callback progress);
void http_global_cleanup(void);

void http_response_init(struct http_response *rs);
void http_response_free(struct http_response *rs);
/* Performs the request; returns rs->code (rs must be initialised). */
CURLcode http_perform(const struct http_request *rq, struct http_response *rs);
/* Performs n requests concurrently (exporters behind a firewall each cost
 * a full timeout; in parallel the wait is one timeout, not n), at most
 * HTTP_MANY_MAX_PARALLEL at a time and fewer when RLIMIT_NOFILE is low:
 * 2000 transfers at once with 1024 descriptors made the late ones fail
 * like refused connections. Each transfer's timeout counts from its own
 * start. */
#define HTTP_MANY_MAX_PARALLEL 32
void http_perform_many(const struct http_request *rqs, struct http_response *rss, size_t n);
/* As http_perform_many, at most max_parallel at once (0: the default
 * limit), calling done(ctx, i, &rss[i]) as soon as transfer i has ended (or
 * could not start): done may summarise the body and free it, so memory
 * holds at most the running transfers' bodies, not all n. */
typedef void (*http_done_fn)(void *ctx, size_t i, struct http_response *rs);
void http_perform_many_with(const struct http_request *rqs, struct http_response *rss, size_t n,
                            size_t max_parallel, http_done_fn done, void *ctx);

/* GET url, compressed, body capped at HTTP_DEFAULT_MAX_BODY. Returns 0 when
 * a response arrived (any status; the caller judges it), or -1 with
 * "GET <redacted url>: reason" in err (out then holds no memory). out is
 * initialised here. */
int http_get(const char *url, long timeout_s, struct http_response *out, char *err, size_t errsz);

/* url for messages: "user:password@" becomes "***@" and a query string
 * "?...". An unparseable URL becomes "(unparseable URL)". */
void http_redact_url(const char *url, char *out, size_t outsz);
/* Percent-encodes s for a query string (curl_easy_escape). Returns a
 * malloc'd string (free() it) or NULL. */
char *http_escape(const char *s);

/* The value of response header name (case-insensitive), trimmed, or false. */
bool http_header(const struct http_response *rs, const char *name, char *out, size_t outlen);
/* A short description of a transport failure for humans, e.g.
 * "connection refused", "no answer within 10 s", "name does not resolve". */
const char *http_failure_kind(CURLcode code);
/* Parses a certificate date as libcurl reports it ("Feb 24 12:00:00 2027
 * GMT" or "2027-02-24 12:00:00 GMT"); false when unparseable. */
bool parse_cert_time(const char *s, time_t *out);

#endif
