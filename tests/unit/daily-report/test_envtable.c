/* The daily report's env tables: every variable the loader reads is
 * listed (and nothing twice), secrets are flagged, the .env sources match
 * the names compose uses, and the image's defaults pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "envtable.h"
#include "fakeenv.h"

static const struct env_table *const TABLES[] = {&dr_env_table, &dr_env_delivery_table};

static const struct env_var *find(const char *name)
{
    for (size_t t = 0; t < 2; t++) {
        const struct env_var *v = env_table_find(TABLES[t], name);
        if (v)
            return v;
    }
    return NULL;
}

static void every_variable_once(void **state)
{
    (void)state;
    /* What settings.c reads (docs/daily-report.md lists the same). */
    const char *read[] = {"PROMETHEUS_URL",
                          "ALERTMANAGER_URL",
                          "REPORT_DB_DSN",
                          "REPORT_DB_TIMEOUT_SECONDS",
                          "REPORT_SCHEMA_CONTRACT",
                          "GRAFANA_URL",
                          "REPORT_TZ",
                          "REPORT_TIME",
                          "REPORT_CATCHUP_MINUTES",
                          "REPORT_STATE_FILE",
                          "REPORT_METRICS_LISTEN",
                          "SMTP_HOST",
                          "SMTP_TLS",
                          "SMTP_PORT",
                          "SMTP_USER",
                          "SMTP_PASSWORD",
                          "SMTP_PASSWORD_FILE",
                          "SMTP_CA_FILE",
                          "REPORT_FROM",
                          "REPORT_TO",
                          "REPORT_SMTP_ATTEMPTS",
                          "REPORT_SMTP_BACKOFF_SECONDS"};
    size_t total = 0;
    for (size_t i = 0; i < sizeof(read) / sizeof(read[0]); i++)
        if (!find(read[i]))
            fail_msg("%s is read but not in a table", read[i]);
    for (size_t t = 0; t < 2; t++) {
        total += TABLES[t]->n;
        for (size_t i = 0; i < TABLES[t]->n; i++) {
            const struct env_var *v = &TABLES[t]->vars[i];
            assert_ptr_equal(find(v->name), v); /* not in both tables */
            assert_non_null(v->fix);
            if (strstr(v->name, "PASSWORD") && !strstr(v->name, "_FILE"))
                assert_true(v->flags & ENV_SECRET);
            if (strstr(v->name, "DSN"))
                assert_true(v->flags & ENV_SECRET);
        }
    }
    assert_int_equal(total, sizeof(read) / sizeof(read[0]));
    assert_string_equal(find("REPORT_FROM")->dotenv, "SMTP_FROM");
    assert_string_equal(find("REPORT_TO")->dotenv, "REPORT_EMAIL_TO");
}

static void image_defaults_pass(void **state)
{
    (void)state;
    char err[512];
    /* src/daily-report/Dockerfile's ENV */
    static const char *image[] = {"REPORT_METRICS_LISTEN=0.0.0.0:9201",
                                  "REPORT_STATE_FILE=/var/lib/daily-report/state", NULL};
    fake_env = image;
    assert_int_equal(env_table_check(&dr_env_table, fake_get, err, sizeof(err)), 0);
    static const char *none[] = {NULL};
    fake_env = none;
    assert_int_equal(env_table_check(&dr_env_delivery_table, fake_get, err, sizeof(err)), -1);
    assert_ptr_equal(strstr(err, "SMTP_HOST is not set"), err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_variable_once),
        cmocka_unit_test(image_defaults_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
