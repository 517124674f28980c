/* A small libcurl wrapper: one request in, status + body + headers out,
 * bounded in time and size. Used for S3, Prometheus & co, exporters and
 * the Caddy certificate. */
#ifndef DOCTOR_HTTP_H
#define DOCTOR_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util.h"

struct http_request {
    const char *method; /* NULL: GET */
    const char *url;
    const char *body; /* request body (PUT), or NULL */
    size_t body_len;
    struct curl_slist *headers; /* extra headers, caller-owned */
    const char *aws_sigv4;      /* e.g. "aws:amz:eu-central-1:s3", or NULL */
    const char *user;           /* with aws_sigv4: the access key */
    const char *password;       /* with aws_sigv4: the secret key */
    long timeout;               /* seconds, whole transfer */
    const char *cacert;         /* CA bundle replacing the system's, or NULL */
    bool insecure;              /* do not verify the peer (certificate read-out only) */
    bool want_certinfo;         /* fill cert_* of the response */
    bool head;                  /* HEAD: no body */
};

struct http_response {
    CURLcode code;
    char error[CURL_ERROR_SIZE]; /* libcurl's message when code != CURLE_OK */
    long status;                 /* HTTP status, 0 when none */
    struct strbuf body;
    struct strbuf headers; /* raw response header lines of the last response */
    bool truncated;        /* body larger than the cap was cut */
    bool have_cert;        /* the leaf certificate was read */
    time_t cert_not_after;
    char cert_subject[256];
    char cert_issuer[256];
};

void http_response_init(struct http_response *rs);
void http_response_free(struct http_response *rs);
/* Performs the request; returns rs->code. */
CURLcode http_perform(const struct http_request *rq, struct http_response *rs);
/* Performs n requests concurrently (exporters behind a firewall each cost
 * a full timeout; in parallel the wait is one timeout, not n). */
void http_perform_many(const struct http_request *rqs, struct http_response *rss, size_t n);
/* The value of response header name (case-insensitive), trimmed, or false. */
bool http_header(const struct http_response *rs, const char *name, char *out, size_t outlen);
/* A short description of a transport failure for humans, e.g.
 * "connection refused", "no answer within 10 s", "name does not resolve". */
const char *http_failure_kind(CURLcode code);
/* Parses a certificate date as libcurl reports it ("Feb 24 12:00:00 2027
 * GMT" or "2027-02-24 12:00:00 GMT"); false when unparseable. */
bool parse_cert_time(const char *s, time_t *out);

#endif
