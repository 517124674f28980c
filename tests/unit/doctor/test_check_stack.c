/* Group stack: a running deployment as seen from this machine. One
 * loopback peer this test runs plays Prometheus, Alertmanager and Grafana
 * (their paths do not overlap), healthy or degraded; the Caddy certificate
 * step is skipped here (the integration test reads Caddy's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctorfix.h"

#define HDR "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
#define VEC(labels, value)                                                                         \
    HDR "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"     \
        "{" labels "},\"value\":[1700000000," value "]}]}}"
#define EMPTY_VEC HDR "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}"
#define TARGET(job, health, err)                                                                   \
    "{\"labels\":{\"job\":\"" job                                                                  \
    "\",\"server\":\"A\",\"instance\":\"a:9100\"},\"health\":\"" health "\",\"lastError\":\"" err  \
    "\"}"

static int degraded;

static const char *stack(const char *rq)
{
    if (!strncmp(rq, "GET /-/ready ", 13))
        return HDR "Prometheus Server is Ready.\n";
    if (strstr(rq, "GET /api/v1/targets"))
        return degraded ? HDR
                   "{\"status\":\"success\",\"data\":{\"activeTargets\":[" TARGET(
                       "node", "up", "") "," TARGET("node", "down", "connection refused") "]}}"
                        : HDR "{\"status\":\"success\",\"data\":{\"activeTargets\":[" TARGET(
                              "node", "up", "") "," TARGET("cadvisor", "up", "") "]}}";
    if (strstr(rq, "GET /api/v1/alertmanagers"))
        return degraded ? HDR "{\"status\":\"success\",\"data\":{\"activeAlertmanagers\":[]}}"
                        : HDR "{\"status\":\"success\",\"data\":{\"activeAlertmanagers\":[{"
                              "\"url\":\"http://alertmanager:9093/api/v2/alerts\"}]}}";
    if (strstr(rq, "GET /api/health"))
        return degraded ? HDR "{\"database\":\"failing\",\"version\":\"11.3.1\"}"
                        : HDR "{\"commit\":\"abc\",\"database\":\"ok\",\"version\":\"11.3.1\"}";
    if (strstr(rq, "thanos_objstore_bucket_last_successful_upload_time"))
        /* 10 minutes, or 3 hours, before the evaluation time 1700000000. */
        return degraded ? VEC("", "\"1699989200\"") : VEC("", "\"1699999400\"");
    if (strstr(rq, "thanos_bucket_store_blocks_loaded"))
        return degraded ? VEC("", "\"0\"") : VEC("", "\"3\"");
    if (strstr(rq, "up%7Bjob%3D%22thanos-"))
        return VEC("\"job\":\"thanos\",\"instance\":\"thanos:10902\"", "\"1\"");
    return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

static void run(struct fix *f, struct peer *p, bool explicit_group)
{
    static char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d/", p->port);
    fix_init(f, "");
    f->opt.prometheus_url = base;
    f->opt.alertmanager_url = base;
    f->opt.grafana_url = base;
    f->opt.caddy_url = "";
    f->opt.groups_explicit = explicit_group;
    doc_check_stack(&f->d);
}

static void a_healthy_stack_passes_with_real_figures(void **state)
{
    (void)state;
    degraded = 0;
    struct peer p;
    peer_start(&p, PEER_REPLY, "");
    p.route = stack;
    struct fix f;
    run(&f, &p, false);
    char want[160];
    snprintf(want, sizeof(want), "Prometheus is ready (http://127.0.0.1:%d)", p.port);
    assert_string_equal(fix_expect(&f, "stack.prometheus-ready", CHECK_PASS)->detail, want);
    assert_string_equal(fix_expect(&f, "stack.targets-up", CHECK_PASS)->detail,
                        "all 2 targets up (node 1, cadvisor 1)");
    assert_string_equal(fix_expect(&f, "stack.thanos-sidecar", CHECK_PASS)->detail,
                        "last block uploaded 10m ago (limit 2h 0m)");
    assert_string_equal(fix_expect(&f, "stack.thanos-store", CHECK_PASS)->detail,
                        "the store gateway has 3 block(s) loaded from the bucket");
    assert_contains(fix_expect(&f, "stack.alertmanager", CHECK_PASS)->detail,
                    "Prometheus sends alerts to 1 Alertmanager(s)");
    assert_contains(fix_expect(&f, "stack.grafana", CHECK_PASS)->detail,
                    "Grafana 11.3.1 is healthy, database ok");
    assert_contains(fix_expect(&f, "stack.caddy-cert", CHECK_SKIP)->detail, "no Caddy URL");
    fix_free(&f);
    peer_stop(&p);
}

