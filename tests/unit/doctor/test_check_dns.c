/* Group dns: GRAFANA_DOMAIN must resolve to SERVER_F_PUBLIC_IP. Names are
 * resolved through /etc/hosts ("localhost") and literal addresses only, so
 * no query leaves the machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctorfix.h"

static void missing_inputs_are_named(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=monitoring.ecotrans.eu\nSERVER_F_PUBLIC_IP=\n");
    doc_check_dns(&f.d);
    const struct check_result *c = fix_expect(&f, "dns.grafana-domain", CHECK_FAIL);
    assert_string_equal(
        c->detail, "cannot check: SERVER_F_PUBLIC_IP is empty in /nonexistent/doctor-unit.env");
    assert_contains(c->fix, ".env.example");
    fix_free(&f);
}

static void an_address_that_is_not_an_ip_is_refused_before_resolving(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=localhost\nSERVER_F_PUBLIC_IP=10.0.0.300\n");
    doc_check_dns(&f.d);
    const struct check_result *c = fix_expect(&f, "dns.grafana-domain", CHECK_FAIL);
    assert_string_equal(c->detail, "SERVER_F_PUBLIC_IP=10.0.0.300 is not an IP address");
    assert_string_equal(c->fix, "set SERVER_F_PUBLIC_IP to this server's address");
    fix_free(&f);
}

static void a_name_pointing_elsewhere_fails_with_the_record_to_create(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=localhost\nSERVER_F_PUBLIC_IP=127.0.0.2\n");
    doc_check_dns(&f.d);
    const struct check_result *c = fix_expect(&f, "dns.grafana-domain", CHECK_FAIL);
    assert_contains(c->detail, "localhost resolves to 127.0.0.1");
    assert_contains(c->detail, "not to SERVER_F_PUBLIC_IP 127.0.0.2");
    assert_string_equal(c->fix, "create a DNS A record localhost -> 127.0.0.2 (TTL 300), then "
                                "wait for it");
    fix_free(&f);
}

static void an_ipv6_address_asks_for_an_aaaa_record(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=127.0.0.1\nSERVER_F_PUBLIC_IP=2001:db8::10\n");
    doc_check_dns(&f.d);
    const struct check_result *c = fix_expect(&f, "dns.grafana-domain", CHECK_FAIL);
    assert_contains(c->fix, "create a DNS AAAA record 127.0.0.1 -> 2001:db8::10");
    fix_free(&f);
}

static void a_name_resolving_to_this_server_passes(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=localhost\nSERVER_F_PUBLIC_IP=127.0.0.1\n");
    doc_check_dns(&f.d);
    const struct check_result *c = fix_expect(&f, "dns.grafana-domain", CHECK_PASS);
    assert_contains(c->detail, "localhost resolves to 127.0.0.1");
    assert_contains(c->detail, "(SERVER_F_PUBLIC_IP)");
    assert_int_equal(f.rep.n, 1);
    fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_inputs_are_named),
        cmocka_unit_test(an_address_that_is_not_an_ip_is_refused_before_resolving),
        cmocka_unit_test(a_name_pointing_elsewhere_fails_with_the_record_to_create),
        cmocka_unit_test(an_ipv6_address_asks_for_an_aaaa_record),
        cmocka_unit_test(a_name_resolving_to_this_server_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
