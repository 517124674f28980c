#define _XOPEN_SOURCE 700 /* strptime */
#include "httpclient.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "envvar.h"
#include "strutil.h"
#include "validate.h"

static const char *user_agent = "ecotrans-monitoring";
static curl_xferinfo_callback progress_fn;

int http_global_init(const char *ua, curl_xferinfo_callback progress)
{
    if (ua)
        user_agent = ua;
    progress_fn = progress;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* What the write callback needs: the response and its request's cap. */
struct sink {
    struct http_response *rs;
    size_t max;
    bool fail_on_cap;
    bool stop_on_cap;
};

void http_response_init(struct http_response *rs)
{
    memset(rs, 0, sizeof(*rs));
    sb_init(&rs->body);
    sb_init(&rs->headers);
}

void http_response_free(struct http_response *rs)
{
    sb_free(&rs->body);
    sb_free(&rs->headers);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct sink *k = userp;
    size_t n = size * nmemb;
    if (k->rs->body.len + n > k->max) {
        k->rs->truncated = true;
        if (k->stop_on_cap) { /* keep what fits, then abort: collect() calls it a success */
            sb_append(&k->rs->body, data, k->max - k->rs->body.len);
            return 0;
        }
        /* 0 makes libcurl fail with CURLE_WRITE_ERROR; otherwise swallow:
         * a cut body is still useful for diagnostics. */
        return k->fail_on_cap ? 0 : n;
    }
    sb_append(&k->rs->body, data, n);
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    struct http_response *rs = userp;
    size_t n = size * nmemb;
    /* A new status line starts a new response (after 100-continue or a
     * redirect): keep only the last response's headers. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
        sb_reset(&rs->headers);
    sb_append(&rs->headers, data, n);
    return n;
}

static void setup(CURL *c, const struct http_request *rq, struct http_response *rs, struct sink *k)
{
    long timeout = rq->timeout > 0 ? rq->timeout : 10L;
    k->rs = rs;
    k->max = rq->max_body ? rq->max_body : HTTP_DEFAULT_MAX_BODY;
    k->fail_on_cap = rq->fail_on_cap;
    k->stop_on_cap = rq->stop_on_cap;
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* other threads run beside */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                     rq->connect_timeout > 0 ? rq->connect_timeout : timeout);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rs->error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent);
    if (rq->compressed)
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    if (progress_fn) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_fn);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    /* Only the schemes the checks use; a redirect never leaves them. */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (rq->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, rq->cacert);
    if (rq->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (rq->want_certinfo)
        curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
    if (rq->aws_sigv4) {
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, rq->aws_sigv4);
        curl_easy_setopt(c, CURLOPT_USERNAME, rq->user ? rq->user : "");
        curl_easy_setopt(c, CURLOPT_PASSWORD, rq->password ? rq->password : "");
    }
    if (rq->headers)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, rq->headers);
    if (rq->head) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (rq->body) {
        /* POSTFIELDS with a custom method: libcurl's SigV4 signer hashes
         * POSTFIELDS, so the signature covers the body we send. */
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
    }
    if (rq->method)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
}

static void collect(CURL *c, const struct http_request *rq, struct http_response *rs, CURLcode code)
{
    if (code == CURLE_WRITE_ERROR && rq->stop_on_cap && rs->truncated) {
        code = CURLE_OK; /* ended by on_body at the cap, as asked */
        rs->error[0] = '\0';
    }
    rs->code = code;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
    if (code != CURLE_OK && !rs->error[0])
        snprintf(rs->error, sizeof(rs->error), "%s", curl_easy_strerror(code));
    if (!rq->want_certinfo)
        return;
    struct curl_certinfo *ci = NULL;
    if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
        return;
    /* Certificate 0 is the server's own (leaf) certificate. */
    for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
        const char *d = s->data;
        if (str_starts_with(d, "Expire date:")) {
            rs->have_cert = parse_cert_time(d + strlen("Expire date:"), &rs->cert_not_after);
        } else if (str_starts_with(d, "Subject:")) {
            snprintf(rs->cert_subject, sizeof(rs->cert_subject), "%s", d + strlen("Subject:"));
        } else if (str_starts_with(d, "Issuer:")) {
            snprintf(rs->cert_issuer, sizeof(rs->cert_issuer), "%s", d + strlen("Issuer:"));
        }
    }
}

CURLcode http_perform(const struct http_request *rq, struct http_response *rs)
{
    CURL *c = curl_easy_init();
    if (!c) {
        rs->code = CURLE_FAILED_INIT;
        snprintf(rs->error, sizeof(rs->error), "libcurl could not start");
        return rs->code;
    }
    struct sink k;
    setup(c, rq, rs, &k);
    CURLcode code = curl_easy_perform(c);
    collect(c, rq, rs, code);
    curl_easy_cleanup(c);
    return rs->code;
}

