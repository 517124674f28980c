/* Parsing of the Prometheus and Alertmanager API responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "alerts.h"
#include "prom_api.h"

#define PARSE_VEC(json, l1, l2, v, err)                                                            \
    prom_parse_vector(json, strlen(json), l1, l2, v, err, sizeof(err))

static void vector_with_labels_and_special_values(void **state)
{
    (void)state;
    const char *j =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"server\":\"F\",\"job\":\"node\"},\"value\":[1795762800.123,\"12.5\"]},"
        "{\"metric\":{\"server\":\"B\"},\"value\":[1795762800,\"NaN\"]},"
        "{\"metric\":{},\"value\":[1795762800,\"+Inf\"]}]}}";
    struct prom_vector v;
    char err[256];
    assert_int_equal(PARSE_VEC(j, "server", NULL, &v, err), 0);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.rows[0].l1, "F");
    assert_null(v.rows[0].l2);
    assert_true(v.rows[0].value == 12.5);
    assert_true(isnan(v.rows[1].value));
    assert_string_equal(v.rows[2].l1, ""); /* missing label */
    assert_true(isinf(v.rows[2].value) && v.rows[2].value > 0);
    assert_ptr_equal(prom_vector_find(&v, "B", NULL), &v.rows[1]);
    assert_null(prom_vector_find(&v, "A", NULL));
    prom_vector_free(&v);
}

static void vector_with_two_labels(void **state)
{
    (void)state;
    const char *j = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                    "{\"metric\":{\"queue\":\"t\",\"status\":\"pending\"},\"value\":[1,\"42\"]},"
                    "{\"metric\":{\"queue\":\"t\",\"status\":\"failed\"},\"value\":[1,\"15\"]}]}}";
    struct prom_vector v;
    char err[256];
    assert_int_equal(PARSE_VEC(j, "queue", "status", &v, err), 0);
    assert_int_equal(v.n, 2);
    assert_true(prom_vector_find(&v, "t", "failed")->value == 15);
    assert_true(prom_vector_find(&v, "t", "pending")->value == 42);
    assert_null(prom_vector_find(&v, "t", "processing"));
    prom_vector_free(&v);
}

static void scalar_and_empty_results(void **state)
{
    (void)state;
    struct prom_vector v;
    char err[256];
    assert_int_equal(PARSE_VEC("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
                               "\"result\":[1795762800,\"3\"]}}",
                               "server", NULL, &v, err),
                     0);
    assert_int_equal(v.n, 1);
    assert_true(v.rows[0].value == 3);
    prom_vector_free(&v);
    assert_int_equal(PARSE_VEC("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                               "\"result\":[]}}",
                               "server", NULL, &v, err),
                     0);
    assert_int_equal(v.n, 0);
    prom_vector_free(&v);
}

static void api_errors_and_garbage(void **state)
{
    (void)state;
    struct prom_vector v;
    char err[256];
    assert_int_equal(PARSE_VEC("{\"status\":\"error\",\"errorType\":\"bad_data\","
                               "\"error\":\"parse error at char 3\"}",
                               "server", NULL, &v, err),
                     -1);
    assert_string_equal(err, "query failed: bad_data: parse error at char 3");
    const char *bad[] = {
        "<html>502 Bad Gateway</html>",
        "{\"status\":\"success\"}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1,2]}]}}", /* value not a string */
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1,\"12abc\"]}]}}",
        "[1,2,3]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(PARSE_VEC(bad[i], "server", NULL, &v, err), -1);
        assert_true(err[0] != '\0');
        assert_int_equal(v.n, 0);
    }
}

