/* cli.c: the watcher's command line. Flags combine; --help and --version
 * answer at once; anything else is named in the error (exit 2 in main.c),
 * including what looks like a setting: settings come from the environment
 * only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "cli.h"

static struct wd_cli cli;
static char err[256];

static enum wd_cli_action parse2(const char *a, const char *b)
{
    char *argv[] = {(char *)"watcher", (char *)a, (char *)b, NULL};
    int argc = a ? (b ? 3 : 2) : 1;
    return wd_cli_parse(argc, argv, &cli, err, sizeof(err));
}

static void run_and_flags(void **state)
{
    (void)state;
    assert_int_equal(parse2(NULL, NULL), WD_CLI_RUN);
    assert_int_equal(cli.check_only, 0);
    assert_int_equal(cli.verbose, 0);
    assert_int_equal(parse2("--check-config", NULL), WD_CLI_RUN);
    assert_int_equal(cli.check_only, 1);
    assert_int_equal(cli.verbose, 0);
    assert_int_equal(parse2("--verbose", "--check-config"), WD_CLI_RUN);
    assert_int_equal(cli.check_only, 1);
    assert_int_equal(cli.verbose, 1);
}

static void help_and_version_answer_at_once(void **state)
{
    (void)state;
    assert_int_equal(parse2("--help", NULL), WD_CLI_HELP);
    assert_int_equal(parse2("-h", NULL), WD_CLI_HELP);
    assert_int_equal(parse2("--verbose", "--version"), WD_CLI_VERSION);
    const char *u = wd_cli_usage();
    assert_true(strncmp(u, "usage: watcher ", 15) == 0);
    const char *documented[] = {"WATCHER_TOKEN_FILE", "WATCHER_CLUSTER", "WATCHER_GRACE",
                                "WATCHER_LISTEN",     "ALERT_EMAIL_TO",  "--check-config",
                                "--verbose"};
    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
        if (!strstr(u, documented[i]))
            fail_msg("--help does not mention %s", documented[i]);
}

static void anything_else_is_named(void **state)
{
    (void)state;
    assert_int_equal(parse2("--listen", "127.0.0.1:9202"), WD_CLI_USAGE);
    assert_string_equal(err, "unknown argument '--listen'");
    assert_int_equal(parse2("--check-config", "--token=abc"), WD_CLI_USAGE);
    assert_string_equal(err, "unknown argument '--token=abc'");
    assert_int_equal(parse2("", NULL), WD_CLI_USAGE);
    assert_string_equal(err, "unknown argument ''");
    /* an error before --help is still an error (left to right) */
    assert_int_equal(parse2("--bogus", "--help"), WD_CLI_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_and_flags),
        cmocka_unit_test(help_and_version_answer_at_once),
        cmocka_unit_test(anything_else_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
