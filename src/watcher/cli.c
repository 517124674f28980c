#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: watcher [--check-config] [--verbose] | --help | --version\n"
    "\n"
    "Receives Alertmanager's Watchdog webhook (POST /webhook, bearer token) and\n"
    "mails when it stops: once after WATCHER_GRACE of silence, a reminder every\n"
    "WATCHER_REMIND, and once when heartbeats are steady again (WATCHER_STEADY).\n"
    "Serves /metrics and /healthz on the same address. Settings come from the\n"
    "environment (secrets only from files):\n"
    "  WATCHER_LISTEN       ADDR:PORT (default 127.0.0.1:9202)\n"
    "  WATCHER_TOKEN_FILE   file holding the bearer token (required)\n"
    "  WATCHER_CLUSTER      the cluster label of the watched Prometheus (required)\n"
    "  WATCHER_WATCHED      how mails name it (default \"Server F\")\n"
    "  WATCHER_GRACE, WATCHER_REMIND, WATCHER_STEADY   periods (10m, 3h, 5m)\n"
    "  WATCHER_STATE_FILE   default /var/lib/watcher/state\n"
    "  WATCHER_SMTP_BACKOFF_SECONDS   first retry delay of a failed mail (30)\n"
    "  SMTP_HOST, SMTP_PORT, SMTP_TLS, SMTP_USER, SMTP_PASSWORD_FILE, SMTP_CA_FILE,\n"
    "  SMTP_FROM, ALERT_EMAIL_TO   as in the stack's .env\n"
    "\n"
    "--check-config  validate the settings and exit (0 when good)\n"
    "--verbose       also log every accepted heartbeat\n";

const char *wd_cli_usage(void)
{
    return usage;
}

enum wd_cli_action wd_cli_parse(int argc, char **argv, struct wd_cli *c, char *err, size_t errsz)
{
    memset(c, 0, sizeof(*c));
    err[0] = '\0';
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return WD_CLI_HELP;
        if (strcmp(argv[i], "--version") == 0)
            return WD_CLI_VERSION;
        if (strcmp(argv[i], "--check-config") == 0) {
            c->check_only = 1;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            c->verbose = 1;
        } else {
            snprintf(err, errsz, "unknown argument '%s'", argv[i]);
            return WD_CLI_USAGE;
        }
    }
    return WD_CLI_RUN;
}
