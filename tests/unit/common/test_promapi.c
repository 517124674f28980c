/* src/common/promapi: strict parsing of the Prometheus API envelope
 * (vectors, scalars, matrices, API errors, and every malformed answer an
 * error, never a 0), and the client against a real HTTP server
 * (libmicrohttpd on an ephemeral loopback port): the base URL given once,
 * the query escaped, the evaluation time passed, errors redacted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpclient.h"
#include "promapi.h"

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
        /* What the doctor's former parser turned into 0 or skipped: */
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1,\"abc\"]}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{}}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1]}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[\"1\",\"2\"]}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":\"x\",\"value\":[1,\"2\"]}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"\"]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}",
        "{\"status\":\"error\"}",
        "",
        /* issue 14: strtod alone took hex floats and other spellings */
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1,\"0x1p3\"]}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1,\"inf\"]}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1,\" 5\"]}]}}",
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1,\"1e\"]}]}}",
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

/* A Prometheus stand-in: answers /prom/api/v1/query with the query and the
 * time it received as labels, /prom/api/v1/query_range with one series, and
 * a non-JSON 502 for anything else. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_size, (void)req_cls;
    char body[1024];
    unsigned status = 200;
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "query");
    const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "time");
    if (strcmp(url, "/prom/api/v1/query") == 0 && q)
        snprintf(body, sizeof(body),
                 "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                 "[{\"metric\":{\"q\":\"%s\",\"t\":\"%s\"},\"value\":[1795000000.5,\"42\"]}]}}",
                 strchr(q, '"') ? "quote" : q, t ? t : "none");
    else if (strcmp(url, "/prom/api/v1/query_range") == 0)
        snprintf(body, sizeof(body),
                 "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                 "[{\"metric\":{\"server\":\"A\"},\"values\":[[1,\"1\"],[2,\"2\"]]}]}}");
    else if (strcmp(url, "/fake500/api/v1/query") == 0 ||
             strcmp(url, "/fake302/api/v1/query") == 0) {
        /* A success envelope on an error status: not data (issue 14). */
        status = url[5] == '5' ? 500 : 302;
        snprintf(body, sizeof(body),
                 "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                 "[{\"metric\":{\"q\":\"x\"},\"value\":[1,\"42\"]}]}}");
    } else {
        status = 502;
        snprintf(body, sizeof(body), "<html>bad gateway</html>");
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void client_against_a_server(void **state)
{
    (void)state;
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer,
                                            NULL, MHD_OPTION_END);
    assert_non_null(d);
    unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char base[160], want[200], err[512];
    snprintf(base, sizeof(base), "http://127.0.0.1:%u/prom/", port);
    assert_int_equal(http_global_init("test/1", NULL), 0);
    struct prom_client *c = prom_client_new(base, 5, NULL);
    assert_non_null(c);
    snprintf(want, sizeof(want), "http://127.0.0.1:%u/prom", port);
    assert_string_equal(prom_client_url(c), want); /* trailing / dropped */
    struct prom_vector v;
    assert_int_equal(prom_query(c, "sum(up{job=~\"a|b\"}) / 2 + rate(x[5m])", 1795000000, "q", "t",
                                &v, err, sizeof(err)),
                     0);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.rows[0].l1, "quote"); /* arrived decoded, quotes and all */
    assert_string_equal(v.rows[0].l2, "1795000000.000");
    assert_true(v.rows[0].value == 42 && v.rows[0].t == 1795000000.5);
    prom_vector_free(&v);
    assert_int_equal(prom_query(c, "up + 1", 0, "q", "t", &v, err, sizeof(err)), 0);
    assert_string_equal(v.rows[0].l1, "up + 1");
    assert_string_equal(v.rows[0].l2, "none"); /* 0: no time, the server's now */
    prom_vector_free(&v);
    struct prom_matrix m;
    assert_int_equal(prom_query_range(c, "up", 0, 60, 30, "server", &m, err, sizeof(err)), 0);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.series[0].n, 2);
    prom_matrix_free(&m);
    prom_client_free(c);

    /* A proxy's HTML error page: an HTTP error naming the URL, redacted. */
    snprintf(base, sizeof(base), "http://user:hunter2@127.0.0.1:%u/elsewhere", port);
    c = prom_client_new(base, 5, NULL);
    assert_int_equal(prom_query(c, "up", 0, "q", NULL, &v, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "GET http://***@127.0.0.1:%u/elsewhere/api/v1/query?...: HTTP 502",
             port);
    assert_string_equal(err, want);
    prom_client_free(c);
    for (int i = 0; i < 2; i++) {
        snprintf(base, sizeof(base), "http://127.0.0.1:%u/%s", port, i ? "fake302" : "fake500");
        c = prom_client_new(base, 5, NULL);
        assert_int_equal(prom_query(c, "up", 0, "q", NULL, &v, err, sizeof(err)), -1);
        assert_non_null(strstr(err, i ? ": HTTP 302" : ": HTTP 500"));
        assert_int_equal(v.n, 0);
        prom_client_free(c);
    }
    MHD_stop_daemon(d);

    /* Nothing listens any more: a transport error, still redacted. */
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
    c = prom_client_new(base, 5, NULL);
    assert_int_equal(prom_query(c, "up", 0, "q", NULL, &v, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/api/v1/query?...: "));
    assert_null(strstr(err, "query=up"));
    prom_client_free(c);
    http_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_with_labels_and_special_values),
        cmocka_unit_test(vector_with_two_labels),
        cmocka_unit_test(scalar_and_empty_results),
        cmocka_unit_test(api_errors_and_garbage),
        cmocka_unit_test(matrix),
        cmocka_unit_test(client_against_a_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
