/* Group watcher: from Server F, the watcher at WATCHER_URL answers and
 * takes WATCHER_TOKEN - the two things the Watchdog route needs. The token
 * is proven with a request the watcher refuses for its body (400: token
 * accepted, nothing recorded as a heartbeat), and a wrong token must get
 * 401, so a watcher accepting anything is caught too. */
#include <stdio.h>
#include <string.h>

#include "doctor.h"
#include "httpclient.h"
#include "strutil.h"

/* POST url with an Authorization header; the HTTP status, or -1 with err. */
static long post_probe(struct doctor *d, const char *url, const char *auth, char *err, size_t errsz)
{
    struct curl_slist *h = curl_slist_append(NULL, auth);
    struct curl_slist *h2 = h ? curl_slist_append(h, "Content-Type: application/json") : NULL;
    struct http_request rq = {.method = "POST",
                              .url = url,
                              .body = "{\"doctor\":\"probe\"}",
                              .body_len = 18,
                              .headers = h2 ? h2 : h,
                              .timeout = d->opt->timeout,
                              .max_body = 4096};
    struct http_response rs;
    http_response_init(&rs);
    http_perform(&rq, &rs);
    long status = rs.code == CURLE_OK ? rs.status : -1;
    if (status < 0)
        snprintf(err, errsz, "%s", rs.error);
    http_response_free(&rs);
    curl_slist_free_all(h2 ? h2 : h);
    return status;
}

static void check_answers(struct doctor *d, const char *url)
{
    char base[600], health[640], err[600];
    snprintf(base, sizeof(base), "%s", url);
    if (str_ends_with(base, "/webhook"))
        base[strlen(base) - strlen("/webhook")] = '\0';
    snprintf(health, sizeof(health), "%s/healthz", base);
    struct http_response rs;
    if (http_get(health, d->opt->timeout, &rs, err, sizeof(err)) != 0) {
        doc_report_fail(d->rep, "watcher.answers",
                        "on the watcher's server: systemctl status watcher; ufw allows this "
                        "server on its port (scripts/install-watcher.sh --server-f-ip)",
                        "%s", err);
        return;
    }
    if (rs.status == 200)
        doc_report_pass(d->rep, "watcher.answers", "%s answers", health);
    else
        doc_report_fail(d->rep, "watcher.answers", "check WATCHER_URL (host and port)",
                        "%s answered HTTP %ld: not the watcher?", health, rs.status);
    http_response_free(&rs);
}

static void check_token(struct doctor *d, const char *url, const char *token)
{
    char auth[700], err[600];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    long good = post_probe(d, url, auth, err, sizeof(err));
    long bad =
        post_probe(d, url, "Authorization: Bearer doctor-wrong-token-0000", err, sizeof(err));
    if (good < 0) {
        doc_report_fail(d->rep, "watcher.token", "see watcher.answers", "POST %s: %s", url, err);
    } else if (good == 401) {
        doc_report_fail(d->rep, "watcher.token",
                        "put the same token in WATCHER_TOKEN (.env) and the watcher's token file, "
                        "then docker compose up -d --force-recreate config-init alertmanager",
                        "the watcher refuses WATCHER_TOKEN (HTTP 401)");
    } else if (good != 400) {
        doc_report_fail(d->rep, "watcher.token", "check WATCHER_URL (the path is /webhook)",
                        "POST %s answered HTTP %ld, not the watcher's 400 for a probe", url, good);
    } else if (bad != 401) {
        doc_report_fail(d->rep, "watcher.token",
                        "reinstall the watcher (scripts/install-watcher.sh)",
                        "the watcher does not refuse a wrong token (HTTP %ld)", bad);
    } else {
        doc_report_pass(d->rep, "watcher.token",
                        "the watcher accepts WATCHER_TOKEN and refuses a wrong one (probe not "
                        "recorded as a heartbeat)");
    }
}

void doc_check_watcher(struct doctor *d)
{
    const char *receiver = doc_raw(d, "WATCHDOG_RECEIVER");
    if (receiver && *receiver && strcmp(receiver, "watchdog-watcher") != 0) {
        doc_report_skip(d->rep, "watcher",
                        "WATCHDOG_RECEIVER=%s: the Watchdog does not go to "
                        "the watcher",
                        receiver);
        return;
    }
    struct strbuf why;
    sb_init(&why);
    const char *url = doc_input(d, "WATCHER_URL", &why);
    const char *token = doc_input(d, "WATCHER_TOKEN", &why);
    if (why.len) {
        doc_report_fail(d->rep, "watcher.answers",
                        "set WATCHER_URL and WATCHER_TOKEN in .env (docs/watcher.md), or another "
                        "WATCHDOG_RECEIVER",
                        "cannot check: %s", sb_str(&why));
        sb_free(&why);
        return;
    }
    sb_free(&why);
    doc_report_add_secret(d->rep, token);
    check_answers(d, url);
    check_token(d, url, token);
}