static void matrix(void **state)
{
    (void)state;
    const char *j = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                    "{\"metric\":{\"server\":\"F\"},\"values\":[[100,\"1\"],[220,\"2.5\"],[340,"
                    "\"NaN\"]]},"
                    "{\"metric\":{\"server\":\"B\"},\"values\":[]}]}}";
    struct prom_matrix m;
    char err[256];
    assert_int_equal(prom_parse_matrix(j, strlen(j), "server", &m, err, sizeof(err)), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.series[0].l1, "F");
    assert_int_equal(m.series[0].n, 3);
    assert_true(m.series[0].t[1] == 220 && m.series[0].v[1] == 2.5);
    assert_true(isnan(m.series[0].v[2]));
    assert_int_equal(m.series[1].n, 0);
    prom_matrix_free(&m);
    const char *bad = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                      "{\"metric\":{},\"values\":[[1]]}]}}";
    assert_int_equal(prom_parse_matrix(bad, strlen(bad), "server", &m, err, sizeof(err)), -1);
}

static void alerts_sorted_filtered_and_defaulted(void **state)
{
    (void)state;
    const char *j =
        "["
        "{\"labels\":{\"alertname\":\"DiskLow\",\"severity\":\"warning\",\"server\":\"A\"},"
        "\"annotations\":{\"summary\":\"disk <10%\"},\"startsAt\":\"2026-11-27T06:00:00Z\","
        "\"status\":{\"state\":\"active\"}},"
        "{\"labels\":{\"alertname\":\"Silenced\",\"severity\":\"critical\"},\"annotations\":{},"
        "\"startsAt\":\"2026-11-27T06:00:00Z\",\"status\":{\"state\":\"suppressed\"}},"
        "{\"labels\":{\"alertname\":\"HostDown\",\"severity\":\"critical\",\"instance\":\"b:9100\"}"
        ","
        "\"annotations\":{\"description\":\"no scrape\"},\"startsAt\":\"2026-11-27T06:30:00.5Z\","
        "\"status\":{\"state\":\"active\"}},"
        "{\"labels\":{\"alertname\":\"Older\",\"severity\":\"warning\"},\"annotations\":{},"
        "\"startsAt\":\"2026-11-26T06:00:00Z\",\"status\":{\"state\":\"active\"}},"
        "{\"labels\":{\"alertname\":\"Odd\"},\"startsAt\":\"2026-11-27T06:00:00Z\"},"
        "{\"labels\":{\"alertname\":\"Watchdog\",\"severity\":\"none\"},"
        "\"startsAt\":\"2026-11-27T06:00:00Z\",\"status\":{\"state\":\"active\"}}"
        "]";
    struct am_alerts a;
    char err[256];
    assert_int_equal(am_parse_alerts(j, strlen(j), &a, err, sizeof(err)), 0);
    assert_int_equal(a.n, 4); /* the suppressed one and the Watchdog are left out */
    assert_int_equal(a.watchdog, 1);
    assert_string_equal(a.items[0].name, "HostDown");
    assert_string_equal(a.items[0].server, "b:9100"); /* instance when no server label */
    assert_string_equal(a.items[0].summary, "no scrape");
    assert_int_equal(a.items[0].since, 1795761000);
    assert_string_equal(a.items[1].name, "Older"); /* warnings, oldest first */
    assert_string_equal(a.items[2].name, "DiskLow");
    assert_string_equal(a.items[2].server, "A");
    assert_string_equal(a.items[2].summary, "disk <10%");
    assert_string_equal(a.items[3].name, "Odd"); /* no severity: last */
    assert_string_equal(a.items[3].severity, "");
    am_alerts_free(&a);

    assert_int_equal(am_parse_alerts("[]", 2, &a, err, sizeof(err)), 0);
    assert_int_equal(a.n, 0);
    assert_int_equal(a.watchdog, 0);
    am_alerts_free(&a);
    assert_int_equal(am_parse_alerts("{}", 2, &a, err, sizeof(err)), -1);
    const char *badtime = "[{\"labels\":{},\"startsAt\":\"yesterday\"}]";
    assert_int_equal(am_parse_alerts(badtime, strlen(badtime), &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "startsAt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_with_labels_and_special_values),
        cmocka_unit_test(vector_with_two_labels),
        cmocka_unit_test(scalar_and_empty_results),
        cmocka_unit_test(api_errors_and_garbage),
        cmocka_unit_test(matrix),
        cmocka_unit_test(alerts_sorted_filtered_and_defaulted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
