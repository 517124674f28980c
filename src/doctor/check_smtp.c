/* Group smtp: connect, STARTTLS and AUTH against SMTP_HOST:SMTP_PORT the
 * way Alertmanager and the daily report will, without sending mail: after
 * AUTH the session sends NOOP and QUIT (libcurl runs a custom command
 * instead of a mail transaction when no recipient is given). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"
#include "httpclient.h"
#include "smtp_transcript.h"
#include "smtpconf.h"
#include "validate.h"

static int on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *userp)
{
    (void)c;
    struct smtp_transcript *t = userp;
    if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT && type != CURLINFO_TEXT)
        return 0;
    /* One callback may carry several lines. */
    size_t i = 0;
    while (i < size) {
        size_t j = i;
        while (j < size && data[j] != '\n')
            j++;
        size_t len = j - i;
        if (len && data[i + len - 1] == '\r')
            len--;
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1),
                 data + i);
        if (type == CURLINFO_HEADER_IN)
            doc_smtp_transcript_in(t, line);
        else if (type == CURLINFO_HEADER_OUT)
            doc_smtp_transcript_out(t, line);
        else
            doc_smtp_transcript_info(t, line);
        i = j + 1;
    }
    return 0;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *userp)
{
    (void)data;
    (void)userp;
    return size * nmemb;
}

/* The session's inputs, with the TLS mode from the one rule every sender
 * uses (src/common/smtpconf.h). */
struct smtp_check {
    struct doctor *d;
    const char *host, *user, *password;
    int port;
    enum smtp_tls tls;
    char where[600];
    /* the session */
    struct smtp_transcript t;
    CURLcode code;
    char errbuf[CURL_ERROR_SIZE];
};

static bool smtp_inputs(struct doctor *d, struct smtp_check *k)
{
    struct strbuf why;
    sb_init(&why);
    k->d = d;
    k->host = doc_input(d, "SMTP_HOST", &why);
    /* SMTP_PORT is optional: empty, the port every sender takes. */
    const char *port_s = doc_dotenv_get(&d->env, "SMTP_PORT");
    if (port_s && !*port_s)
        port_s = NULL;
    k->user = doc_input(d, "SMTP_USER", &why);
    k->password = doc_input(d, "SMTP_PASSWORD", &why);
    const char *mode = doc_dotenv_get(&d->env, "SMTP_TLS");
    if (port_s && !valid_port(port_s, &k->port))
        doc_sb_list_add(&why, "; ", "SMTP_PORT=%s is not a port number (1-65535)", port_s);
    else if (smtp_tls_resolve(mode, k->port, &k->tls) != 0)
        doc_sb_list_add(&why, "; ", "SMTP_TLS=%s is not one of starttls, tls, none", mode);
    else if (!port_s)
        k->port = smtp_tls_default_port(k->tls);
    bool ok = why.len == 0;
    if (!ok) {
        doc_report_fail(d->rep, "smtp.connect", doc_input_fix(d), "cannot check: %s", sb_str(&why));
        doc_report_skip(d->rep, "smtp.starttls", "needs the SMTP_* variables");
        doc_report_skip(d->rep, "smtp.auth", "needs the SMTP_* variables");
    }
    sb_free(&why);
    snprintf(k->where, sizeof(k->where), "%s:%d", k->host ? k->host : "", k->port);
    return ok;
}

/* Connect, TLS and AUTH, then NOOP and QUIT: the transcript says how far
 * it got. false when libcurl could not start (reported). */
static bool smtp_session(struct smtp_check *k)
{
    char ehlo[128] = "doctor", url[512];
    gethostname(ehlo, sizeof(ehlo) - 1);
    snprintf(url, sizeof(url), "%s://%s:%d/%s", k->tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp",
             k->host, k->port, ehlo);
    doc_smtp_transcript_init(&k->t);
    CURL *c = curl_easy_init();
    if (!c) {
        doc_report_fail(k->d->rep, "smtp.connect", "reinstall libcurl", "libcurl could not start");
        return false;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, k->d->opt->timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, k->d->opt->timeout);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, k->errbuf);
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     (long)(k->tls == SMTP_TLS_NONE ? CURLUSESSL_NONE : CURLUSESSL_ALL));
    curl_easy_setopt(c, CURLOPT_USERNAME, k->user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, k->password);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "NOOP");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &k->t);
    if (k->d->opt->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, k->d->opt->cacert);
    k->code = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (k->code != CURLE_OK && !k->errbuf[0])
        snprintf(k->errbuf, sizeof(k->errbuf), "%s", curl_easy_strerror(k->code));
    return true;
}

