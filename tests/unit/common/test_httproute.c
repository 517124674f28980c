/* src/common/httproute: which endpoint a request reaches, and how long a
 * scrape may wait, without a server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>

#include "httproute.h"

static void routes(void **state)
{
    (void)state;
    assert_int_equal(http_route("GET", "/metrics"), HTTP_ROUTE_METRICS);
    assert_int_equal(http_route("HEAD", "/metrics"), HTTP_ROUTE_METRICS);
    assert_int_equal(http_route("GET", "/healthz"), HTTP_ROUTE_HEALTHZ);
    assert_int_equal(http_route("GET", "/readyz"), HTTP_ROUTE_READYZ);
    assert_int_equal(http_route("GET", "/-/healthy"), HTTP_ROUTE_HEALTHZ);
    assert_int_equal(http_route("POST", "/-/healthy"), HTTP_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(http_route("POST", "/metrics"), HTTP_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(http_route("DELETE", "/readyz"), HTTP_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(http_route("get", "/metrics"), HTTP_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(http_route("GET", "/"), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(http_route("GET", "/metrics/"), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(http_route("GET", "/METRICS"), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(http_route("POST", "/nope"), HTTP_ROUTE_NOT_FOUND);
}

static void scrape_timeout_header(void **state)
{
    (void)state;
    double w;
    assert_int_equal(http_scrape_wait(NULL, 6.5, &w), 0);
    assert_true(w == 6.5);
    assert_int_equal(http_scrape_wait("10", 6.5, &w), 0);
    assert_true(w == 9.75); /* a margin to send the answer */
    assert_int_equal(http_scrape_wait("1.5 ", 6.5, &w), 0);
    assert_true(w == 1.25);
    assert_int_equal(http_scrape_wait("0.2", 6.5, &w), 0);
    assert_true(w == 0.1); /* floor */
    assert_int_equal(http_scrape_wait("86400", 6.5, &w), 0);
    assert_true(w == 120); /* a client cannot hold a thread for a day */
    const char *bad[] = {"", "abc", "0", "-3", "nan", "inf", "1e999", "5s", "1,5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (http_scrape_wait(bad[i], 6.5, &w) != -1)
            fail_msg("'%s' should be rejected", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes),
        cmocka_unit_test(scrape_timeout_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
