/* Configuration from the environment: defaults, and errors that name the
 * variable at fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakeenv.h"
#include "settings.h"

static const char *GOOD[] = {"SMTP_HOST=smtp.eu.mailgun.org",
                             "SMTP_USER=postmaster@mg.example.eu",
                             "SMTP_PASSWORD=s3cret",
                             "REPORT_FROM=Monitoring <monitoring@example.eu>",
                             "REPORT_TO=ops@example.eu, cto@example.eu,",
                             NULL};

static void defaults(void **state)
{
    (void)state;
    static const char *env[] = {NULL};
    fake_env = env;
    struct config c;
    char err[512];
    assert_int_equal(dr_config_load(&c, fake_get, err, sizeof(err)), 0);
    assert_null(c.prometheus_url);
    assert_null(c.alertmanager_url);
    assert_null(c.db_dsn);
    assert_string_equal(c.tz, "Europe/Paris");
    assert_int_equal(c.hour, 8);
    assert_int_equal(c.minute, 0);
    assert_string_equal(c.state_file, "/var/lib/daily-report/state");
    assert_string_equal(c.metrics_listen, "127.0.0.1:9201");
    assert_int_equal(c.catchup_minutes, 60);
    dr_config_free(&c);
}

static void empty_source_means_unset(void **state)
{
    (void)state;
    static const char *env[] = {"PROMETHEUS_URL=", "ALERTMANAGER_URL=http://alertmanager:9093",
                                "REPORT_TIME=07:30", "REPORT_TZ=UTC", NULL};
    fake_env = env;
    struct config c;
    char err[512];
    assert_int_equal(dr_config_load(&c, fake_get, err, sizeof(err)), 0);
    assert_null(c.prometheus_url);
    assert_string_equal(c.alertmanager_url, "http://alertmanager:9093");
    assert_int_equal(c.hour, 7);
    assert_int_equal(c.minute, 30);
    dr_config_free(&c);
}

static void bad_schedule_names_variable(void **state)
{
    (void)state;
    struct config c;
    char err[512];
    static const char *e1[] = {"REPORT_TIME=8h", NULL};
    fake_env = e1;
    assert_int_equal(dr_config_load(&c, fake_get, err, sizeof(err)), -1);
    assert_ptr_equal(strstr(err, "REPORT_TIME=8h is not a time of day"), err);
    static const char *e2[] = {"REPORT_TZ=Europe/Parris", NULL};
    fake_env = e2;
    assert_int_equal(dr_config_load(&c, fake_get, err, sizeof(err)), -1);
    assert_ptr_equal(strstr(err, "REPORT_TZ=Europe/Parris is not a time zone"), err);
    static const char *e3[] = {"GRAFANA_URL=javascript:alert(1)", NULL};
    fake_env = e3;
    assert_int_equal(dr_config_load(&c, fake_get, err, sizeof(err)), -1);
    /* URLs may carry credentials: the variable is named, its value not. */
    assert_ptr_equal(strstr(err, "GRAFANA_URL is not an http(s):// URL"), err);
    assert_null(strstr(err, "javascript"));
}

static void delivery_complete(void **state)
{
    (void)state;
    fake_env = GOOD;
    struct config c;
    char err[512];
    assert_int_equal(dr_config_load(&c, fake_get, err, sizeof(err)), 0);
    assert_int_equal(dr_config_load_delivery(&c, fake_get, err, sizeof(err)), 0);
    assert_int_equal(c.smtp_port, 587);
    assert_int_equal(c.smtp_tls, SMTP_TLS_STARTTLS);
    assert_string_equal(c.smtp_password, "s3cret");
    assert_string_equal(c.from_addr, "monitoring@example.eu");
    assert_int_equal(c.nrcpt, 2); /* the trailing comma adds nothing */
    assert_string_equal(c.rcpt[0], "ops@example.eu");
    assert_string_equal(c.rcpt[1], "cto@example.eu");
    assert_int_equal(c.smtp_attempts, 5);
    assert_int_equal(c.smtp_backoff_s, 30);
    dr_config_free(&c);
}

/* Drops one variable from GOOD (or replaces it) and expects an error
 * message starting with `want`. */
