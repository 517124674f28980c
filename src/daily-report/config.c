#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

/* Unset and empty mean the same: compose passes "${VAR:-}" as "". */
static const char *env(config_getenv_fn get, const char *name)
{
    const char *v = get(name);
    return (v && *v) ? v : NULL;
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

int config_load(struct config *c, config_getenv_fn get, char *err, size_t errsz)
{
    memset(c, 0, sizeof(*c));
    c->prometheus_url = env(get, "PROMETHEUS_URL");
    c->alertmanager_url = env(get, "ALERTMANAGER_URL");
    c->db_dsn = env(get, "REPORT_DB_DSN");
    c->grafana_url = env(get, "GRAFANA_URL");
    if (c->grafana_url && ((strncmp(c->grafana_url, "https://", 8) != 0 &&
                            strncmp(c->grafana_url, "http://", 7) != 0) ||
                           strpbrk(c->grafana_url, " \"'<>\r\n") != NULL)) {
        snprintf(err, errsz, "GRAFANA_URL: '%s' is not an http(s) URL", c->grafana_url);
        return -1;
    }

    c->tz = env(get, "REPORT_TZ");
    if (!c->tz)
        c->tz = "Europe/Paris";
    char why[512];
    if (schedule_check_tz(c->tz, why, sizeof(why)) != 0) {
        snprintf(err, errsz, "REPORT_TZ: %s", why);
        return -1;
    }
    const char *t = env(get, "REPORT_TIME");
    if (schedule_parse_time(t ? t : "08:00", &c->hour, &c->minute, why, sizeof(why)) != 0) {
        snprintf(err, errsz, "REPORT_TIME: %s", why);
        return -1;
    }
    c->catchup_minutes = 60;
    const char *cu = env(get, "REPORT_CATCHUP_MINUTES");
    if (cu && parse_int(cu, 0, 720, &c->catchup_minutes) != 0) {
        snprintf(err, errsz, "REPORT_CATCHUP_MINUTES: '%s' is not a number 0-720", cu);
        return -1;
    }
    c->state_file = env(get, "REPORT_STATE_FILE");
    if (!c->state_file)
        c->state_file = "/var/lib/daily-report/state";
    c->metrics_listen = env(get, "REPORT_METRICS_LISTEN");
    if (!c->metrics_listen)
        c->metrics_listen = "127.0.0.1:9201";
    return 0;
}

int config_host_is_loopback(const char *host)
{
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) == 1)
        return (ntohl(a.s_addr) >> 24) == 127;
    return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

int config_parse_mailbox(const char *s, char *out, size_t outsz)
{
    if (!s || has_crlf(s))
        return -1;
    const char *lt = strrchr(s, '<');
    const char *start = s, *end = s + strlen(s);
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1] != '\0')
            return -1;
        start = lt + 1;
        end = gt;
    } else {
        while (start < end && isspace((unsigned char)*start))
            start++;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
    }
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= outsz)
        return -1;
    int ats = 0;
    for (const char *p = start; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= ' ' || ch == 0x7F || ch == '<' || ch == '>' || ch == ',' || ch == '"' ||
            ch == '(' || ch == ')' || ch == ';')
            return -1;
        if (ch == '@')
            ats++;
    }
    if (ats != 1 || start[0] == '@' || end[-1] == '@')
        return -1;
    memcpy(out, start, n);
    out[n] = '\0';
    return 0;
}

static int read_secret_file(const char *path, char **out, char *err, size_t errsz)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "SMTP_PASSWORD_FILE: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (bad) {
        snprintf(err, errsz, "SMTP_PASSWORD_FILE: %s is unreadable or longer than %zu bytes", path,
                 sizeof(buf) - 2);
        return -1;
    }
    buf[n] = '\0';
    /* Files written by editors or `echo` end with a newline that is not
     * part of the secret. */
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n == 0) {
        snprintf(err, errsz, "SMTP_PASSWORD_FILE: %s is empty", path);
        return -1;
    }
    *out = strdup(buf);
    return *out ? 0 : -1;
}

