#include "envtable.h"

#include <string.h>

#include "duration.h"
#include "listenaddr.h"
#include "smtpconf.h"

bool wd_check_cluster(const char *v, struct strbuf *why)
{
    size_t n = strlen(v);
    if (n == 0 || n > 100 ||
        strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n) {
        sb_puts(why, "must be 1-100 letters, digits, '.', '_' or '-'");
        return false;
    }
    return true;
}

static bool check_backoff(const char *v, struct strbuf *why)
{
    return env_check_int(v, 1, 3600, why);
}

static const struct env_var vars[] = {
    {"WATCHER_LISTEN", ENV_OPTIONAL, listen_addr_check,
     "ADDR:PORT reachable from Server F, e.g. WATCHER_LISTEN=203.0.113.10:9202", NULL},
    {"WATCHER_TOKEN_FILE", ENV_REQUIRED, NULL,
     "a file holding the bearer token Alertmanager sends (16+ characters)", NULL},
    {"WATCHER_CLUSTER", ENV_REQUIRED, wd_check_cluster,
     "the cluster label of the Prometheus to watch, e.g. WATCHER_CLUSTER=ecotrans-prod",
     "MONITORING_CLUSTER"},
    {"WATCHER_WATCHED", ENV_OPTIONAL, NULL, "how mails name the watched server, e.g. Server F",
     NULL},
    {"WATCHER_GRACE", ENV_OPTIONAL, wd_duration_check, "e.g. WATCHER_GRACE=10m", NULL},
    {"WATCHER_REMIND", ENV_OPTIONAL, wd_duration_check, "e.g. WATCHER_REMIND=3h", NULL},
    {"WATCHER_STEADY", ENV_OPTIONAL, wd_duration_check, "e.g. WATCHER_STEADY=5m", NULL},
    {"WATCHER_STATE_FILE", ENV_OPTIONAL, NULL, "a writable file path", NULL},
    {"WATCHER_SMTP_BACKOFF_SECONDS", ENV_OPTIONAL, check_backoff,
     "first retry delay of a failed mail, e.g. 30", NULL},
    {"SMTP_HOST", ENV_REQUIRED, env_check_hostname, "e.g. SMTP_HOST=smtp.eu.mailgun.org",
     "SMTP_HOST"},
    {"SMTP_TLS", ENV_OPTIONAL, smtp_check_tls_mode,
     "starttls, tls or none; unset: tls on port 465, starttls otherwise", "SMTP_TLS"},
    {"SMTP_PORT", ENV_OPTIONAL, env_check_port, SMTP_PORT_FIX, "SMTP_PORT"},
    {"SMTP_USER", ENV_OPTIONAL, smtp_check_user, "the SMTP login, e.g. postmaster@mg.example.eu",
     "SMTP_USER"},
    {"SMTP_PASSWORD_FILE", ENV_OPTIONAL, NULL, "a file holding the SMTP password", NULL},
    {"SMTP_CA_FILE", ENV_OPTIONAL, NULL, "a PEM file of CA certificates", NULL},
    {"SMTP_FROM", ENV_REQUIRED, smtp_check_mailbox,
     "e.g. SMTP_FROM=\"Monitoring <monitoring@example.eu>\"", "SMTP_FROM"},
    {"ALERT_EMAIL_TO", ENV_REQUIRED, smtp_check_rcpt_list,
     "comma-separated addresses, e.g. ALERT_EMAIL_TO=ops@example.eu", "ALERT_EMAIL_TO"},
};

const struct env_table wd_env_table = {"watcher", vars, sizeof(vars) / sizeof(vars[0])};
