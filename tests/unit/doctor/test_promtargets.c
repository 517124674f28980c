/* The Prometheus answers only the doctor reads: targets, Alertmanagers.
 * (Queries: tests/unit/common/test_promapi.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "promtargets.h"

static void targets_up_down_and_unknown(void **state)
{
    (void)state;
    struct prom_targets t;
    char err[200];
    assert_true(doc_prom_parse_targets(
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
    doc_prom_targets_free(&t);
    assert_false(
        doc_prom_parse_targets("{\"status\":\"success\",\"data\":{}}", &t, err, sizeof(err)));
    assert_string_equal(err, "the answer has no activeTargets");
    doc_prom_targets_free(&t);
}

static void alertmanagers(void **state)
{
    (void)state;
    assert_int_equal(doc_prom_count_alertmanagers(
                         "{\"status\":\"success\",\"data\":{\"activeAlertmanagers\":[{\"url\":"
                         "\"http://am:9093/api/v2/alerts\"}],\"droppedAlertmanagers\":[]}}"),
                     1);
    assert_int_equal(doc_prom_count_alertmanagers(
                         "{\"status\":\"success\",\"data\":{\"activeAlertmanagers\":[]}}"),
                     0);
    assert_int_equal(doc_prom_count_alertmanagers("nope"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(targets_up_down_and_unknown),
        cmocka_unit_test(alertmanagers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
