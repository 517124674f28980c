#include "smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cancel.h"
#include "log.h"

#define SMTP_MAX_DELAY_S 900

struct upload {
    const char *data;
    size_t len;
    size_t off;
};

static size_t on_read(char *buf, size_t size, size_t nmemb, void *userdata)
{
    struct upload *u = userdata;
    size_t room = size * nmemb;
    size_t n = u->len - u->off < room ? u->len - u->off : room;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

enum smtp_result smtp_send_once(const struct config *c, const char *msg, size_t len, char *err,
                                size_t errsz)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errsz, "cannot initialise libcurl");
        return SMTP_TEMPORARY;
    }
    char url[512];
    snprintf(url, sizeof(url), "%s://%s:%d", c->smtp_tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp",
             c->smtp_host, c->smtp_port);
    struct curl_slist *rcpt = NULL;
    for (size_t i = 0; i < c->nrcpt; i++) {
        struct curl_slist *n = curl_slist_append(rcpt, c->rcpt[i]);
        if (!n) {
            curl_slist_free_all(rcpt);
            curl_easy_cleanup(h);
            snprintf(err, errsz, "out of memory");
            return SMTP_TEMPORARY;
        }
        rcpt = n;
    }
    char from[330];
    snprintf(from, sizeof(from), "<%s>", c->from_addr);
    struct upload u = {msg, len, 0};
    char curlerr[CURL_ERROR_SIZE] = "";

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curlerr);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cancel_xferinfo);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (c->smtp_tls == SMTP_TLS_STARTTLS)
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL); /* fail if no STARTTLS */
    if (c->smtp_ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->smtp_ca_file);
    if (c->smtp_user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->smtp_password);
    }
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    if (rc == CURLE_OK)
        return SMTP_OK;
    snprintf(err, errsz, "SMTP %s:%d: %s (last reply %ld)", c->smtp_host, c->smtp_port,
             curlerr[0] ? curlerr : curl_easy_strerror(rc), code);
    /* Login refused (535) or a rejected address (550...) will not heal by
     * itself; 4xx replies and transport errors may. */
    if ((code >= 500 && code < 600) || rc == CURLE_LOGIN_DENIED)
        return SMTP_PERMANENT;
    return SMTP_TEMPORARY;
}

int smtp_backoff_delay(int base_s, int attempt)
{
    long d = base_s;
    for (int i = 2; i < attempt && d < SMTP_MAX_DELAY_S; i++)
        d *= 2;
    return d > SMTP_MAX_DELAY_S ? SMTP_MAX_DELAY_S : (int)d;
}

int smtp_send_with_retry(const struct config *c, const char *msg, size_t len,
                         smtp_sleep_fn sleep_fn, int *attempts_made, char *err, size_t errsz)
{
    *attempts_made = 0;
    for (int attempt = 1; attempt <= c->smtp_attempts; attempt++) {
        if (attempt > 1) {
            int d = smtp_backoff_delay(c->smtp_backoff_s, attempt);
            log_info("retrying delivery in %d s (attempt %d of %d)", d, attempt, c->smtp_attempts);
            if (sleep_fn && sleep_fn(d)) {
                log_warn("stop requested; giving up delivery");
                return -1;
            }
        }
        if (cancel_requested()) {
            snprintf(err, errsz, "stop requested before delivery");
            return -1;
        }
        *attempts_made = attempt;
        enum smtp_result r = smtp_send_once(c, msg, len, err, errsz);
        if (r == SMTP_OK)
            return 0;
        log_warn("delivery attempt %d of %d failed: %s", attempt, c->smtp_attempts, err);
        if (r == SMTP_PERMANENT) {
            log_error("permanent SMTP failure; not retrying");
            return -1;
        }
    }
    return -1;
}