static int load_recipients(struct config *c, const char *list, char *err, size_t errsz)
{
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[512];
        char addr[320];
        if (n >= sizeof(item)) {
            snprintf(err, errsz, "REPORT_TO: an address is longer than %zu bytes",
                     sizeof(item) - 1);
            return -1;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        int blank = 1;
        for (size_t i = 0; i < n; i++)
            if (!isspace((unsigned char)item[i]))
                blank = 0;
        if (!blank) {
            if (strchr(item, '<') || config_parse_mailbox(item, addr, sizeof(addr)) != 0) {
                snprintf(err, errsz,
                         "REPORT_TO: '%s' is not a bare e-mail address (expected "
                         "a@example.com[,b@example.com])",
                         item);
                return -1;
            }
            if (c->nrcpt == CONFIG_MAX_RCPT) {
                snprintf(err, errsz, "REPORT_TO: more than %d recipients", CONFIG_MAX_RCPT);
                return -1;
            }
            c->rcpt[c->nrcpt] = strdup(addr);
            if (!c->rcpt[c->nrcpt])
                return -1;
            c->nrcpt++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (c->nrcpt == 0) {
        snprintf(err, errsz, "REPORT_TO: no recipient address");
        return -1;
    }
    return 0;
}

int config_load_delivery(struct config *c, config_getenv_fn get, char *err, size_t errsz)
{
    c->smtp_host = env(get, "SMTP_HOST");
    if (!c->smtp_host) {
        snprintf(err, errsz, "SMTP_HOST is not set (the SMTP relay, e.g. smtp.eu.mailgun.org)");
        return -1;
    }
    if (has_crlf(c->smtp_host) || strchr(c->smtp_host, '/') || strchr(c->smtp_host, ' ')) {
        snprintf(err, errsz, "SMTP_HOST: '%s' is not a host name", c->smtp_host);
        return -1;
    }
    const char *tls = env(get, "SMTP_TLS");
    if (!tls || strcmp(tls, "starttls") == 0)
        c->smtp_tls = SMTP_TLS_STARTTLS;
    else if (strcmp(tls, "tls") == 0)
        c->smtp_tls = SMTP_TLS_IMPLICIT;
    else if (strcmp(tls, "none") == 0)
        c->smtp_tls = SMTP_TLS_NONE;
    else {
        snprintf(err, errsz, "SMTP_TLS: '%s' is not one of starttls, tls, none", tls);
        return -1;
    }
    const char *port = env(get, "SMTP_PORT");
    c->smtp_port = c->smtp_tls == SMTP_TLS_IMPLICIT ? 465 : 587;
    if (port && parse_int(port, 1, 65535, &c->smtp_port) != 0) {
        snprintf(err, errsz, "SMTP_PORT: '%s' is not a port number 1-65535", port);
        return -1;
    }
    c->smtp_user = env(get, "SMTP_USER");
    const char *pw = env(get, "SMTP_PASSWORD");
    const char *pwfile = env(get, "SMTP_PASSWORD_FILE");
    if (pw && pwfile) {
        snprintf(err, errsz, "SMTP_PASSWORD and SMTP_PASSWORD_FILE are both set; keep one");
        return -1;
    }
    if (pwfile) {
        if (read_secret_file(pwfile, &c->smtp_password, err, errsz) != 0)
            return -1;
    } else if (pw) {
        c->smtp_password = strdup(pw);
        if (!c->smtp_password)
            return -1;
    }
    if (c->smtp_user && !c->smtp_password) {
        snprintf(err, errsz, "SMTP_USER is set but SMTP_PASSWORD (or SMTP_PASSWORD_FILE) is not");
        return -1;
    }
    if (!c->smtp_user && c->smtp_password) {
        snprintf(err, errsz, "SMTP_PASSWORD is set but SMTP_USER is not");
        return -1;
    }
    /* Credentials in clear text over the Internet would leak the Mailgun
     * password; only a sink on this machine may go without TLS. */
    if (c->smtp_tls == SMTP_TLS_NONE && c->smtp_user && !config_host_is_loopback(c->smtp_host)) {
        snprintf(err, errsz,
                 "SMTP_TLS=none would send SMTP_PASSWORD unencrypted to %s; use "
                 "SMTP_TLS=starttls",
                 c->smtp_host);
        return -1;
    }
    c->smtp_ca_file = env(get, "SMTP_CA_FILE");

    c->from_header = env(get, "REPORT_FROM");
    if (!c->from_header) {
        snprintf(err, errsz,
                 "REPORT_FROM is not set (e.g. \"Monitoring <monitoring@example.com>\")");
        return -1;
    }
    char addr[320];
    if (config_parse_mailbox(c->from_header, addr, sizeof(addr)) != 0) {
        snprintf(err, errsz,
                 "REPORT_FROM: '%s' is not an address (a@example.com or Name <a@example.com>)",
                 c->from_header);
        return -1;
    }
    c->from_addr = strdup(addr);
    if (!c->from_addr)
        return -1;
    const char *to = env(get, "REPORT_TO");
    if (!to) {
        snprintf(err, errsz, "REPORT_TO is not set (comma-separated recipient addresses)");
        return -1;
    }
    if (load_recipients(c, to, err, errsz) != 0)
        return -1;

    c->smtp_attempts = 5;
    c->smtp_backoff_s = 30;
    const char *a = env(get, "REPORT_SMTP_ATTEMPTS");
    if (a && parse_int(a, 1, 20, &c->smtp_attempts) != 0) {
        snprintf(err, errsz, "REPORT_SMTP_ATTEMPTS: '%s' is not a number 1-20", a);
        return -1;
    }
    const char *b = env(get, "REPORT_SMTP_BACKOFF_SECONDS");
    if (b && parse_int(b, 0, 3600, &c->smtp_backoff_s) != 0) {
        snprintf(err, errsz, "REPORT_SMTP_BACKOFF_SECONDS: '%s' is not a number 0-3600", b);
        return -1;
    }
    return 0;
}

void config_free(struct config *c)
{
    if (c->smtp_password) {
        /* Do not leave the secret in freed heap memory. */
        volatile char *p = c->smtp_password;
        while (*p)
            *p++ = '\0';
        free(c->smtp_password);
    }
    free(c->from_addr);
    for (size_t i = 0; i < c->nrcpt; i++)
        free(c->rcpt[i]);
    memset(c, 0, sizeof(*c));
}
