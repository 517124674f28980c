/* The daily report's command line, parsed without side effects so a unit
 * test can try every combination: one mode (daemon, --once, --dry-run
 * --out FILE, --healthcheck) and the two files it may override. main.c
 * prints the usage text and runs the mode. */
#ifndef DAILY_REPORT_CLI_H
#define DAILY_REPORT_CLI_H

#include <stdio.h>

struct dr_cli {
    int once, dry, health;
    const char *out, *listen, *state_file; /* NULL when not given */
};

enum dr_cli_action {
    DR_CLI_RUN,     /* go on with the mode in the struct */
    DR_CLI_HELP,    /* print the usage to stdout, exit 0 */
    DR_CLI_VERSION, /* print the version, exit 0 */
    DR_CLI_USAGE,   /* a usage error: err (may be "" when getopt already said why),
                       then the usage text, on stderr; exit 3 */
    DR_CLI_ERROR,   /* a usage error: err alone on stderr; exit 3 */
};

/* Parses argv (getopt_long; restartable). err gets the message without
 * the program name: "unexpected argument 'x'". */
enum dr_cli_action dr_cli_parse(int argc, char **argv, struct dr_cli *c, char *err, size_t errsz);

/* The --help text. */
void dr_cli_usage(FILE *f);

#endif
