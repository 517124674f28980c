/* cli.c: the daily report's command line. Each mode alone, with the
 * options it takes; the combinations that make no sense refused with a
 * message naming the options (exit 3 in main.c); --help and --version win
 * wherever they stand; the parser restarts cleanly (getopt's state). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static struct dr_cli cli;
static char err[256];

/* parse("--once", "--state-file", "/x", NULL) */
static enum dr_cli_action parse(const char *first, ...)
{
    static char *argv[16];
    static char storage[16][128];
    int argc = 0;
    argv[argc++] = strcpy(storage[0], "daily-report");
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *)) {
        snprintf(storage[argc], sizeof(storage[argc]), "%s", a);
        argv[argc] = storage[argc];
        argc++;
    }
    va_end(ap);
    argv[argc] = NULL;
    return dr_cli_parse(argc, argv, &cli, err, sizeof(err));
}

static void no_option_is_the_daemon(void **state)
{
    (void)state;
    assert_int_equal(parse(NULL), DR_CLI_RUN);
    assert_int_equal(cli.once + cli.dry + cli.health, 0);
    assert_null(cli.out);
    assert_null(cli.listen);
    assert_null(cli.state_file);
    assert_int_equal(
        parse("--metrics-listen", "0.0.0.0:9201", "--state-file", "/var/lib/dr/s", NULL),
        DR_CLI_RUN);
    assert_string_equal(cli.listen, "0.0.0.0:9201");
    assert_string_equal(cli.state_file, "/var/lib/dr/s");
    assert_int_equal(parse("--metrics-listen=127.0.0.1:1", NULL), DR_CLI_RUN);
    assert_string_equal(cli.listen, "127.0.0.1:1");
}

static void each_mode(void **state)
{
    (void)state;
    assert_int_equal(parse("--once", "--state-file", "/tmp/s", NULL), DR_CLI_RUN);
    assert_int_equal(cli.once, 1);
    assert_string_equal(cli.state_file, "/tmp/s");
    assert_int_equal(parse("--dry-run", "--out", "/tmp/r.html", NULL), DR_CLI_RUN);
    assert_int_equal(cli.dry, 1);
    assert_int_equal(cli.once, 0); /* nothing left over from the last parse */
    assert_string_equal(cli.out, "/tmp/r.html");
    assert_int_equal(parse("--out", "/tmp/r.html", "--dry-run", NULL), DR_CLI_RUN);
    assert_int_equal(parse("--healthcheck", "--metrics-listen", "[::1]:9201", NULL), DR_CLI_RUN);
    assert_int_equal(cli.health, 1);
    assert_string_equal(cli.listen, "[::1]:9201");
}

static void modes_exclude_each_other(void **state)
{
    (void)state;
    const char *msg = "--once, --dry-run and --healthcheck exclude each other";
    assert_int_equal(parse("--once", "--healthcheck", NULL), DR_CLI_ERROR);
    assert_string_equal(err, msg);
    assert_int_equal(parse("--once", "--dry-run", "--out", "x.html", NULL), DR_CLI_ERROR);
    assert_string_equal(err, msg);
    assert_int_equal(parse("--dry-run", "--out", "x.html", "--healthcheck", NULL), DR_CLI_ERROR);
    assert_string_equal(err, msg);
}

static void dry_run_and_out_go_together(void **state)
{
    (void)state;
    const char *msg = "--dry-run needs --out FILE.html (and --out needs --dry-run)";
    assert_int_equal(parse("--dry-run", NULL), DR_CLI_ERROR);
    assert_string_equal(err, msg);
    assert_int_equal(parse("--out", "x.html", NULL), DR_CLI_ERROR);
    assert_string_equal(err, msg);
    assert_int_equal(parse("--once", "--out", "x.html", NULL), DR_CLI_ERROR);
    assert_string_equal(err, msg);
}

static void strays_and_unknown_options(void **state)
{
    (void)state;
    assert_int_equal(parse("--once", "now", NULL), DR_CLI_USAGE);
    assert_string_equal(err, "unexpected argument 'now'");
    /* getopt names the option itself on stderr; err stays empty */
    assert_int_equal(parse("--sned", NULL), DR_CLI_USAGE);
    assert_string_equal(err, "");
    assert_int_equal(parse("--out", NULL), DR_CLI_USAGE); /* its argument is missing */
    assert_int_equal(parse("-x", NULL), DR_CLI_USAGE);
}

static void help_and_version(void **state)
{
    (void)state;
    assert_int_equal(parse("--help", NULL), DR_CLI_HELP);
    assert_int_equal(parse("--once", "--help", NULL), DR_CLI_HELP);
    assert_int_equal(parse("--version", NULL), DR_CLI_VERSION);
    assert_int_equal(parse("--vers", NULL), DR_CLI_VERSION); /* getopt_long prefixes */
    char buf[4096] = "";
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_non_null(f);
    dr_cli_usage(f);
    fclose(f);
    assert_true(strncmp(buf, "usage: daily-report ", 20) == 0);
    const char *documented[] = {"--once",           "--dry-run --out", "--healthcheck",
                                "--metrics-listen", "--state-file",    "REPORT_TIME",
                                "REPORT_TO",        "Exit status"};
    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
        if (!strstr(buf, documented[i]))
            fail_msg("--help does not mention %s", documented[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_option_is_the_daemon),    cmocka_unit_test(each_mode),
        cmocka_unit_test(modes_exclude_each_other),   cmocka_unit_test(dry_run_and_out_go_together),
        cmocka_unit_test(strays_and_unknown_options), cmocka_unit_test(help_and_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
