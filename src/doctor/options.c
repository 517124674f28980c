#include "options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "envtable.h"
#include "util.h"

static const struct {
    unsigned bit;
    const char *name;
} groups[] = {
    {GROUP_ENV, "env"},           {GROUP_S3, "s3"},           {GROUP_SMTP, "smtp"},
    {GROUP_SUPABASE, "supabase"}, {GROUP_TARGETS, "targets"}, {GROUP_DNS, "dns"},
    {GROUP_STACK, "stack"},       {GROUP_WATCHER, "watcher"},
};

const char *doc_group_name(unsigned group)
{
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (groups[i].bit == group)
            return groups[i].name;
    return "?";
}

unsigned doc_options_parse_groups(const char *list, char *err, size_t errlen)
{
    unsigned bits = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
            if (strlen(groups[i].name) == n && strncmp(groups[i].name, p, n) == 0) {
                bits |= groups[i].bit;
                found = true;
            }
        }
        if (!found) {
            snprintf(err, errlen,
                     "--only: unknown group '%.*s' (groups: env, s3, smtp, supabase, targets, "
                     "dns, stack, watcher)",
                     (int)n, p);
            return 0;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (!bits)
        snprintf(err, errlen, "--only: no group given");
    return bits;
}

void doc_options_usage(FILE *out)
{
    fputs("Usage: doctor [OPTIONS]\n"
          "Checks that this server and its .env are ready to deploy the monitoring stack,\n"
          "and diagnoses a running stack. One line per check: \u2713 passed, \u2717 failed (with\n"
          "a one-line fix), \u2014 skipped (with why). Exit status 1 when any check failed.\n"
          "\n"
          "Groups (all by default; the stack group is skipped when nothing answers at\n"
          "the Prometheus URL, unless selected with --only):\n"
          "  env       .env: required variables, formats, placeholders, mode 600\n"
          "  s3        Wasabi: credentials, bucket, region, addressing, probe write/read/delete\n"
          "  smtp      SMTP: connect, STARTTLS, AUTH (no mail is sent)\n"
          "  supabase  DB host resolves (IPv6-only hint), TLS, role privileges (read-only)\n"
          "  targets   every inventory exporter answers from this machine\n"
          "  dns       GRAFANA_DOMAIN resolves to SERVER_F_PUBLIC_IP\n"
          "  stack     Prometheus, targets up, Thanos upload and blocks, Alertmanager,\n"
          "            Grafana, Caddy's certificate\n"
          "  watcher   the watcher at WATCHER_URL answers and accepts WATCHER_TOKEN\n"
          "\n"
          "Options:\n"
          "  --env-file FILE         the .env to check (default ./.env)\n"
          "  --inventory FILE        the server inventory (default inventory/servers.txt)\n"
          "  --only GROUP[,GROUP]    run only these groups\n"
          "  --skip ID[,ID]          skip checks: an id (s3.probe), a group (dns) or a\n"
          "                          prefix ending in * (targets.B.*)\n"
          "  --json                  print one JSON document instead of the checklist\n"
          "  --timeout SECONDS       per network operation (default 10)\n"
          "  --cacert FILE           trust this CA bundle (instead of the system's) for\n"
          "                          HTTPS, SMTP TLS and Caddy; env DOCTOR_CA_FILE\n"
          "  --prometheus-url URL    default http://127.0.0.1:9090; env DOCTOR_PROMETHEUS_URL\n"
          "  --alertmanager-url URL  default http://127.0.0.1:9093; env DOCTOR_ALERTMANAGER_URL\n"
          "  --grafana-url URL       default http://127.0.0.1:3000; env DOCTOR_GRAFANA_URL\n"
          "  --caddy-url URL         default https://GRAFANA_SITE/; env DOCTOR_CADDY_URL\n"
          "                          (an empty URL skips that component's check)\n"
          "  --max-upload-age HOURS  Thanos sidecar upload age that fails (default 3)\n"
          "  --cert-min-days DAYS    certificate validity that fails (default 14)\n"
          "  --contract FILE         the Supabase schema contract (default\n"
          "                          sql/contract.yaml; env DOCTOR_CONTRACT)\n"
          "  --dashboards DIR        the dashboards whose SQL the supabase group EXPLAINs\n"
          "                          (default grafana/dashboards; env DOCTOR_DASHBOARDS)\n"
          "  --dashboard-sql FILE    the templates of the dashboards' SQL (default\n"
          "                          sql/dashboard-sql.json; env DOCTOR_DASHBOARD_SQL)\n"
          "  --render-dashboards     rewrite the SQL targets of the dashboards in\n"
          "                          --dashboards from the templates and --contract, and\n"
          "                          exit (2 on an error, naming the file and panel)\n"
          "  --print-contract        print the contract as JSON and exit (2 if malformed)\n"
          "  --print-exporter-config print the queue exporter's [queue] sections for the\n"
          "                          contract (its QUEUE_EXPORTER_CONFIG) and exit\n"
          "  --scram-verifier ROLE   print the SCRAM-SHA-256 verifier of a password read\n"
          "                          from --password-file FILE, stdin or a prompt\n"
          "                          (sql/roles.sh uses it); never from the command line\n"
          "  --help, --version\n"
          "\n"
          "Secrets from the .env are never printed. See docs/doctor.md.\n",
          out);
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v ? v : fallback;
}

