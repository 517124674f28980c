/* src/common/httpclient: the pieces that need no server (URL redaction
 * through the URL API, query escaping, headers, certificate dates); the
 * transfers themselves: test_promapi.c and test_httpserver.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "httpclient.h"

static void certificate_dates(void **state)
{
    (void)state;
    time_t t;
    assert_true(parse_cert_time("Feb 24 12:00:00 2027 GMT", &t));
    assert_int_equal((long long)t, 1803470400LL);
    assert_true(parse_cert_time(" Mar  5 00:00:01 2027 GMT", &t));
    assert_int_equal((long long)t, 1804204801LL);
    assert_true(parse_cert_time("2027-02-24 12:00:00 GMT", &t));
    assert_int_equal((long long)t, 1803470400LL);
    assert_false(parse_cert_time("tomorrow", &t));
}

static void response_headers(void **state)
{
    (void)state;
    struct http_response rs;
    http_response_init(&rs);
    sb_puts(&rs.headers, "HTTP/1.1 301 Moved Permanently\r\nx-amz-bucket-region:  eu-west-1 "
                         "\r\nContent-Length: 0\r\n\r\n");
    char v[64];
    assert_true(http_header(&rs, "X-Amz-Bucket-Region", v, sizeof(v)));
    assert_string_equal(v, "eu-west-1");
    assert_true(http_header(&rs, "content-length", v, sizeof(v)));
    assert_string_equal(v, "0");
    assert_false(http_header(&rs, "x-amz", v, sizeof(v)));
    http_response_free(&rs);
}

static void failure_kinds(void **state)
{
    (void)state;
    assert_string_equal(http_failure_kind(CURLE_COULDNT_CONNECT), "connection refused or no route");
    assert_string_equal(http_failure_kind(CURLE_OPERATION_TIMEDOUT),
                        "no answer in time (a firewall dropping packets?)");
    assert_string_equal(http_failure_kind(CURLE_COULDNT_RESOLVE_HOST),
                        "the host name does not resolve");
}

static void urls_are_redacted(void **state)
{
    (void)state;
    const struct {
        const char *in, *out;
    } cases[] = {
        {"http://127.0.0.1:9090/api/v1/query?query=up&time=1",
         "http://127.0.0.1:9090/api/v1/query?..."},
        {"https://user:hunter2@prom.example.eu/api", "https://***@prom.example.eu/api"},
        {"https://token@prom.example.eu/?a=b#frag", "https://***@prom.example.eu/?..."},
        /* An @ in the query is not a user: string search got this wrong. */
        {"http://prom:9090/api/v1/query?query=x@y", "http://prom:9090/api/v1/query?..."},
        {"http://[::1]:9090/metrics", "http://[::1]:9090/metrics"},
        {"not a url at all", "(unparseable URL)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        http_redact_url(cases[i].in, out, sizeof(out));
        assert_string_equal(out, cases[i].out);
        assert_null(strstr(out, "hunter2"));
    }
}

static void query_escaping(void **state)
{
    (void)state;
    char *e = http_escape("sum(up{job=~\"a|b\"}) / 2 + x[5m]");
    assert_string_equal(e, "sum%28up%7Bjob%3D~%22a%7Cb%22%7D%29%20%2F%202%20%2B%20x%5B5m%5D");
    free(e);
    e = http_escape("");
    assert_string_equal(e, "");
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls_are_redacted), cmocka_unit_test(query_escaping),
        cmocka_unit_test(certificate_dates), cmocka_unit_test(response_headers),
        cmocka_unit_test(failure_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
