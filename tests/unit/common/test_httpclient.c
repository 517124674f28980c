/* Pieces of the HTTP wrapper that need no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(certificate_dates),
        cmocka_unit_test(response_headers),
        cmocka_unit_test(failure_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
