#include "envtable.h"

#include "contract.h"
#include "listenaddr.h"
#include "pgconn.h"
#include "smtpconf.h"
#include "timeparse.h"

static bool check_catchup(const char *v, struct strbuf *why)
{
    return env_check_int(v, 0, 720, why);
}

static bool check_db_timeout(const char *v, struct strbuf *why)
{
    return env_check_int(v, 1, 600, why);
}

/* The schema contract must parse: its errors name the file, line and key. */
static bool check_contract(const char *v, struct strbuf *why)
{
    struct contract c;
    char err[512];
    if (ct_load_file(v, &c, err, sizeof(err)) == 0)
        return true;
    sb_puts(why, err);
    return false;
}

static bool check_attempts(const char *v, struct strbuf *why)
{
    return env_check_int(v, 1, 20, why);
}

static bool check_backoff(const char *v, struct strbuf *why)
{
    return env_check_int(v, 0, 3600, why);
}

static bool check_user(const char *v, struct strbuf *why)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= ' ') {
            sb_puts(why, "contains whitespace");
            return false;
        }
    return true;
}

static const struct env_var sources[] = {
    {"PROMETHEUS_URL", ENV_NO_ECHO, env_check_http_url,
     "the Prometheus (or Thanos Query) base URL, e.g. http://thanos-query:10902", NULL},
    {"ALERTMANAGER_URL", ENV_NO_ECHO, env_check_http_url,
     "the Alertmanager base URL, e.g. http://alertmanager:9093", NULL},
    {"REPORT_DB_DSN", ENV_SECRET, pg_check_conninfo,
     "host=... port=5432 dbname=postgres user=grafana_readonly password=... sslmode=require", NULL},
    {"REPORT_DB_TIMEOUT_SECONDS", ENV_OPTIONAL, check_db_timeout,
     "seconds for connecting and the business query together, e.g. "
     "REPORT_DB_TIMEOUT_SECONDS=30",
     NULL},
    {"REPORT_SCHEMA_CONTRACT", ENV_OPTIONAL, check_contract,
     "the schema contract file, e.g. REPORT_SCHEMA_CONTRACT=/etc/daily-report/contract.yaml "
     "(default: the reference schema, sql/contract.yaml as shipped)",
     NULL},
    {"GRAFANA_URL", ENV_NO_ECHO, env_check_http_url,
     "e.g. GRAFANA_URL=https://monitoring.example.eu", NULL},
    {"REPORT_TZ", ENV_OPTIONAL, time_zone_check,
     "e.g. REPORT_TZ=Europe/Paris (a zoneinfo name or a POSIX TZ string; "
     "unset: " DR_REPORT_TZ_DEFAULT ")",
     "REPORT_TZ"},
    {"REPORT_TIME", ENV_OPTIONAL, time_of_day_check,
     "e.g. REPORT_TIME=08:00 (unset: " DR_REPORT_TIME_DEFAULT ")", "REPORT_TIME"},
    {"REPORT_CATCHUP_MINUTES", ENV_OPTIONAL, check_catchup, "e.g. REPORT_CATCHUP_MINUTES=60", NULL},
    {"REPORT_STATE_FILE", ENV_OPTIONAL, NULL, "a writable file path", NULL},
    {"REPORT_METRICS_LISTEN", ENV_OPTIONAL, listen_addr_check,
     "ADDR:PORT, e.g. REPORT_METRICS_LISTEN=127.0.0.1:9201", NULL},
};

static const struct env_var delivery[] = {
    {"SMTP_HOST", ENV_REQUIRED, env_check_hostname, "e.g. SMTP_HOST=smtp.eu.mailgun.org",
     "SMTP_HOST"},
    {"SMTP_TLS", ENV_OPTIONAL, smtp_check_tls_mode,
     "starttls, tls or none; unset: tls on port 465, starttls otherwise", "SMTP_TLS"},
    {"SMTP_PORT", ENV_OPTIONAL, env_check_port, "SMTP_PORT=587 (STARTTLS) or 465 (TLS)",
     "SMTP_PORT"},
    {"SMTP_USER", ENV_OPTIONAL, check_user, "the SMTP login, e.g. postmaster@mg.example.eu",
     "SMTP_USER"},
    {"SMTP_PASSWORD", ENV_SECRET, NULL, "the SMTP password of SMTP_USER", "SMTP_PASSWORD"},
    {"SMTP_PASSWORD_FILE", ENV_OPTIONAL, NULL, "a file holding the SMTP password", NULL},
    {"SMTP_CA_FILE", ENV_OPTIONAL, NULL, "a PEM file of CA certificates", NULL},
    {"REPORT_FROM", ENV_REQUIRED, smtp_check_mailbox,
     "e.g. REPORT_FROM=\"Monitoring <monitoring@example.eu>\"", "SMTP_FROM"},
    {"REPORT_TO", ENV_REQUIRED, smtp_check_rcpt_list,
     "comma-separated addresses, e.g. REPORT_TO=ops@example.eu,boss@example.eu", "REPORT_EMAIL_TO"},
    {"REPORT_SMTP_ATTEMPTS", ENV_OPTIONAL, check_attempts, "e.g. REPORT_SMTP_ATTEMPTS=5", NULL},
    {"REPORT_SMTP_BACKOFF_SECONDS", ENV_OPTIONAL, check_backoff,
     "e.g. REPORT_SMTP_BACKOFF_SECONDS=30", NULL},
};

const struct env_table dr_env_table = {"daily-report", sources,
                                       sizeof(sources) / sizeof(sources[0])};
const struct env_table dr_env_delivery_table = {"daily-report", delivery,
                                                sizeof(delivery) / sizeof(delivery[0])};