/* 1. connect + greeting; false when there is no session to judge further. */
static bool smtp_judge_connect(struct smtp_check *k)
{
    struct report *r = k->d->rep;
    if (!k->t.greeting_code) {
        CURLcode code = k->code;
        const char *fix = code == CURLE_COULDNT_RESOLVE_HOST
                              ? "check SMTP_HOST (Mailgun EU: smtp.eu.mailgun.org)"
                              : "outbound port blocked? check the provider's firewall; "
                                "Mailgun also listens on 587, 465 and 2525";
        if (k->tls == SMTP_TLS_IMPLICIT && code != CURLE_COULDNT_RESOLVE_HOST &&
            code != CURLE_COULDNT_CONNECT && code != CURLE_OPERATION_TIMEDOUT)
            fix = "port 465 expects TLS from the first byte; check SMTP_PORT (587 for STARTTLS)";
        doc_report_fail(r, "smtp.connect", fix, "cannot talk to %s: %s (%s)", k->where,
                        http_failure_kind(code), k->errbuf);
    } else if (k->t.greeting_code != 220) {
        doc_report_fail(r, "smtp.connect", "check SMTP_HOST and SMTP_PORT",
                        "%s refused the session: %s", k->where, k->t.greeting);
    } else {
        doc_report_pass(r, "smtp.connect", "%s answered: %s", k->where, k->t.greeting);
        return true;
    }
    doc_report_skip(r, "smtp.starttls", "no SMTP session (see smtp.connect)");
    doc_report_skip(r, "smtp.auth", "no SMTP session (see smtp.connect)");
    return false;
}

/* 2. TLS, implicit or STARTTLS; true when the session is encrypted. */
static bool smtp_judge_tls(struct smtp_check *k)
{
    struct report *r = k->d->rep;
    const struct smtp_transcript *t = &k->t;
    bool implicit = k->tls == SMTP_TLS_IMPLICIT, ok = false;
    if (implicit) {
        if (t->tls_up) {
            doc_report_pass(r, "smtp.starttls", "TLS from the first byte (port 465): %s",
                            t->tls_info);
            ok = true;
        }
    } else if (!t->starttls_sent) {
        doc_report_fail(r, "smtp.starttls",
                        "use the provider's submission port with STARTTLS (SMTP_PORT=587) or TLS "
                        "(465)",
                        "%s does not offer STARTTLS: the password would cross the network in clear",
                        k->where);
    } else if (t->starttls_code != 220) {
        doc_report_fail(r, "smtp.starttls", "check SMTP_HOST and SMTP_PORT",
                        "%s refused STARTTLS (reply %d)", k->where, t->starttls_code);
    } else if (t->tls_up) {
        doc_report_pass(r, "smtp.starttls", "STARTTLS negotiated: %s", t->tls_info);
        ok = true;
    }
    if (!ok && (implicit || (t->starttls_sent && t->starttls_code == 220))) {
        const char *fix = k->code == CURLE_PEER_FAILED_VERIFICATION
                              ? "SMTP_HOST must be the name on the provider's certificate "
                                "(e.g. smtp.eu.mailgun.org)"
                              : "check SMTP_HOST and SMTP_PORT";
        doc_report_fail(r, "smtp.starttls", fix, "TLS with %s failed: %s (%s)", k->where,
                        http_failure_kind(k->code), k->errbuf);
    }
    if (!ok)
        doc_report_skip(r, "smtp.auth", "AUTH is only tried over TLS (see smtp.starttls)");
    return ok;
}

/* 3. AUTH */
static void smtp_judge_auth(struct smtp_check *k)
{
    struct report *r = k->d->rep;
    const struct smtp_transcript *t = &k->t;
    const char *auth_fix = "check SMTP_USER and SMTP_PASSWORD (Mailgun: Sending > Domain "
                           "settings > SMTP credentials; EU domains authenticate only at "
                           "smtp.eu.mailgun.org)";
    if (!t->auth_sent && !t->offers_auth)
        doc_report_fail(r, "smtp.auth",
                        "point SMTP_HOST/SMTP_PORT at the provider's authenticated submission "
                        "service",
                        "%s offers no AUTH after TLS: SMTP_USER/SMTP_PASSWORD were not tested",
                        k->where);
    else if (!t->auth_sent)
        doc_report_fail(r, "smtp.auth", "ask the provider for PLAIN or LOGIN authentication",
                        "no AUTH mechanism in common with %s (it offers: %s)", k->where,
                        t->auth_mechs);
    else if (t->auth_code == 235)
        doc_report_pass(r, "smtp.auth",
                        "AUTH %s accepted for %s; no mail sent (the session ended with NOOP, QUIT)",
                        t->auth_mech, k->user);
    else if (t->auth_code)
        doc_report_fail(r, "smtp.auth", auth_fix, "AUTH %s rejected for %s: %s", t->auth_mech,
                        k->user, t->auth_reply);
    else if (k->code == CURLE_OPERATION_TIMEDOUT)
        doc_report_fail(r, "smtp.auth", auth_fix, "%s did not answer AUTH %s within %ld s",
                        k->where, t->auth_mech, k->d->opt->timeout);
    else
        doc_report_fail(r, "smtp.auth", auth_fix, "no answer to AUTH %s from %s: %s (%s)",
                        t->auth_mech, k->where, http_failure_kind(k->code), k->errbuf);
}

void doc_check_smtp(struct doctor *d)
{
    struct smtp_check k;
    memset(&k, 0, sizeof(k));
    if (!smtp_inputs(d, &k) || !smtp_session(&k) || !smtp_judge_connect(&k))
        return;
    if (k.tls == SMTP_TLS_NONE)
        doc_report_skip(d->rep, "smtp.starttls",
                        "SMTP_TLS=none: plain SMTP (allowed only towards a sink on this machine)");
    if (k.tls == SMTP_TLS_NONE || smtp_judge_tls(&k))
        smtp_judge_auth(&k);
}