static void a_degraded_stack_names_each_problem(void **state)
{
    (void)state;
    degraded = 1;
    struct peer p;
    peer_start(&p, PEER_REPLY, "");
    p.route = stack;
    struct fix f;
    run(&f, &p, true);
    assert_string_equal(fix_expect(&f, "stack.targets-up", CHECK_FAIL)->detail,
                        "1 of 2 targets down: node/A a:9100: connection refused");
    const struct check_result *c = fix_expect(&f, "stack.thanos-sidecar", CHECK_FAIL);
    assert_string_equal(c->detail, "last block uploaded 3h 0m ago (limit 2h 0m; Prometheus cuts a "
                                   "block every 2 h)");
    assert_contains(c->fix, "doctor --only s3");
    assert_string_equal(fix_expect(&f, "stack.thanos-store", CHECK_FAIL)->detail,
                        "the store gateway sees 0 blocks although the sidecar has uploaded");
    assert_contains(fix_expect(&f, "stack.alertmanager", CHECK_FAIL)->detail,
                    "but Prometheus sends alerts to no Alertmanager");
    assert_contains(fix_expect(&f, "stack.grafana", CHECK_FAIL)->detail,
                    "answered HTTP 200 without database ok");
    fix_free(&f);
    peer_stop(&p);
}

static void no_stack_running_is_one_skip_unless_asked_for(void **state)
{
    (void)state;
    int hold;
    struct peer p = {.port = refused_port(&hold)};
    struct fix f;
    run(&f, &p, false);
    assert_int_equal(f.rep.n, 1);
    assert_contains(fix_expect(&f, "stack", CHECK_SKIP)->detail, "no stack running here");
    fix_free(&f);
    /* --only stack: every missing component is a failure with its fix. */
    run(&f, &p, true);
    const struct check_result *c = fix_expect(&f, "stack.prometheus-ready", CHECK_FAIL);
    assert_contains(c->detail, "Prometheus: nothing answers at http://127.0.0.1:");
    assert_contains(c->fix, "docker compose up -d prometheus");
    assert_string_equal(fix_expect(&f, "stack.thanos-store", CHECK_SKIP)->detail,
                        "needs Prometheus (see stack.prometheus-ready)");
    assert_contains(fix_expect(&f, "stack.alertmanager", CHECK_FAIL)->fix,
                    "docker compose up -d alertmanager");
    assert_contains(fix_expect(&f, "stack.grafana", CHECK_FAIL)->fix,
                    "docker compose up -d grafana");
    fix_free(&f);
    close(hold);
}

static const char *garbage(const char *rq)
{
    if (!strncmp(rq, "GET /-/ready ", 13))
        return HDR "ready\n";
    return HDR "<html>a proxy's error page</html>";
}

static void a_malformed_answer_is_an_error_never_a_zero(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_REPLY, "");
    p.route = garbage;
    struct fix f;
    run(&f, &p, true);
    assert_contains(fix_expect(&f, "stack.targets-up", CHECK_FAIL)->fix,
                    "check that the URL is Prometheus (--prometheus-url)");
    const struct check_result *c = fix_expect(&f, "stack.thanos-sidecar", CHECK_FAIL);
    assert_string_equal(c->fix, "see stack.prometheus-ready");
    assert_null(strstr(c->detail, "uploaded"));
    fix_free(&f);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_healthy_stack_passes_with_real_figures),
        cmocka_unit_test(a_degraded_stack_names_each_problem),
        cmocka_unit_test(no_stack_running_is_one_skip_unless_asked_for),
        cmocka_unit_test(a_malformed_answer_is_an_error_never_a_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
