/* The doctor's own DOCTOR_* variables: a bad URL stops the doctor before
 * any check, naming the variable; good and empty values pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "envtable.h"
#include "options.h"

static enum options_result parse(char *err, size_t errsz)
{
    char *argv[] = {"doctor", NULL};
    struct options opt;
    enum options_result r = doc_options_parse(&opt, 1, argv, err, errsz);
    doc_options_free(&opt);
    return r;
}

static void doctor_variables(void **state)
{
    (void)state;
    char err[512] = "";
    unsetenv("DOCTOR_PROMETHEUS_URL");
    unsetenv("DOCTOR_CADDY_URL");
    assert_int_equal(parse(err, sizeof(err)), OPTIONS_RUN);
    setenv("DOCTOR_PROMETHEUS_URL", "prometheus:9090", 1);
    assert_int_equal(parse(err, sizeof(err)), OPTIONS_ERROR);
    assert_ptr_equal(strstr(err, "DOCTOR_PROMETHEUS_URL=prometheus:9090 is not an http(s):// URL"),
                     err);
    setenv("DOCTOR_PROMETHEUS_URL", "http://127.0.0.1:9090", 1);
    setenv("DOCTOR_CADDY_URL", "", 1); /* empty: skip the certificate check */
    assert_int_equal(parse(err, sizeof(err)), OPTIONS_RUN);
    unsetenv("DOCTOR_PROMETHEUS_URL");
    unsetenv("DOCTOR_CADDY_URL");
    for (size_t i = 0; i < doc_env_table.n; i++)
        assert_ptr_equal(strstr(doc_env_table.vars[i].name, "DOCTOR_"), doc_env_table.vars[i].name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(doctor_variables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
