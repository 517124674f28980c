/* Command line. The database connection string is deliberately not an
 * option: it comes from QUEUE_EXPORTER_DSN or the PG* variables, so it never
 * shows in `ps` output or shell history. */
#ifndef QE_CLI_H
#define QE_CLI_H

#include <stddef.h>

#include "log.h"

#define QE_DEFAULT_LISTEN "127.0.0.1:9200"

enum qe_cli_action { QE_RUN, QE_HELP, QE_VERSION, QE_CHECK_CONFIG, QE_PROBE };

struct qe_cli {
    enum qe_cli_action action;
    const char *listen;     /* --listen, else $QUEUE_EXPORTER_LISTEN, else the default */
    const char *config;     /* --config, else $QUEUE_EXPORTER_CONFIG, else NULL */
    const char *contract;   /* --contract, else $QUEUE_EXPORTER_CONTRACT, else NULL */
    const char *probe_path; /* for QE_PROBE */
    enum log_level log_level;
};

typedef const char *(*qe_cli_getenv_fn)(const char *name);

/* Returns 0, or -1 with a message in err (usage error: exit 2). */
int qe_cli_parse(struct qe_cli *cli, int argc, char **argv, qe_cli_getenv_fn env, char *err,
                 size_t errsz);

/* The --help text. */
const char *qe_cli_usage(void);

#endif
