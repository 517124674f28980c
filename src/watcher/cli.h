/* The watcher's command line, parsed without side effects (a unit test
 * tries each form); main.c acts on the result. The settings themselves
 * come from the environment (settings.h), never from arguments, so no
 * secret shows in `ps`. */
#ifndef WD_CLI_H
#define WD_CLI_H

#include <stddef.h>

enum wd_cli_action {
    WD_CLI_RUN,     /* run (or only check the settings, see check_only) */
    WD_CLI_HELP,    /* print wd_cli_usage() to stdout, exit 0 */
    WD_CLI_VERSION, /* print the version, exit 0 */
    WD_CLI_USAGE,   /* err, then the usage, on stderr; exit 2 */
};

struct wd_cli {
    int check_only; /* --check-config: validate the settings and exit */
    int verbose;    /* --verbose: log every accepted heartbeat too */
};

/* err gets "unknown argument 'x'" (without the program name). */
enum wd_cli_action wd_cli_parse(int argc, char **argv, struct wd_cli *c, char *err, size_t errsz);

/* The --help text. */
const char *wd_cli_usage(void);

#endif
