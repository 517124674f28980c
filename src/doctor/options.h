/* The doctor's command line and DOCTOR_* environment settings: which
 * groups of checks run (--only, --skip), where the .env and inventory are,
 * the stack's URLs, timeouts and thresholds. Parsing returns an error
 * message rather than exiting, so it is unit-tested. */
#ifndef DOCTOR_OPTIONS_H
#define DOCTOR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum doctor_group {
    GROUP_ENV = 1 << 0,
    GROUP_S3 = 1 << 1,
    GROUP_SMTP = 1 << 2,
    GROUP_SUPABASE = 1 << 3,
    GROUP_TARGETS = 1 << 4,
    GROUP_DNS = 1 << 5,
    GROUP_STACK = 1 << 6,
    GROUP_WATCHER = 1 << 7,
};
#define GROUP_ALL 0xff

struct options {
    const char *env_file;  /* --env-file, default ./.env */
    const char *inventory; /* --inventory, default inventory/servers.txt */
    unsigned groups;       /* selected groups */
    bool groups_explicit;  /* --only given */
    char *skip;            /* --skip list as given (comma-separated), or NULL */
    bool json;
    long timeout; /* seconds per network operation */
    const char *cacert;
    const char *prometheus_url;
    const char *alertmanager_url;
    const char *grafana_url;
    const char *caddy_url; /* NULL: https://<GRAFANA_DOMAIN>/ */
    double max_upload_age; /* seconds */
    int cert_min_days;
    const char *contract;       /* --contract, default sql/contract.yaml */
    bool print_contract;        /* --print-contract: print it as JSON, run nothing */
    bool print_exporter_config; /* --print-exporter-config: its INI, run nothing */
    const char *dashboards;     /* --dashboards DIR, default grafana/dashboards */
    const char *dashboard_sql;  /* --dashboard-sql FILE, default sql/dashboard-sql.json */
    bool render_dashboards;     /* --render-dashboards: rewrite their SQL, run nothing */
};

enum options_result { OPTIONS_RUN, OPTIONS_HELP, OPTIONS_VERSION, OPTIONS_ERROR };

/* Fills opt from argv and the environment (getenv). On OPTIONS_ERROR err
 * holds a one-line message. Strings point into argv/environ/static data. */
enum options_result doc_options_parse(struct options *opt, int argc, char **argv, char *err,
                                      size_t errlen);
void doc_options_free(struct options *opt);
/* Parses "env,s3" into group bits; 0 with err on an unknown name. */
unsigned doc_options_parse_groups(const char *list, char *err, size_t errlen);
const char *doc_group_name(unsigned group);
void doc_options_usage(FILE *out);

#endif
