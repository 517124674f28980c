#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char *qe_cli_usage(void)
{
    return "Usage: queue-exporter [OPTIONS]\n"
           "Serves Supabase job-queue depths as Prometheus metrics.\n"
           "\n"
           "  --listen ADDR:PORT   listen address (default " QE_DEFAULT_LISTEN
           ", or $QUEUE_EXPORTER_LISTEN);\n"
           "                       IPv6 as [ADDR]:PORT\n"
           "  --contract FILE      the Supabase schema contract (sql/contract.yaml, or\n"
           "                       $QUEUE_EXPORTER_CONTRACT): the two job tables' names,\n"
           "                       columns and status values come from it\n"
           "  --config FILE        INI file adding queues or renaming tables, columns and\n"
           "                       statuses, over the contract (or $QUEUE_EXPORTER_CONFIG)\n"
           "  --check-config       validate the configuration and the DSN syntax, then exit\n"
           "  --probe[=PATH]       GET PATH (default /healthz) from the --listen address;\n"
           "                       exit 0 on HTTP 200 (container health checks)\n"
           "  --log-level LEVEL    debug, info (default), warn or error\n"
           "  --help, --version\n"
           "\n"
           "Database: QUEUE_EXPORTER_DSN (libpq conninfo string or postgresql:// URI), or the\n"
           "standard PG* variables. Never on the command line. Defaults unless the DSN or\n"
           "PG* variables say otherwise: sslmode=require, gssencmode=disable,\n"
           "connect_timeout, TCP keepalives, application_name=queue-exporter.\n"
           "\n"
           "Endpoints: /metrics, /healthz (process alive), /readyz (database reachable).\n"
           "Stops cleanly on SIGTERM and SIGINT.\n";
}

static int parse_level(const char *s, enum log_level *out)
{
    static const struct {
        const char *name;
        enum log_level level;
    } levels[] = {{"debug", LOG_LEVEL_DEBUG},
                  {"info", LOG_LEVEL_INFO},
                  {"warn", LOG_LEVEL_WARN},
                  {"error", LOG_LEVEL_ERROR}};
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcmp(s, levels[i].name) == 0) {
            *out = levels[i].level;
            return 0;
        }
    return -1;
}

/* A connection string on the command line would show in ps and shell
 * history: refuse it, naming the option only (its value may hold the
 * password). */
static int refuse_dsn_option(int argc, char **argv, char *err, size_t errsz)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--dsn", 5) == 0 || strncmp(argv[i], "--database", 10) == 0) {
            int name_len = (int)strcspn(argv[i], "=");
            snprintf(err, errsz,
                     "%.*s: the connection string is read from QUEUE_EXPORTER_DSN (or PG* "
                     "variables), never from the command line",
                     name_len, argv[i]);
            return -1;
        }
    }
    return 0;
}

int qe_cli_parse(struct qe_cli *cli, int argc, char **argv, qe_cli_getenv_fn env, char *err,
                 size_t errsz)
{
    enum {
        OPT_LISTEN = 1000,
        OPT_CONFIG,
        OPT_CONTRACT,
        OPT_CHECK,
        OPT_PROBE,
        OPT_LEVEL,
        OPT_HELP,
        OPT_VERSION
    };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"contract", required_argument, NULL, OPT_CONTRACT},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"probe", optional_argument, NULL, OPT_PROBE},
        {"log-level", required_argument, NULL, OPT_LEVEL},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    memset(cli, 0, sizeof(cli[0]));
    cli->action = QE_RUN;
    cli->log_level = LOG_LEVEL_INFO;
    cli->probe_path = "/healthz";
    const char *v = env("QUEUE_EXPORTER_LISTEN");
    cli->listen = v && v[0] ? v : QE_DEFAULT_LISTEN;
    v = env("QUEUE_EXPORTER_CONFIG");
    cli->config = v && v[0] ? v : NULL;
    v = env("QUEUE_EXPORTER_CONTRACT");
    cli->contract = v && v[0] ? v : NULL;

    if (refuse_dsn_option(argc, argv, err, errsz) != 0)
        return -1;

    optind = 0; /* GNU: full reinitialisation, so tests can parse repeatedly */
    opterr = 0; /* our own messages below */
    int c;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            cli->listen = optarg;
            break;
        case OPT_CONFIG:
            cli->config = optarg;
            break;
        case OPT_CONTRACT:
            cli->contract = optarg;
            break;
        case OPT_CHECK:
            cli->action = QE_CHECK_CONFIG;
            break;
        case OPT_PROBE:
            cli->action = QE_PROBE;
            if (optarg) {
                if (optarg[0] != '/') {
                    snprintf(err, errsz, "--probe=%s: the path must start with /", optarg);
                    return -1;
                }
                cli->probe_path = optarg;
            }
            break;
        case OPT_LEVEL:
            if (parse_level(optarg, &cli->log_level) != 0) {
                snprintf(err, errsz, "--log-level %s: expected debug, info, warn or error", optarg);
                return -1;
            }
            break;
        case OPT_HELP:
            cli->action = QE_HELP;
            return 0;
        case OPT_VERSION:
            cli->action = QE_VERSION;
            return 0;
        case ':':
            snprintf(err, errsz, "%s needs a value", argv[optind - 1]);
            return -1;
        default: {
            const char *opt = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
            snprintf(err, errsz, "unknown option %.*s (see --help)", (int)strcspn(opt, "="), opt);
            return -1;
        }
        }
    }
    if (optind < argc) {
        snprintf(err, errsz, "unexpected argument '%s' (see --help)", argv[optind]);
        return -1;
    }
    if (cli->contract && cli->contract[0] == '\0') {
        snprintf(err, errsz, "--contract: empty file name");
        return -1;
    }
    if (cli->config && cli->config[0] == '\0') {
        snprintf(err, errsz, "--config: empty file name");
        return -1;
    }
    return 0;
}
