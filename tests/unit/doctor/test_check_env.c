/* Group env: the .env file itself - readable, parseable, private (mode
 * 600), complete, free of placeholders and well formed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "../daily-report/envtable.h"
#include "doctorfix.h"
#include "envspec.h"
#include "timeparse.h"

static char env_path[64];

static void write_env(const char *text, mode_t mode)
{
    snprintf(env_path, sizeof(env_path), "/tmp/doctor-unit-env-XXXXXX");
    int fd = mkstemp(env_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(env_path, mode), 0);
}

static void no_env_file_fails_once_and_skips_the_rest(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, NULL);
    doc_check_env(&f.d);
    const struct check_result *c = fix_expect(&f, "env.file", CHECK_FAIL);
    assert_contains(c->detail, "No such file or directory");
    assert_string_equal(c->fix, "cp .env.example /nonexistent/doctor-unit.env, fill it in and "
                                "chmod 600 it (or pass --env-file)");
    assert_string_equal(fix_expect(&f, "env.permissions", CHECK_SKIP)->detail,
                        "/nonexistent/doctor-unit.env cannot be read");
    fix_expect(&f, "env.required", CHECK_SKIP);
    fix_expect(&f, "env.placeholders", CHECK_SKIP);
    fix_expect(&f, "env.format", CHECK_SKIP);
    fix_free(&f);
}

static void unparseable_lines_are_counted_by_line_number(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=monitoring.ecotrans.eu\nthis is not a variable\n");
    doc_check_env(&f.d);
    const struct check_result *c = fix_expect(&f, "env.file", CHECK_FAIL);
    assert_contains(c->detail, "/nonexistent/doctor-unit.env: 1 line(s) not understood: line 2");
    assert_contains(c->fix, "KEY=VALUE");
    fix_free(&f);
}

static void a_file_others_can_read_fails_with_chmod(void **state)
{
    (void)state;
    write_env("GRAFANA_DOMAIN=monitoring.ecotrans.eu\n", 0644);
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=monitoring.ecotrans.eu\n");
    f.opt.env_file = env_path;
    doc_check_env(&f.d);
    const struct check_result *c = fix_expect(&f, "env.permissions", CHECK_FAIL);
    assert_contains(c->detail, "has mode 0644: other users on this machine can read its secrets");
    char want[128];
    snprintf(want, sizeof(want), "chmod 600 %s", env_path);
    assert_string_equal(c->fix, want);
    fix_free(&f);
    assert_int_equal(chmod(env_path, 0600), 0);
    fix_init(&f, "GRAFANA_DOMAIN=monitoring.ecotrans.eu\n");
    f.opt.env_file = env_path;
    doc_check_env(&f.d);
    assert_contains(fix_expect(&f, "env.permissions", CHECK_PASS)->detail, "has mode 0600");
    fix_free(&f);
    unlink(env_path);
}

static void a_directory_is_not_an_env_file(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "");
    f.opt.env_file = "/tmp";
    doc_check_env(&f.d);
    assert_string_equal(fix_expect(&f, "env.permissions", CHECK_FAIL)->detail,
                        "/tmp is not a regular file");
    fix_free(&f);
}

static void missing_and_empty_required_variables_are_listed(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "SMTP_HOST=\nREPORT_TIME=08:00\n");
    doc_check_env(&f.d);
    const struct check_result *c = fix_expect(&f, "env.required", CHECK_FAIL);
    assert_contains(c->detail, "missing: ");
    assert_contains(c->detail, "GRAFANA_DOMAIN");
    assert_contains(c->detail, "; empty: SMTP_HOST");
    assert_null(strstr(c->detail, "REPORT_TIME"));
    fix_free(&f);
}

static void placeholders_are_named_but_a_secrets_pattern_stays_unsaid(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=grafana.example.com\nSMTP_PASSWORD=changeme\n"
                 "MY_OWN_NOTE=fine\n");
    doc_check_env(&f.d);
    const struct check_result *c = fix_expect(&f, "env.placeholders", CHECK_FAIL);
    assert_string_equal(c->detail, "placeholder values left: GRAFANA_DOMAIN (example), "
                                   "SMTP_PASSWORD (a placeholder)");
    fix_free(&f);
    /* The last definition counts: a placeholder overridden later is fine. */
    fix_init(&f, "GRAFANA_DOMAIN=grafana.example.com\nGRAFANA_DOMAIN=monitoring.ecotrans.eu\n");
    doc_check_env(&f.d);
    assert_string_equal(fix_expect(&f, "env.placeholders", CHECK_PASS)->detail,
                        "no placeholder values");
    fix_free(&f);
}

