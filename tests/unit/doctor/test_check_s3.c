/* Group s3: the WASABI_* variables as the Thanos sidecar uses them. The
 * offline steps (inputs, endpoint vs region) are checked in full; the
 * network steps against loopback peers this test runs: one that answers
 * plain text to a TLS handshake and one that never answers (a deadline).
 * The answer classification itself is in test_s3.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctorfix.h"

#define WASABI_KEYS                                                                                \
    "WASABI_ACCESS_KEY=TESTWASABIUNITKEY001\n"                                                     \
    "WASABI_SECRET_KEY=s3cr3t-wasabi-unit-test-value\n"                                            \
    "WASABI_BUCKET=ecotrans-monitoring\n"

static void with_endpoint(struct fix *f, const char *region, const char *endpoint, long timeout)
{
    char env[512];
    snprintf(env, sizeof(env), WASABI_KEYS "WASABI_REGION=%s\nWASABI_ENDPOINT=%s\n", region,
             endpoint);
    fix_init(f, env);
    f->opt.timeout = timeout;
}

static void missing_variables_fail_once_and_skip_the_rest(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "WASABI_ACCESS_KEY=TESTWASABIUNITKEY001\nWASABI_BUCKET=\n"
                 "WASABI_REGION=eu-central-1\nWASABI_ENDPOINT=s3.eu-central-1.wasabisys.com\n");
    doc_check_s3(&f.d);
    const struct check_result *c = fix_expect(&f, "s3.credentials", CHECK_FAIL);
    assert_string_equal(c->detail, "cannot check: WASABI_SECRET_KEY is not set in "
                                   "/nonexistent/doctor-unit.env; WASABI_BUCKET is empty in "
                                   "/nonexistent/doctor-unit.env");
    const char *rest[] = {"s3.bucket", "s3.region", "s3.addressing", "s3.probe"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(fix_expect(&f, rest[i], CHECK_SKIP)->detail,
                            "needs the WASABI_* variables");
    assert_int_equal(f.rep.n, 5);
    fix_free(&f);
}

static void an_endpoint_of_another_region_fails_without_a_request(void **state)
{
    (void)state;
    struct fix f;
    with_endpoint(&f, "us-east-1", "s3.eu-central-1.wasabisys.com", 30);
    doc_check_s3(&f.d);
    const struct check_result *c = fix_expect(&f, "s3.region", CHECK_FAIL);
    assert_string_equal(c->detail, "WASABI_REGION=us-east-1 but WASABI_ENDPOINT "
                                   "s3.eu-central-1.wasabisys.com serves eu-central-1");
    assert_contains(c->fix, "s3.<region>.wasabisys.com");
    assert_contains(fix_expect(&f, "s3.credentials", CHECK_SKIP)->detail,
                    "needs a region that matches the endpoint");
    fix_expect(&f, "s3.probe", CHECK_SKIP);
    assert_int_equal(f.rep.n, 5);
    fix_free(&f);
}

static void an_endpoint_not_speaking_tls_is_a_clear_transport_failure(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_RAW, "HTTP/1.0 200 OK\r\n\r\nthis is not TLS\n");
    char ep[64];
    snprintf(ep, sizeof(ep), "127.0.0.1:%d", p.port);
    struct fix f;
    with_endpoint(&f, "eu-central-1", ep, 30);
    doc_check_s3(&f.d);
    const struct check_result *c = fix_expect(&f, "s3.credentials", CHECK_FAIL);
    char want[128];
    snprintf(want, sizeof(want), "list buckets: cannot reach https://%s: the TLS handshake failed",
             ep);
    assert_contains(c->detail, want);
    assert_contains(c->fix, "outbound 443");
    assert_contains(fix_expect(&f, "s3.bucket", CHECK_SKIP)->detail, "needs working credentials");
    /* Neither key appears in any result. */
    char *json = doc_report_json(&f.rep, "x.env", "0");
    assert_null(strstr(json, "s3cr3t-wasabi"));
    free(json);
    fix_free(&f);
    peer_stop(&p);
}

static void a_silent_endpoint_hits_the_deadline(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_SILENT, "");
    char ep[64];
    snprintf(ep, sizeof(ep), "127.0.0.1:%d", p.port);
    struct fix f;
    with_endpoint(&f, "eu-central-1", ep, 1);
    doc_check_s3(&f.d);
    assert_contains(fix_expect(&f, "s3.credentials", CHECK_FAIL)->detail,
                    "no answer in time (a firewall dropping packets?)");
    fix_free(&f);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_variables_fail_once_and_skip_the_rest),
        cmocka_unit_test(an_endpoint_of_another_region_fails_without_a_request),
        cmocka_unit_test(an_endpoint_not_speaking_tls_is_a_clear_transport_failure),
        cmocka_unit_test(a_silent_endpoint_hits_the_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
