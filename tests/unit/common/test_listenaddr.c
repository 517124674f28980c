/* src/common/listenaddr: the one listen-address parser (IPv4, host names,
 * [IPv6]:port, wildcards), the wildcard-to-loopback rule, the validator,
 * and a real bind on an ephemeral loopback port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listenaddr.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void parses_addresses(void **state)
{
    (void)state;
    const struct {
        const char *spec, *text, *connect;
        int family;
    } good[] = {
        {"127.0.0.1:9201", "127.0.0.1:9201", "127.0.0.1:9201", AF_INET},
        {"0.0.0.0:35201", "0.0.0.0:35201", "127.0.0.1:35201", AF_INET},
        {"[::1]:9201", "[::1]:9201", "[::1]:9201", AF_INET6},
        {"[::]:9200", "[::]:9200", "[::1]:9200", AF_INET6},
        {"localhost:9200", NULL, NULL, 0}, /* resolved: IPv4 or IPv6 loopback */
        {"127.0.0.2:1", "127.0.0.2:1", "127.0.0.2:1", AF_INET},
        {"10.1.2.3:65535", "10.1.2.3:65535", "10.1.2.3:65535", AF_INET},
    };
    for (size_t i = 0; i < N(good); i++) {
        struct listen_addr a, c;
        char err[256] = "";
        if (listen_addr_parse(good[i].spec, &a, err, sizeof(err)) != 0)
            fail_msg("%s refused: %s", good[i].spec, err);
        listen_addr_connectable(&a, &c);
        if (good[i].text) {
            assert_string_equal(a.text, good[i].text);
            assert_string_equal(c.text, good[i].connect);
            assert_int_equal(a.ss.ss_family, good[i].family);
        }
        struct strbuf why;
        sb_init(&why);
        assert_true(listen_addr_check(good[i].spec, &why));
        sb_free(&why);
    }
    struct listen_addr a;
    char err[256];
    assert_int_equal(listen_addr_parse("[::1]:9201", &a, err, sizeof(err)), 0);
    assert_int_equal(listen_addr_port(&a), 9201);
}

static void refuses_bad_addresses(void **state)
{
    (void)state;
    const char *bad[] = {
        "9201",        ":9201", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:92a",
        "[::1:9201",   "",      "::1:9201",   "[::1]9201",   "[]:9201",         "127.0.0.1:-1",
        "256.1.1.1:80"};
    for (size_t i = 0; i < N(bad); i++) {
        struct listen_addr a;
        char err[256] = "";
        if (listen_addr_parse(bad[i], &a, err, sizeof(err)) != -1)
            fail_msg("%s accepted", bad[i]);
        assert_non_null(strstr(err, "listen address"));
        struct strbuf why;
        sb_init(&why);
        assert_false(listen_addr_check(bad[i], &why));
        assert_true(why.len > 0);
        assert_null(strstr(sb_str(&why), "listen address '")); /* the reason only */
        sb_free(&why);
    }
}

static void binds_and_reports_the_address_in_use(void **state)
{
    (void)state;
    struct listen_addr a;
    char err[256];
    assert_int_equal(listen_addr_parse("127.0.0.1:1", &a, err, sizeof(err)), 0);
    /* Port 0: the kernel picks a free one; read it back. */
    ((struct sockaddr_in *)&a.ss)->sin_port = 0;
    int fd = listen_addr_open(&a, 4, err, sizeof(err));
    assert_true(fd >= 0);
    struct sockaddr_in got;
    socklen_t len = sizeof(got);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&got, &len), 0);
    char spec[64];
    snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(got.sin_port));
    struct listen_addr b;
    assert_int_equal(listen_addr_parse(spec, &b, err, sizeof(err)), 0);
    assert_int_equal(listen_addr_open(&b, 4, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Address already in use"));
    close(fd);
}

static void listen_addresses(void **state)
{
    (void)state;
    struct listen_addr a, b;
    char err[256];
    assert_int_equal(listen_addr_parse("127.0.0.1:9200", &a, err, sizeof(err)), 0);
    assert_int_equal(a.ss.ss_family, AF_INET);
    assert_string_equal(a.text, "127.0.0.1:9200");
    assert_int_equal(listen_addr_parse("[::1]:31200", &a, err, sizeof(err)), 0);
    assert_int_equal(a.ss.ss_family, AF_INET6);
    assert_string_equal(a.text, "[::1]:31200");
    assert_int_equal(listen_addr_parse("0.0.0.0:9200", &a, err, sizeof(err)), 0);
    listen_addr_connectable(&a, &b);
    assert_string_equal(b.text, "127.0.0.1:9200");
    assert_int_equal(listen_addr_parse("[::]:9200", &a, err, sizeof(err)), 0);
    listen_addr_connectable(&a, &b);
    assert_string_equal(b.text, "[::1]:9200");
    assert_int_equal(listen_addr_parse("127.0.0.2:80", &a, err, sizeof(err)), 0);
    listen_addr_connectable(&a, &b);
    assert_string_equal(b.text, "127.0.0.2:80");

    const char *bad[][2] = {
        {"9200", "expected ADDR:PORT"},
        {":9200", "expected ADDR:PORT"},
        {"127.0.0.1:", "port must be 1-65535"},
        {"127.0.0.1:0", "port must be 1-65535"},
        {"127.0.0.1:65536", "port must be 1-65535"},
        {"127.0.0.1:92x0", "port must be 1-65535"},
        {"127.0.0.1:-1", "port must be 1-65535"},
        {"::1:9200", "expected ADDR:PORT"},
        {"[::1]9200", "expected [IPv6]:PORT"},
        {"[]:9200", "bad IPv6 address"},
        {"[127.0.0.1]:9200", "cannot resolve"},
        {"no-such-host.invalid:9200", "cannot resolve"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (listen_addr_parse(bad[i][0], &a, err, sizeof(err)) != -1 || !strstr(err, bad[i][1]))
            fail_msg("'%s': expected error '%s', got '%s'", bad[i][0], bad[i][1], err);
    }
}

static void listening_on_a_taken_port_names_the_address(void **state)
{
    (void)state;
    struct listen_addr a;
    char err[256];
    assert_int_equal(listen_addr_parse("127.0.0.1:0", &a, err, sizeof(err)),
                     -1); /* port 0 refused */
    /* Bind an ephemeral port, then try to listen on it again. */
    assert_int_equal(listen_addr_parse("127.0.0.1:1", &a, err, sizeof(err)), 0);
    ((struct sockaddr_in *)&a.ss)->sin_port = 0;
    int fd = listen_addr_open(&a, 4, err, sizeof(err));
    assert_true(fd >= 0);
    struct sockaddr_in bound;
    socklen_t len = sizeof(bound);
    getsockname(fd, (struct sockaddr *)&bound, &len);
    ((struct sockaddr_in *)&a.ss)->sin_port = bound.sin_port;
    snprintf(a.text, sizeof(a.text), "127.0.0.1:%u", ntohs(bound.sin_port));
    assert_int_equal(listen_addr_open(&a, 4, err, sizeof(err)), -1);
    char expect[128];
    snprintf(expect, sizeof(expect), "cannot listen on %s: bind: Address already in use", a.text);
    assert_string_equal(err, expect);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_addresses),
        cmocka_unit_test(refuses_bad_addresses),
        cmocka_unit_test(binds_and_reports_the_address_in_use),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(listening_on_a_taken_port_names_the_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
