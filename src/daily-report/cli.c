#include "cli.h"

#include <getopt.h>
#include <string.h>

void dr_cli_usage(FILE *f)
{
    fprintf(f, "usage: daily-report [--metrics-listen ADDR:PORT] [--state-file PATH]\n"
               "       daily-report --once [--state-file PATH]\n"
               "       daily-report --dry-run --out FILE.html\n"
               "       daily-report --healthcheck [--metrics-listen ADDR:PORT]\n"
               "\n"
               "Builds the daily health report (infrastructure, queues, business figures,\n"
               "active alerts, 24 h charts) and emails it. Configuration comes from the\n"
               "environment: PROMETHEUS_URL, ALERTMANAGER_URL, REPORT_DB_DSN, SMTP_HOST,\n"
               "SMTP_PORT, SMTP_TLS, SMTP_USER, SMTP_PASSWORD[_FILE], SMTP_CA_FILE,\n"
               "REPORT_FROM, REPORT_TO, REPORT_TZ, REPORT_TIME, REPORT_SMTP_ATTEMPTS,\n"
               "REPORT_SMTP_BACKOFF_SECONDS, REPORT_CATCHUP_MINUTES, REPORT_STATE_FILE,\n"
               "REPORT_METRICS_LISTEN, REPORT_DB_TIMEOUT_SECONDS, GRAFANA_URL (see\n"
               "docs/daily-report.md).\n"
               "\n"
               "  (no mode)              daemon: send every day at REPORT_TIME in REPORT_TZ,\n"
               "                         serve /metrics; SIGUSR1 sends one report now\n"
               "  --once                 send one report now, then exit\n"
               "  --dry-run --out FILE   write the HTML report (images inline) without sending\n"
               "  --healthcheck          exit 0 when the daemon's /-/healthy answers\n"
               "  --metrics-listen A:P   daemon metrics address (default REPORT_METRICS_LISTEN\n"
               "                         or 127.0.0.1:9201)\n"
               "  --state-file PATH      last-success timestamp file (default REPORT_STATE_FILE\n"
               "                         or /var/lib/daily-report/state)\n"
               "  --help, --version\n"
               "\n"
               "Exit status (--once, --dry-run): 0 sent and complete; 1 not sent (or file not\n"
               "written); 2 sent but some sections unavailable; 3 usage or configuration error.\n");
}

/* The combinations the options allow. */
static enum dr_cli_action check_modes(const struct dr_cli *c, char *err, size_t errsz)
{
    if (c->once + c->dry + c->health > 1) {
        snprintf(err, errsz, "--once, --dry-run and --healthcheck exclude each other");
        return DR_CLI_ERROR;
    }
    if (c->dry != (c->out != NULL)) {
        snprintf(err, errsz, "--dry-run needs --out FILE.html (and --out needs --dry-run)");
        return DR_CLI_ERROR;
    }
    return DR_CLI_RUN;
}

enum dr_cli_action dr_cli_parse(int argc, char **argv, struct dr_cli *c, char *err, size_t errsz)
{
    enum { OPT_ONCE = 1, OPT_DRY, OPT_OUT, OPT_LISTEN, OPT_STATE, OPT_HEALTH, OPT_HELP, OPT_VER };
    static const struct option opts[] = {
        {"once", no_argument, NULL, OPT_ONCE},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"out", required_argument, NULL, OPT_OUT},
        {"metrics-listen", required_argument, NULL, OPT_LISTEN},
        {"state-file", required_argument, NULL, OPT_STATE},
        {"healthcheck", no_argument, NULL, OPT_HEALTH},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VER},
        {NULL, 0, NULL, 0},
    };
    memset(c, 0, sizeof(*c));
    err[0] = '\0';
    optind = 0; /* GNU getopt: start afresh (a test parses many command lines) */
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case OPT_ONCE:
            c->once = 1;
            break;
        case OPT_DRY:
            c->dry = 1;
            break;
        case OPT_OUT:
            c->out = optarg;
            break;
        case OPT_LISTEN:
            c->listen = optarg;
            break;
        case OPT_STATE:
            c->state_file = optarg;
            break;
        case OPT_HEALTH:
            c->health = 1;
            break;
        case OPT_HELP:
            return DR_CLI_HELP;
        case OPT_VER:
            return DR_CLI_VERSION;
        default: /* getopt has said which option, on stderr */
            return DR_CLI_USAGE;
        }
    }
    if (optind < argc) {
        snprintf(err, errsz, "unexpected argument '%s'", argv[optind]);
        return DR_CLI_USAGE;
    }
    return check_modes(c, err, errsz);
}
