/* Prometheus API answers: instant vectors, scalars, targets, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "promapi.h"

static void vectors_and_scalars(void **state)
{
    (void)state;
    struct prom_sample s[4];
    char err[200];
    int n =
        prom_parse_vector("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                          "{\"metric\":{\"job\":\"thanos-sidecar\",\"server\":\"F\",\"instance\":"
                          "\"thanos-sidecar:10902\"},"
                          "\"value\":[1795000000.5,\"1794998200\"]},"
                          "{\"metric\":{},\"value\":[1795000000.5,\"NaN\"]}]}}",
                          s, 4, err, sizeof(err));
    assert_int_equal(n, 2);
    assert_string_equal(s[0].labels, "thanos-sidecar/F thanos-sidecar:10902");
    assert_true(s[0].ts - s[0].value == 1800.5);
    assert_string_equal(s[1].labels, "");
    n = prom_parse_vector("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
                          "\"result\":[1795000000,\"3600\"]}}",
                          s, 4, err, sizeof(err));
    assert_int_equal(n, 1);
    assert_true(s[0].value == 3600);
    n = prom_parse_vector(
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", s, 4, err,
        sizeof(err));
    assert_int_equal(n, 0);
}

static void errors(void **state)
{
    (void)state;
    struct prom_sample s[1];
    char err[200];
    assert_int_equal(prom_parse_vector("<html>", s, 1, err, sizeof(err)), -1);
    assert_string_equal(err, "the answer is not JSON");
    assert_int_equal(prom_parse_vector("{\"status\":\"error\",\"errorType\":\"bad_data\","
                                       "\"error\":\"parse error at char 4\"}",
                                       s, 1, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "Prometheus answered an error: parse error at char 4");
    assert_int_equal(
        prom_parse_vector("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
                          "\"result\":[]}}",
                          s, 1, err, sizeof(err)),
        -1);
    assert_string_equal(err, "expected a vector, got matrix");
}

static void targets_up_down_and_unknown(void **state)
{
    (void)state;
    struct prom_targets t;
    char err[200];
    assert_true(prom_parse_targets(
        "{\"status\":\"success\",\"data\":{\"activeTargets\":["
        "{\"labels\":{\"job\":\"node\",\"server\":\"A\",\"instance\":\"10.0.0.1:9100\"},"
        "\"health\":\"up\",\"lastError\":\"\"},"
        "{\"labels\":{\"job\":\"node\",\"server\":\"B\",\"instance\":\"10.0.0.2:9100\"},"
        "\"health\":\"down\",\"lastError\":\"context deadline exceeded\"},"
        "{\"labels\":{\"job\":\"cadvisor\",\"server\":\"B\",\"instance\":\"10.0.0.2:8080\"},"
        "\"health\":\"unknown\",\"lastError\":\"\"}],\"droppedTargets\":[]}}",
        &t, err, sizeof(err)));
    assert_int_equal(t.total, 3);
    assert_int_equal(t.up, 1);
    assert_string_equal(sb_str(&t.down), "node/B 10.0.0.2:9100: context deadline exceeded; "
                                         "cadvisor/B 10.0.0.2:8080: not scraped yet");
    assert_string_equal(sb_str(&t.jobs), "node 2, cadvisor 1");
    prom_targets_free(&t);
    assert_false(prom_parse_targets("{\"status\":\"success\",\"data\":{}}", &t, err, sizeof(err)));
    assert_string_equal(err, "the answer has no activeTargets");
    prom_targets_free(&t);
}

static void alertmanagers(void **state)
{
    (void)state;
    assert_int_equal(prom_count_alertmanagers(
                         "{\"status\":\"success\",\"data\":{\"activeAlertmanagers\":[{\"url\":"
                         "\"http://am:9093/api/v2/alerts\"}],\"droppedAlertmanagers\":[]}}"),
                     1);
    assert_int_equal(
        prom_count_alertmanagers("{\"status\":\"success\",\"data\":{\"activeAlertmanagers\":[]}}"),
        0);
    assert_int_equal(prom_count_alertmanagers("nope"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vectors_and_scalars),
        cmocka_unit_test(errors),
        cmocka_unit_test(targets_up_down_and_unknown),
        cmocka_unit_test(alertmanagers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