/* Transfers run at once by http_perform_many: each holds a socket, and
 * libcurl may add a descriptor or two per transfer (resolver, wakeup); a
 * transfer that finds no free descriptor fails as if the target refused
 * the connection. So: at most HTTP_MANY_MAX_PARALLEL, and at most what a
 * quarter of the free descriptor budget allows (32 kept for the rest). */
static size_t parallel_limit(size_t want)
{
    size_t limit = want ? want : HTTP_MANY_MAX_PARALLEL;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        size_t by_fds = rl.rlim_cur > 32 ? (size_t)(rl.rlim_cur - 32) / 4 : 1;
        if (by_fds < limit)
            limit = by_fds;
    }
    return limit ? limit : 1;
}

/* Starts transfer i on m. false: it could not start (its response says why). */
static bool start_one(CURLM *m, CURL **easy, const struct http_request *rqs,
                      struct http_response *rss, struct sink *sinks, size_t i)
{
    easy[i] = curl_easy_init();
    if (!easy[i]) {
        rss[i].code = CURLE_FAILED_INIT;
        snprintf(rss[i].error, sizeof(rss[i].error), "libcurl could not start");
        return false;
    }
    setup(easy[i], &rqs[i], &rss[i], &sinks[i]);
    curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (void *)(uintptr_t)i);
    if (curl_multi_add_handle(m, easy[i]) != CURLM_OK) {
        curl_easy_cleanup(easy[i]);
        easy[i] = NULL;
        rss[i].code = CURLE_FAILED_INIT;
        snprintf(rss[i].error, sizeof(rss[i].error), "libcurl could not queue the transfer");
        return false;
    }
    return true;
}

/* Ends transfer i: its response is complete, done() may use and free it. */
static void finish_one(CURLM *m, CURL **easy, const struct http_request *rqs,
                       struct http_response *rss, size_t i, CURLcode code, http_done_fn done,
                       void *ctx)
{
    collect(easy[i], &rqs[i], &rss[i], code);
    curl_multi_remove_handle(m, easy[i]);
    curl_easy_cleanup(easy[i]);
    easy[i] = NULL;
    if (done)
        done(ctx, i, &rss[i]);
}

void http_perform_many_with(const struct http_request *rqs, struct http_response *rss, size_t n,
                            size_t max_parallel, http_done_fn done, void *ctx)
{
    if (n == 0)
        return;
    CURLM *m = curl_multi_init();
    CURL **easy = calloc(n, sizeof(*easy));
    struct sink *sinks = calloc(n, sizeof(*sinks));
    if (!m || !easy || !sinks) {
        for (size_t i = 0; i < n; i++) {
            rss[i].code = CURLE_OUT_OF_MEMORY;
            snprintf(rss[i].error, sizeof(rss[i].error), "out of memory");
            if (done)
                done(ctx, i, &rss[i]);
        }
        free(easy);
        free(sinks);
        if (m)
            curl_multi_cleanup(m);
        return;
    }
    size_t limit = parallel_limit(max_parallel), next = 0, active = 0;
    for (;;) {
        /* A new transfer starts only when one ended: each one's timeout
         * counts from its own start, never from time spent waiting. */
        while (active < limit && next < n) {
            if (start_one(m, easy, rqs, rss, sinks, next))
                active++;
            else if (done)
                done(ctx, next, &rss[next]);
            next++;
        }
        if (active == 0)
            break;
        int running = 0;
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            void *priv = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            CURLcode code = msg->data.result; /* read before the handle goes */
            finish_one(m, easy, rqs, rss, (size_t)(uintptr_t)priv, code, done, ctx);
            active--;
        }
        if (running > 0 && active > 0)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    /* Only after a libcurl failure: end what is still registered. */
    for (size_t i = 0; i < n; i++) {
        if (easy[i]) {
            rss[i].code = CURLE_FAILED_INIT;
            snprintf(rss[i].error, sizeof(rss[i].error), "libcurl's multi interface failed");
            finish_one(m, easy, rqs, rss, i, rss[i].code, done, ctx);
        }
    }
    free(easy);
    free(sinks);
    curl_multi_cleanup(m);
}

void http_perform_many(const struct http_request *rqs, struct http_response *rss, size_t n)
{
    http_perform_many_with(rqs, rss, n, 0, NULL, NULL);
}

