/* Address facts and the IPv6-only verdict (the Supabase direct host). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "resolve.h"

static struct resolved v6only(enum v6_route route)
{
    struct resolved r;
    memset(&r, 0, sizeof(r));
    snprintf(r.v6[r.n6++], sizeof(r.v6[0]), "2a05:d014:1c06:5f00::1");
    r.route = route;
    snprintf(r.v6_source, sizeof(r.v6_source), "fd00::2");
    return r;
}

static void ipv6_only_without_route_fails_before_connecting(void **state)
{
    (void)state;
    char msg[300];
    struct resolved r = v6only(V6_ROUTE_NONE);
    assert_false(doc_ipv6_only_verdict("db.x.supabase.co", &r, false, false, msg, sizeof(msg)));
    assert_string_equal(msg, "db.x.supabase.co has only IPv6 addresses (2a05:d014:1c06:5f00::1) "
                             "and this server has no IPv6 route");
}

static void private_source_fails_only_when_the_connection_failed(void **state)
{
    (void)state;
    char msg[300];
    struct resolved r = v6only(V6_ROUTE_PRIVATE_ONLY);
    assert_true(doc_ipv6_only_verdict("db.x.supabase.co", &r, false, false, msg, sizeof(msg)));
    assert_false(doc_ipv6_only_verdict("db.x.supabase.co", &r, true, true, msg, sizeof(msg)));
    assert_string_equal(msg, "db.x.supabase.co has only IPv6 addresses (2a05:d014:1c06:5f00::1); "
                             "this server has only a private IPv6 address (fd00::2) and the "
                             "connection failed");
    assert_true(doc_ipv6_only_verdict("db.x.supabase.co", &r, true, false, msg, sizeof(msg)));
    assert_string_equal(msg, "db.x.supabase.co resolves to IPv6 only (2a05:d014:1c06:5f00::1); "
                             "reachable over IPv6");
}

static void ipv4_is_always_fine(void **state)
{
    (void)state;
    char msg[300];
    struct resolved r = v6only(V6_ROUTE_NONE);
    snprintf(r.v4[r.n4++], sizeof(r.v4[0]), "3.65.1.2");
    assert_true(doc_ipv6_only_verdict("aws-0-eu-central-1.pooler.supabase.com", &r, true, true, msg,
                                      sizeof(msg)));
    assert_string_equal(msg, "aws-0-eu-central-1.pooler.supabase.com resolves to 3.65.1.2, "
                             "2a05:d014:1c06:5f00::1");
}

static void private_ranges_and_comparison(void **state)
{
    (void)state;
    assert_true(doc_ipv6_is_private("fd00::2"));
    assert_true(doc_ipv6_is_private("fe80::1"));
    assert_true(doc_ipv6_is_private("::1"));
    assert_false(doc_ipv6_is_private("2001:db8::1"));
    assert_false(doc_ipv6_is_private("10.0.0.1"));
    struct resolved r;
    assert_true(doc_resolve_host("127.0.0.1", &r));
    assert_int_equal(r.n4, 1);
    assert_true(doc_resolved_contains(&r, "127.0.0.1"));
    assert_false(doc_resolved_contains(&r, "127.0.0.2"));
    struct resolved r6 = v6only(V6_ROUTE_GLOBAL);
    assert_true(doc_resolved_contains(&r6, "2A05:D014:1C06:5F00:0:0:0:1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv6_only_without_route_fails_before_connecting),
        cmocka_unit_test(private_source_fails_only_when_the_connection_failed),
        cmocka_unit_test(ipv4_is_always_fine),
        cmocka_unit_test(private_ranges_and_comparison),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