static void a_malformed_value_gets_its_own_line_named_after_the_variable(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "SERVER_F_PUBLIC_IP=10.0.0.300\nGRAFANA_DOMAIN=monitoring.ecotrans.eu\n");
    doc_check_env(&f.d);
    const struct check_result *c = fix_expect(&f, "env.format.SERVER_F_PUBLIC_IP", CHECK_FAIL);
    assert_contains(c->detail, "SERVER_F_PUBLIC_IP");
    assert_non_null(c->fix);
    assert_null(fix_find(&f, "env.format.GRAFANA_DOMAIN"));
    assert_null(fix_find(&f, "env.format"));
    fix_free(&f);
}

static void the_example_file_filled_in_is_well_formed(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=monitoring.ecotrans.eu\nSERVER_F_PUBLIC_IP=198.51.200.7\n");
    doc_check_env(&f.d);
    assert_string_equal(fix_expect(&f, "env.format", CHECK_PASS)->detail,
                        "2 variables well formed and consistent");
    fix_free(&f);
}

/* compose.yaml passes REPORT_TZ / REPORT_TIME as ${VAR:-}: a .env without
 * them starts the daily report on its defaults, so the doctor does not
 * require them; set, they are judged by the daily report's own validators,
 * and the fix names the default the program uses. */
static void the_report_schedule_is_optional_and_judged_as_the_daily_report_does(void **state)
{
    (void)state;
    /* Every required variable set, neither schedule variable. */
    struct strbuf text;
    sb_init(&text);
    size_t nreq = 0;
    for (size_t i = 0; i < doc_var_specs_count; i++)
        if (doc_var_specs[i].flags & ENV_REQUIRED) {
            sb_printf(&text, "%s=x\n", doc_var_specs[i].name);
            nreq++;
        }
    struct fix f;
    fix_init(&f, sb_str(&text));
    doc_check_env(&f.d);
    char want[64];
    snprintf(want, sizeof(want), "all %zu required variables are set", nreq);
    assert_string_equal(fix_expect(&f, "env.required", CHECK_PASS)->detail, want);
    assert_null(fix_find(&f, "env.format.REPORT_TZ"));
    assert_null(fix_find(&f, "env.format.REPORT_TIME"));
    fix_free(&f);
    sb_free(&text);
    /* Empty, as .env.example leaves them: the defaults, no complaint. */
    fix_init(&f, "REPORT_TZ=\nREPORT_TIME=\nGRAFANA_DOMAIN=monitoring.ecotrans.eu\n");
    doc_check_env(&f.d);
    assert_string_equal(fix_expect(&f, "env.format", CHECK_PASS)->detail,
                        "1 variables well formed and consistent");
    assert_null(strstr(fix_expect(&f, "env.required", CHECK_FAIL)->detail, "REPORT_T"));
    fix_free(&f);
    /* Set and wrong: the daily report's message, one line each. */
    fix_init(&f, "REPORT_TZ=Europe/Pariss\nREPORT_TIME=25:00\n");
    doc_check_env(&f.d);
    assert_contains(fix_expect(&f, "env.format.REPORT_TZ", CHECK_FAIL)->detail,
                    "REPORT_TZ=Europe/Pariss is not a time zone");
    assert_contains(fix_expect(&f, "env.format.REPORT_TIME", CHECK_FAIL)->detail,
                    "REPORT_TIME=25:00 is not a time of day HH:MM");
    fix_free(&f);
    /* Set and right, a POSIX TZ string included. */
    fix_init(&f, "REPORT_TZ=CET-1CEST,M3.5.0,M10.5.0/3\nREPORT_TIME=7:30\n");
    doc_check_env(&f.d);
    assert_string_equal(fix_expect(&f, "env.format", CHECK_PASS)->detail,
                        "2 variables well formed and consistent");
    fix_free(&f);
    /* The very functions the daily report calls, not copies. */
    assert_ptr_equal(doc_env_validator("REPORT_TZ")->check, time_zone_check);
    assert_ptr_equal(doc_env_validator("REPORT_TIME")->check, time_of_day_check);
    const struct env_var *tz = doc_var_spec_find("REPORT_TZ"),
                         *tm = doc_var_spec_find("REPORT_TIME");
    assert_int_equal(tz->flags & ENV_REQUIRED, 0);
    assert_int_equal(tm->flags & ENV_REQUIRED, 0);
    assert_contains(tz->fix, "default (" DR_REPORT_TZ_DEFAULT ")");
    assert_contains(tm->fix, "default (" DR_REPORT_TIME_DEFAULT ")");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_env_file_fails_once_and_skips_the_rest),
        cmocka_unit_test(unparseable_lines_are_counted_by_line_number),
        cmocka_unit_test(a_file_others_can_read_fails_with_chmod),
        cmocka_unit_test(a_directory_is_not_an_env_file),
        cmocka_unit_test(missing_and_empty_required_variables_are_listed),
        cmocka_unit_test(placeholders_are_named_but_a_secrets_pattern_stays_unsaid),
        cmocka_unit_test(a_malformed_value_gets_its_own_line_named_after_the_variable),
        cmocka_unit_test(the_example_file_filled_in_is_well_formed),
        cmocka_unit_test(the_report_schedule_is_optional_and_judged_as_the_daily_report_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
