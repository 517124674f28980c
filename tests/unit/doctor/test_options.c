/* Command line and DOCTOR_* environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

static enum options_result parse(struct options *o, char *err, int argc, char **argv)
{
    return doc_options_parse(o, argc, argv, err, 256);
}

static void defaults(void **state)
{
    (void)state;
    unsetenv("DOCTOR_PROMETHEUS_URL");
    unsetenv("DOCTOR_CA_FILE");
    unsetenv("DOCTOR_CADDY_URL");
    struct options o;
    char err[256];
    char *argv[] = {"doctor", NULL};
    assert_int_equal(parse(&o, err, 1, argv), OPTIONS_RUN);
    assert_string_equal(o.env_file, "./.env");
    assert_string_equal(o.inventory, "inventory/servers.txt");
    assert_int_equal(o.groups, GROUP_ALL);
    assert_false(o.groups_explicit);
    assert_string_equal(o.prometheus_url, "http://127.0.0.1:9090");
    assert_string_equal(o.alertmanager_url, "http://127.0.0.1:9093");
    assert_string_equal(o.grafana_url, "http://127.0.0.1:3000");
    assert_null(o.caddy_url);
    assert_null(o.cacert);
    assert_int_equal(o.timeout, 10);
    assert_int_equal(o.cert_min_days, 14);
    assert_true(o.max_upload_age == 3 * 3600);
    doc_options_free(&o);
}

static void options_and_environment(void **state)
{
    (void)state;
    setenv("DOCTOR_PROMETHEUS_URL", "http://127.0.0.1:19090", 1);
    setenv("DOCTOR_CA_FILE", "/tmp/ca.crt", 1);
    struct options o;
    char err[256];
    char *argv[] = {
        "doctor",           "--only",    "env,dns", "--skip",        "dns.grafana-domain",
        "--json",           "--timeout", "3",       "--grafana-url", "",
        "--max-upload-age", "1.5",       NULL};
    assert_int_equal(parse(&o, err, 12, argv), OPTIONS_RUN);
    assert_int_equal(o.groups, GROUP_ENV | GROUP_DNS);
    assert_true(o.groups_explicit);
    assert_string_equal(o.skip, "dns.grafana-domain");
    assert_true(o.json);
    assert_int_equal(o.timeout, 3);
    assert_string_equal(o.grafana_url, "");
    assert_string_equal(o.prometheus_url, "http://127.0.0.1:19090");
    assert_string_equal(o.cacert, "/tmp/ca.crt");
    assert_true(o.max_upload_age == 5400);
    doc_options_free(&o);
    unsetenv("DOCTOR_PROMETHEUS_URL");
    unsetenv("DOCTOR_CA_FILE");
}

static void errors(void **state)
{
    (void)state;
    struct options o;
    char err[256];
    char *a1[] = {"doctor", "--only", "env,nope", NULL};
    assert_int_equal(parse(&o, err, 3, a1), OPTIONS_ERROR);
    assert_string_equal(err, "--only: unknown group 'nope' (groups: env, s3, smtp, supabase, "
                             "targets, dns, stack, watcher)");
    doc_options_free(&o);
    char *a2[] = {"doctor", "--timeout", "0", NULL};
    assert_int_equal(parse(&o, err, 3, a2), OPTIONS_ERROR);
    assert_string_equal(err, "--timeout: expected seconds between 1 and 600, got '0'");
    doc_options_free(&o);
    char *a3[] = {"doctor", "extra", NULL};
    assert_int_equal(parse(&o, err, 2, a3), OPTIONS_ERROR);
    assert_string_equal(err, "unexpected argument: extra (see --help)");
    doc_options_free(&o);
    char *a4[] = {"doctor", "--version", NULL};
    assert_int_equal(parse(&o, err, 2, a4), OPTIONS_VERSION);
    doc_options_free(&o);
    char *a5[] = {"doctor", "--env-file", NULL};
    assert_int_equal(parse(&o, err, 2, a5), OPTIONS_ERROR);
    assert_string_equal(err, "option needs a value or is unknown: --env-file");
    doc_options_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(options_and_environment),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
