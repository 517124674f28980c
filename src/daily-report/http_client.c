#include "http_client.h"

#include "cancel.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

void http_redact_url(const char *url, char *out, size_t outsz)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *slash = strchr(host, '/');
    const char *at = strchr(host, '@');
    const char *q = strchr(url, '?');
    int end = q ? (int)(q - url) : (int)strlen(url);
    const char *more = q ? "?..." : "";
    if (at && (!slash || at < slash) && (!q || at < q)) {
        snprintf(out, outsz, "%.*s***%.*s%s", (int)(host - url), url, (int)(end - (at - url)), at,
                 more);
        return;
    }
    snprintf(out, outsz, "%.*s%s", end, url, more);
}

struct sink {
    char *data;
    size_t len;
    size_t cap;
    int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > HTTP_MAX_BODY) {
        s->too_big = 1;
        return 0; /* makes curl abort with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *p = realloc(s->data, cap);
        if (!p)
            return 0;
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

int http_get(const char *url, long timeout_s, struct http_response *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    char shown[1024];
    http_redact_url(url, shown, sizeof(shown));
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errsz, "GET %s: cannot initialise libcurl", shown);
        return -1;
    }
    struct sink s = {0};
    char curlerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curlerr);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);        /* we run beside other threads */
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip when offered */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "daily-report/" VERSION);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cancel_xferinfo);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        if (s.too_big)
            snprintf(err, errsz, "GET %s: response larger than %u bytes", shown, HTTP_MAX_BODY);
        else
            snprintf(err, errsz, "GET %s: %s", shown,
                     curlerr[0] ? curlerr : curl_easy_strerror(rc));
        free(s.data);
        curl_easy_cleanup(h);
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(h);
    if (!s.data) {
        s.data = calloc(1, 1);
        if (!s.data) {
            snprintf(err, errsz, "GET %s: out of memory", shown);
            return -1;
        }
    }
    out->body = s.data;
    out->len = s.len;
    return 0;
}

void http_response_free(struct http_response *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

char *http_query_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}
