/* Configuration, from the environment only (see docs/daily-report.md).
 *
 * Sources (PROMETHEUS_URL, ALERTMANAGER_URL, REPORT_DB_DSN) are optional:
 * an unset one makes its report section "unavailable". Delivery settings
 * are required only by the modes that send mail. */
#ifndef DAILY_REPORT_SETTINGS_H
#define DAILY_REPORT_SETTINGS_H

#include <stddef.h>

#include "envvar.h"
#include "smtpconf.h"

#define CONFIG_MAX_RCPT SMTP_MAX_RCPT

struct config {
    /* sources; NULL when unset or empty */
    const char *prometheus_url;
    const char *alertmanager_url;
    const char *db_dsn;
    const char *contract_file; /* REPORT_SCHEMA_CONTRACT; NULL: the reference schema */
    const char *grafana_url;   /* optional link to the dashboards in the email */
    int db_timeout_s;          /* connecting + the business queries, together */

    /* schedule */
    const char *tz;
    int hour, minute;

    /* delivery (filled by dr_config_load_delivery) */
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
typedef env_get_fn config_getenv_fn;

/* Sources, schedule and process settings (envtable.c: dr_env_table).
 * Returns 0, or -1 with err naming the variable, the problem and the fix. */
int dr_config_load(struct config *c, config_getenv_fn get, char *err, size_t errsz);

/* SMTP_*, REPORT_FROM, REPORT_TO, REPORT_SMTP_ATTEMPTS/BACKOFF_SECONDS
 * (dr_env_delivery_table), then the rules across them: SMTP_USER and a
 * password together, and the SMTP TLS rule of src/common/smtpconf.h. */
int dr_config_load_delivery(struct config *c, config_getenv_fn get, char *err, size_t errsz);

void dr_config_free(struct config *c);

#endif
