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
#include "smtp.h"
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
            smtp_transcript_in(t, line);
        else if (type == CURLINFO_HEADER_OUT)
            smtp_transcript_out(t, line);
        else
            smtp_transcript_info(t, line);
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

void doctor_check_smtp(struct doctor *d)
{
    struct report *r = d->rep;
    struct strbuf why;
    sb_init(&why);
    const char *host = doctor_input(d, "SMTP_HOST", &why);
    const char *port_s = doctor_input(d, "SMTP_PORT", &why);
    const char *user = doctor_input(d, "SMTP_USER", &why);
    const char *password = doctor_input(d, "SMTP_PASSWORD", &why);
    int port = 0;
    if (port_s && !valid_port(port_s, &port))
        sb_list_add(&why, "; ", "SMTP_PORT=%s is not a port number", port_s);
    if (why.len) {
        report_fail(r, "smtp.connect", doctor_input_fix(d), "cannot check: %s", sb_str(&why));
        report_skip(r, "smtp.starttls", "needs the SMTP_* variables");
        report_skip(r, "smtp.auth", "needs the SMTP_* variables");
        sb_free(&why);
        return;
    }
    sb_free(&why);

    /* 465 is TLS from the first byte (smtps); every other port must
     * upgrade with STARTTLS before the password is sent. */
    bool implicit_tls = port == 465;
    char ehlo[128] = "doctor";
    gethostname(ehlo, sizeof(ehlo) - 1);
    char url[512];
    snprintf(url, sizeof(url), "%s://%s:%d/%s", implicit_tls ? "smtps" : "smtp", host, port, ehlo);

    struct smtp_transcript t;
    smtp_transcript_init(&t);
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = curl_easy_init();
    if (!c) {
        report_fail(r, "smtp.connect", "reinstall libcurl", "libcurl could not start");
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, d->opt->timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, d->opt->timeout);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    curl_easy_setopt(c, CURLOPT_USERNAME, user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, password);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "NOOP");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &t);
    if (d->opt->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, d->opt->cacert);
    CURLcode code = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (code != CURLE_OK && !errbuf[0])
        snprintf(errbuf, sizeof(errbuf), "%s", curl_easy_strerror(code));

    char where[600];
    snprintf(where, sizeof(where), "%s:%d", host, port);

    /* 1. connect + greeting */
    if (!t.greeting_code) {
        const char *fix = code == CURLE_COULDNT_RESOLVE_HOST
                              ? "check SMTP_HOST (Mailgun EU: smtp.eu.mailgun.org)"
                              : "outbound port blocked? check the provider's firewall; "
                                "Mailgun also listens on 587, 465 and 2525";
        if (implicit_tls && code != CURLE_COULDNT_RESOLVE_HOST && code != CURLE_COULDNT_CONNECT &&
            code != CURLE_OPERATION_TIMEDOUT)
            fix = "port 465 expects TLS from the first byte; check SMTP_PORT (587 for STARTTLS)";
        report_fail(r, "smtp.connect", fix, "cannot talk to %s: %s (%s)", where,
                    http_failure_kind(code), errbuf);
        report_skip(r, "smtp.starttls", "no SMTP session (see smtp.connect)");
        report_skip(r, "smtp.auth", "no SMTP session (see smtp.connect)");
        return;
    }
    if (t.greeting_code != 220) {
        report_fail(r, "smtp.connect", "check SMTP_HOST and SMTP_PORT",
                    "%s refused the session: %s", where, t.greeting);
        report_skip(r, "smtp.starttls", "no SMTP session (see smtp.connect)");
        report_skip(r, "smtp.auth", "no SMTP session (see smtp.connect)");
        return;
    }
    report_pass(r, "smtp.connect", "%s answered: %s", where, t.greeting);

    /* 2. TLS */
    bool tls_ok = false;
    if (implicit_tls) {
        if (t.tls_up) {
            report_pass(r, "smtp.starttls", "TLS from the first byte (port 465): %s", t.tls_info);
            tls_ok = true;
        }
    } else if (!t.starttls_sent) {
        report_fail(r, "smtp.starttls",
                    "use the provider's submission port with STARTTLS (SMTP_PORT=587) or TLS "
                    "(465)",
                    "%s does not offer STARTTLS: the password would cross the network in clear",
                    where);
    } else if (t.starttls_code != 220) {
        report_fail(r, "smtp.starttls", "check SMTP_HOST and SMTP_PORT",
                    "%s refused STARTTLS (reply %d)", where, t.starttls_code);
    } else if (t.tls_up) {
        report_pass(r, "smtp.starttls", "STARTTLS negotiated: %s", t.tls_info);
        tls_ok = true;
    }
    if (!tls_ok && (implicit_tls || (t.starttls_sent && t.starttls_code == 220))) {
        const char *fix = code == CURLE_PEER_FAILED_VERIFICATION
                              ? "SMTP_HOST must be the name on the provider's certificate "
                                "(e.g. smtp.eu.mailgun.org)"
                              : "check SMTP_HOST and SMTP_PORT";
        report_fail(r, "smtp.starttls", fix, "TLS with %s failed: %s (%s)", where,
                    http_failure_kind(code), errbuf);
    }
    if (!tls_ok) {
        report_skip(r, "smtp.auth", "AUTH is only tried over TLS (see smtp.starttls)");
        return;
    }

    /* 3. AUTH */
    const char *auth_fix = "check SMTP_USER and SMTP_PASSWORD (Mailgun: Sending > Domain "
                           "settings > SMTP credentials; EU domains authenticate only at "
                           "smtp.eu.mailgun.org)";
    if (!t.auth_sent) {
        if (!t.offers_auth)
            report_fail(r, "smtp.auth",
                        "point SMTP_HOST/SMTP_PORT at the provider's authenticated submission "
                        "service",
                        "%s offers no AUTH after TLS: SMTP_USER/SMTP_PASSWORD were not tested",
                        where);
        else
            report_fail(r, "smtp.auth", "ask the provider for PLAIN or LOGIN authentication",
                        "no AUTH mechanism in common with %s (it offers: %s)", where, t.auth_mechs);
    } else if (t.auth_code == 235) {
        report_pass(r, "smtp.auth",
                    "AUTH %s accepted for %s; no mail sent (the session ended with NOOP, QUIT)",
                    t.auth_mech, user);
    } else if (t.auth_code) {
        report_fail(r, "smtp.auth", auth_fix, "AUTH %s rejected for %s: %s", t.auth_mech, user,
                    t.auth_reply);
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
        report_fail(r, "smtp.auth", auth_fix, "%s did not answer AUTH %s within %ld s", where,
                    t.auth_mech, d->opt->timeout);
    } else {
        report_fail(r, "smtp.auth", auth_fix, "no answer to AUTH %s from %s: %s (%s)", t.auth_mech,
                    where, http_failure_kind(code), errbuf);
    }
}