int http_get(const char *url, long timeout_s, struct http_response *out, char *err, size_t errsz)
{
    http_response_init(out);
    const struct http_request rq = {.url = url,
                                    .timeout = timeout_s,
                                    .connect_timeout = timeout_s < 5 ? timeout_s : 5,
                                    .fail_on_cap = true,
                                    .compressed = true};
    if (http_perform(&rq, out) == CURLE_OK)
        return 0;
    char shown[1024];
    http_redact_url(url, shown, sizeof(shown));
    if (out->truncated)
        snprintf(err, errsz, "GET %s: response larger than %u bytes", shown, HTTP_DEFAULT_MAX_BODY);
    else
        snprintf(err, errsz, "GET %s: %s", shown, out->error);
    /* Nothing to free for a caller that only frees on success. */
    CURLcode code = out->code;
    long status = out->status;
    http_response_free(out);
    http_response_init(out);
    out->code = code;
    out->status = status;
    return -1;
}

void http_redact_url(const char *url, char *out, size_t outsz)
{
    CURLU *u = curl_url();
    char *text = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
        char *user = NULL, *query = NULL;
        if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
            curl_url_set(u, CURLUPART_USER, "***", 0);
            curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
        }
        if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK)
            curl_url_set(u, CURLUPART_QUERY, "...", 0);
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
        curl_free(user);
        curl_free(query);
        if (curl_url_get(u, CURLUPART_URL, &text, 0) != CURLUE_OK)
            text = NULL;
    }
    snprintf(out, outsz, "%s", text ? text : "(unparseable URL)");
    curl_free(text);
    curl_url_cleanup(u);
}

char *http_escape(const char *s)
{
    /* curl_easy_escape needs no handle (NULL) since libcurl 7.82. */
    char *e = curl_easy_escape(NULL, s, 0);
    char *copy = e ? strdup(e) : NULL;
    curl_free(e);
    return copy;
}

bool http_header(const struct http_response *rs, const char *name, char *out, size_t outlen)
{
    const char *p = sb_str(&rs->headers);
    size_t nl = strlen(name);
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        if (ll > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            const char *e = p + ll;
            while (v < e && isspace((unsigned char)*v))
                v++;
            while (e > v && isspace((unsigned char)e[-1]))
                e--;
            snprintf(out, outlen, "%.*s", (int)(e - v), v);
            return true;
        }
        p += ll + (eol ? 1 : 0);
    }
    return false;
}

const char *http_failure_kind(CURLcode code)
{
    switch (code) {
    case CURLE_OK:
        return "ok";
    case CURLE_COULDNT_RESOLVE_HOST:
        return "the host name does not resolve";
    case CURLE_COULDNT_CONNECT:
        return "connection refused or no route";
    case CURLE_OPERATION_TIMEDOUT:
        return "no answer in time (a firewall dropping packets?)";
    case CURLE_PEER_FAILED_VERIFICATION:
        return "the TLS certificate is not trusted or does not match the name";
    case CURLE_SSL_CONNECT_ERROR:
        return "the TLS handshake failed";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return "the connection was closed without an answer";
    case CURLE_WEIRD_SERVER_REPLY:
        return "the server does not speak the expected protocol";
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return "the URL is malformed";
    default:
        return curl_easy_strerror(code);
    }
}

bool parse_cert_time(const char *s, time_t *out)
{
    while (*s == ' ')
        s++;
    struct tm tm;
    const char *formats[] = {"%b %d %H:%M:%S %Y GMT", "%Y-%m-%d %H:%M:%S GMT", "%Y-%m-%d %H:%M:%S"};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        memset(&tm, 0, sizeof(tm));
        const char *end = strptime(s, formats[i], &tm);
        if (end && *end == '\0') {
            *out = timegm(&tm);
            return true;
        }
    }
    return false;
}

/* Declared in envvar.h with the other validators; defined here, with
 * libcurl, so a program without the HTTP client links without libcurl. */
bool env_check_http_url(const char *v, struct strbuf *why)
{
    /* Parsed by libcurl's URL API, the parser the request and the log
     * redaction use: "http://u:p@ss@host" must fail here, not leak "ss"
     * into a log line later. */
    bool ok = false;
    char *scheme = NULL, *host = NULL, *port = NULL;
    CURLU *u = curl_url();
    if (u && !strpbrk(v, " \"'<>\r\n\t") && curl_url_set(u, CURLUPART_URL, v, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        (!strcmp(scheme, "http") || !strcmp(scheme, "https")) &&
        (str_starts_with(v, "http://") || str_starts_with(v, "https://"))) {
        char hp[300];
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        if (snprintf(hp, sizeof(hp), "%s%s%s", host, port ? ":" : "", port ? port : "") <
            (int)sizeof(hp))
            ok = valid_host_port(hp);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    if (!ok)
        sb_puts(why, "is not an http(s):// URL (percent-encode @ : / in a user name or password)");
    return ok;
}