static bool parse_number(const char *s, double min, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

void doc_options_free(struct options *opt)
{
    free(opt->skip);
    opt->skip = NULL;
}

/* Long option codes. */
enum {
    O_ENV = 256,
    O_INV,
    O_ONLY,
    O_SKIP,
    O_JSON,
    O_TIMEOUT,
    O_CACERT,
    O_PROM,
    O_AM,
    O_GRAFANA,
    O_CADDY,
    O_UPLOAD,
    O_CERTDAYS,
    O_CONTRACT,
    O_PRINT_CONTRACT,
    O_PRINT_EXPORTER,
    O_DASHBOARDS,
    O_DASHBOARD_SQL,
    O_RENDER_DASHBOARDS,
    O_HELP,
    O_VERSION
};

static void options_defaults(struct options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->env_file = "./.env";
    opt->inventory = "inventory/servers.txt";
    opt->contract = env_or("DOCTOR_CONTRACT", "sql/contract.yaml");
    opt->dashboards = env_or("DOCTOR_DASHBOARDS", "grafana/dashboards");
    opt->dashboard_sql = env_or("DOCTOR_DASHBOARD_SQL", "sql/dashboard-sql.json");
    opt->groups = GROUP_ALL;
    opt->timeout = 10;
    opt->cacert = getenv("DOCTOR_CA_FILE");
    if (opt->cacert && !*opt->cacert)
        opt->cacert = NULL;
    opt->prometheus_url = env_or("DOCTOR_PROMETHEUS_URL", "http://127.0.0.1:9090");
    opt->alertmanager_url = env_or("DOCTOR_ALERTMANAGER_URL", "http://127.0.0.1:9093");
    opt->grafana_url = env_or("DOCTOR_GRAFANA_URL", "http://127.0.0.1:3000");
    opt->caddy_url = getenv("DOCTOR_CADDY_URL");
    opt->max_upload_age = 3 * 3600;
    opt->cert_min_days = 14;
}

/* Applies option c (its value in optarg): 0, or -1 with err. */
static int apply_option(struct options *opt, int c, char *err, size_t errlen)
{
    double num;
    switch (c) {
    case O_ENV:
        opt->env_file = optarg;
        return 0;
    case O_INV:
        opt->inventory = optarg;
        return 0;
    case O_ONLY:
        opt->groups = doc_options_parse_groups(optarg, err, errlen);
        if (!opt->groups)
            return -1;
        opt->groups_explicit = true;
        return 0;
    case O_SKIP:
        free(opt->skip);
        opt->skip = doc_xstrdup(optarg);
        return 0;
    case O_JSON:
        opt->json = true;
        return 0;
    case O_TIMEOUT:
        if (!parse_number(optarg, 1, 600, &num)) {
            snprintf(err, errlen, "--timeout: expected seconds between 1 and 600, got '%s'",
                     optarg);
            return -1;
        }
        opt->timeout = (long)num;
        return 0;
    case O_CACERT:
        opt->cacert = *optarg ? optarg : NULL;
        return 0;
    case O_PROM:
        opt->prometheus_url = optarg;
        return 0;
    case O_AM:
        opt->alertmanager_url = optarg;
        return 0;
    case O_GRAFANA:
        opt->grafana_url = optarg;
        return 0;
    case O_CADDY:
        opt->caddy_url = optarg;
        return 0;
    case O_UPLOAD:
        if (!parse_number(optarg, 0.1, 24 * 30, &num)) {
            snprintf(err, errlen, "--max-upload-age: expected hours (0.1-720), got '%s'", optarg);
            return -1;
        }
        opt->max_upload_age = num * 3600;
        return 0;
    case O_CONTRACT:
        opt->contract = optarg;
        return 0;
    case O_DASHBOARDS:
        opt->dashboards = optarg;
        return 0;
    case O_PRINT_EXPORTER:
        opt->print_exporter_config = true;
        return 0;
    case O_DASHBOARD_SQL:
        opt->dashboard_sql = optarg;
        return 0;
    case O_RENDER_DASHBOARDS:
        opt->render_dashboards = true;
        return 0;
    case O_PRINT_CONTRACT:
        opt->print_contract = true;
        return 0;
    case O_CERTDAYS:
        if (!parse_number(optarg, 0, 365, &num)) {
            snprintf(err, errlen, "--cert-min-days: expected days (0-365), got '%s'", optarg);
            return -1;
        }
        opt->cert_min_days = (int)num;
        return 0;
    }
    return 0;
}

enum options_result doc_options_parse(struct options *opt, int argc, char **argv, char *err,
                                      size_t errlen)
{
    options_defaults(opt);
    if (env_table_check(&doc_env_table, (env_get_fn)getenv, err, errlen) != 0)
        return OPTIONS_ERROR;
    static const struct option longopts[] = {
        {"env-file", required_argument, NULL, O_ENV},
        {"inventory", required_argument, NULL, O_INV},
        {"only", required_argument, NULL, O_ONLY},
        {"skip", required_argument, NULL, O_SKIP},
        {"json", no_argument, NULL, O_JSON},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"cacert", required_argument, NULL, O_CACERT},
        {"prometheus-url", required_argument, NULL, O_PROM},
        {"alertmanager-url", required_argument, NULL, O_AM},
        {"grafana-url", required_argument, NULL, O_GRAFANA},
        {"caddy-url", required_argument, NULL, O_CADDY},
        {"max-upload-age", required_argument, NULL, O_UPLOAD},
        {"cert-min-days", required_argument, NULL, O_CERTDAYS},
        {"contract", required_argument, NULL, O_CONTRACT},
        {"print-contract", no_argument, NULL, O_PRINT_CONTRACT},
        {"print-exporter-config", no_argument, NULL, O_PRINT_EXPORTER},
        {"dashboards", required_argument, NULL, O_DASHBOARDS},
        {"dashboard-sql", required_argument, NULL, O_DASHBOARD_SQL},
        {"render-dashboards", no_argument, NULL, O_RENDER_DASHBOARDS},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_HELP:
            return OPTIONS_HELP;
        case O_VERSION:
            return OPTIONS_VERSION;
        case '?':
            if (optopt)
                snprintf(err, errlen, "option needs a value or is unknown: %s", argv[optind - 1]);
            else
                snprintf(err, errlen, "unknown option: %s", argv[optind - 1]);
            return OPTIONS_ERROR;
        default:
            if (apply_option(opt, c, err, errlen) != 0)
                return OPTIONS_ERROR;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument: %s (see --help)", argv[optind]);
        return OPTIONS_ERROR;
    }
    return OPTIONS_RUN;
}
