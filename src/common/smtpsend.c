#include "smtpsend.h"

#include <stdio.h>
#include <string.h>

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

static void set_server(CURL *h, const struct smtp_server *s)
{
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                     s->connect_timeout_s > 0 ? s->connect_timeout_s : 15L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout_s > 0 ? s->timeout_s : 120L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (s->progress) {
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, s->progress);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    if (s->tls == SMTP_TLS_STARTTLS)
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL); /* fail if no STARTTLS */
    if (s->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
    if (s->user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, s->password ? s->password : "");
    }
}

enum smtp_result smtp_send(const struct smtp_server *s, const char *from, const char *const *rcpt,
                           size_t nrcpt, const char *msg, size_t len, char *err, size_t errsz)
{
    CURL *h = curl_easy_init();
    struct curl_slist *list = NULL;
    for (size_t i = 0; h && i < nrcpt; i++) {
        struct curl_slist *n = curl_slist_append(list, rcpt[i]);
        if (!n) {
            curl_slist_free_all(list);
            curl_easy_cleanup(h);
            h = NULL;
        }
        list = n;
    }
    if (!h) {
        snprintf(err, errsz, "cannot initialise libcurl (out of memory?)");
        return SMTP_TEMPORARY;
    }
    char url[512], envelope_from[330], curlerr[CURL_ERROR_SIZE] = "";
    snprintf(url, sizeof(url), "%s://%s:%d", s->tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp",
             s->host, s->port);
    snprintf(envelope_from, sizeof(envelope_from), "<%s>", from);
    struct upload u = {msg, len, 0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, envelope_from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, list);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curlerr);
    set_server(h, s);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(list);
    curl_easy_cleanup(h);
    if (rc == CURLE_OK)
        return SMTP_OK;
    snprintf(err, errsz, "SMTP %s:%d: %s (last reply %ld)", s->host, s->port,
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
