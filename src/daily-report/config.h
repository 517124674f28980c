/* Configuration, from the environment only (see docs/daily-report.md).
 *
 * Sources (PROMETHEUS_URL, ALERTMANAGER_URL, REPORT_DB_DSN) are optional:
 * an unset one makes its report section "unavailable". Delivery settings
 * are required only by the modes that send mail. */
#ifndef DAILY_REPORT_CONFIG_H
#define DAILY_REPORT_CONFIG_H

#include <stddef.h>

enum smtp_tls {
    SMTP_TLS_STARTTLS, /* smtp:// + mandatory STARTTLS (Mailgun on 587) */
    SMTP_TLS_IMPLICIT, /* smtps:// (port 465) */
    SMTP_TLS_NONE,     /* plain SMTP: loopback sinks only when credentials are set */
};

#define CONFIG_MAX_RCPT 32

struct config {
    /* sources; NULL when unset or empty */
    const char *prometheus_url;
    const char *alertmanager_url;
    const char *db_dsn;
    const char *grafana_url; /* optional link to the dashboards in the email */

    /* schedule */
    const char *tz;
    int hour, minute;

    /* delivery (filled by config_load_delivery) */
    const char *smtp_host;
    int smtp_port;
    enum smtp_tls smtp_tls;
    const char *smtp_user;
    char *smtp_password; /* owned: may come from SMTP_PASSWORD_FILE */
    const char *smtp_ca_file;
    const char *from_header; /* REPORT_FROM as given, e.g. "Monitoring <m@x.eu>" */
    char *from_addr;         /* owned: the bare address for MAIL FROM */
    char *rcpt[CONFIG_MAX_RCPT];
    size_t nrcpt;
    int smtp_attempts;
    int smtp_backoff_s;

    /* process */
    int catchup_minutes; /* send at startup if today's run was missed by at most this */
    const char *state_file;
    const char *metrics_listen;
};

/* getenv-like lookup, replaceable in tests. */
typedef const char *(*config_getenv_fn)(const char *name);

/* Sources, schedule and process settings. Returns 0, or -1 with err naming
 * the variable and the problem. */
int config_load(struct config *c, config_getenv_fn get, char *err, size_t errsz);

/* SMTP_*, REPORT_FROM, REPORT_TO, REPORT_SMTP_ATTEMPTS/BACKOFF_SECONDS. */
int config_load_delivery(struct config *c, config_getenv_fn get, char *err, size_t errsz);

void config_free(struct config *c);

/* Extracts the bare address from "Name <a@b>" or "a@b" into out; checks it
 * looks like one mailbox (one @, no spaces, no CR/LF, no angle brackets).
 * Returns 0 or -1. Exposed for unit tests. */
int config_parse_mailbox(const char *s, char *out, size_t outsz);

/* True for 127.0.0.0/8, ::1 and "localhost". */
int config_host_is_loopback(const char *host);

#endif