static void expect_delivery_error(const char *drop, const char *replace, const char *want)
{
    const char *env[16];
    size_t n = 0;
    for (const char **p = GOOD; *p; p++)
        if (strncmp(*p, drop, strlen(drop)) != 0)
            env[n++] = *p;
    if (replace)
        env[n++] = replace;
    env[n] = NULL;
    fake_env = env;
    struct config c;
    char err[512] = "";
    assert_int_equal(dr_config_load(&c, fake_get, err, sizeof(err)), 0);
    int rc = dr_config_load_delivery(&c, fake_get, err, sizeof(err));
    dr_config_free(&c);
    if (rc != -1 || strncmp(err, want, strlen(want)) != 0)
        fail_msg("dropping %s / setting %s: got rc=%d err='%s', want '%s...'", drop,
                 replace ? replace : "-", rc, err, want);
}

static void delivery_errors_name_the_variable(void **state)
{
    (void)state;
    expect_delivery_error("SMTP_HOST=", NULL, "SMTP_HOST is not set");
    expect_delivery_error("REPORT_FROM=", NULL, "REPORT_FROM is not set");
    expect_delivery_error("REPORT_TO=", NULL, "REPORT_TO is not set");
    expect_delivery_error("REPORT_TO=", "REPORT_TO= , ,",
                          "REPORT_TO= , , holds no recipient address");
    expect_delivery_error("REPORT_TO=", "REPORT_TO=ops@example.eu,not-an-address",
                          "REPORT_TO=ops@example.eu,not-an-address has 'not-an-address'");
    expect_delivery_error("REPORT_TO=", "REPORT_TO=Ops <ops@example.eu>",
                          "REPORT_TO=Ops <ops@example.eu> has");
    expect_delivery_error("REPORT_FROM=", "REPORT_FROM=monitoring",
                          "REPORT_FROM=monitoring is not an email");
    expect_delivery_error("SMTP_PASSWORD=", NULL, "SMTP_USER is set but SMTP_PASSWORD");
    expect_delivery_error("SMTP_USER=", NULL, "SMTP_PASSWORD is set but SMTP_USER");
    expect_delivery_error("SMTP_HOST=__none", "SMTP_PORT=0", "SMTP_PORT=0 is not a port");
    expect_delivery_error("SMTP_HOST=__none", "SMTP_TLS=ssl",
                          "SMTP_TLS=ssl is not one of starttls, tls, none");
    expect_delivery_error("SMTP_HOST=__none", "REPORT_SMTP_ATTEMPTS=0",
                          "REPORT_SMTP_ATTEMPTS=0 is not a number 1-20");
    /* credentials in clear text only to a sink on this machine */
    expect_delivery_error("SMTP_HOST=__none", "SMTP_TLS=none", "SMTP_TLS=none would send");
    expect_delivery_error("SMTP_PASSWORD=", "SMTP_PASSWORD_FILE=/nonexistent/pw",
                          "SMTP_PASSWORD_FILE: cannot open /nonexistent/pw");
}

static void password_file_and_loopback_plain(void **state)
{
    (void)state;
    char path[] = "/tmp/test_config_pwXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "from-file\n", 10), 10);
    close(fd);
    char pwvar[64];
    snprintf(pwvar, sizeof(pwvar), "SMTP_PASSWORD_FILE=%s", path);
    const char *env[] = {"SMTP_HOST=127.0.0.1",
                         "SMTP_PORT=2525",
                         "SMTP_TLS=none",
                         "SMTP_USER=u",
                         pwvar,
                         "REPORT_FROM=r@loopback.test",
                         "REPORT_TO=ops@loopback.test",
                         NULL};
    fake_env = env;
    struct config c;
    char err[512];
    assert_int_equal(dr_config_load(&c, fake_get, err, sizeof(err)), 0);
    assert_int_equal(dr_config_load_delivery(&c, fake_get, err, sizeof(err)), 0);
    assert_string_equal(c.smtp_password, "from-file"); /* newline stripped */
    assert_int_equal(c.smtp_tls, SMTP_TLS_NONE);
    assert_int_equal(c.smtp_port, 2525);
    dr_config_free(&c);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(empty_source_means_unset),
        cmocka_unit_test(bad_schedule_names_variable),
        cmocka_unit_test(delivery_complete),
        cmocka_unit_test(delivery_errors_name_the_variable),
        cmocka_unit_test(password_file_and_loopback_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
