/* `queue-exporter --probe`: the container health check's HTTP client. The
 * exporter is played by loopback peers this test runs: a healthy one, an
 * unready one, something that is not HTTP, one that never answers (the
 * deadline), and a refused port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "peer.h"
#include "probe.h"

static struct listen_addr addr(const char *host, int port)
{
    char spec[64], err[256];
    snprintf(spec, sizeof(spec), "%s:%d", host, port);
    struct listen_addr a;
    assert_int_equal(listen_addr_parse(spec, &a, err, sizeof(err)), 0);
    return a;
}

static void the_status_code_is_returned_and_the_request_is_plain(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_REPLY, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
    struct listen_addr a = addr("127.0.0.1", p.port);
    char err[256] = "";
    assert_int_equal(qe_probe(&a, "/readyz", 30, err, sizeof(err)), 200);
    peer_stop(&p);
    char want[128];
    snprintf(
        want, sizeof(want),
        "GET /readyz HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nUser-Agent: queue-exporter-probe\r\n\r\n",
        p.port);
    assert_string_equal(p.last_request, want);
}

static void an_unready_exporter_gives_its_status(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_REPLY, "HTTP/1.1 503 Service Unavailable\r\n\r\nnot ready\n");
    struct listen_addr a = addr("127.0.0.1", p.port);
    char err[256];
    assert_int_equal(qe_probe(&a, "/readyz", 30, err, sizeof(err)), 503);
    peer_stop(&p);
}

static void a_wildcard_listener_is_reached_through_loopback(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_REPLY, "HTTP/1.0 204 No Content\r\n\r\n");
    struct listen_addr a = addr("0.0.0.0", p.port);
    char err[256];
    assert_int_equal(qe_probe(&a, "/healthz", 30, err, sizeof(err)), 204);
    peer_stop(&p);
    assert_non_null(strstr(p.last_request, "Host: 127.0.0.1:"));
}

static void something_else_on_the_port_is_not_http(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_GREET, "SSH-2.0-OpenSSH_9.2\r\n");
    struct listen_addr a = addr("127.0.0.1", p.port);
    char err[256], want[128];
    assert_int_equal(qe_probe(&a, "/healthz", 30, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "127.0.0.1:%d answered something that is not HTTP", p.port);
    assert_string_equal(err, want);
    peer_stop(&p);
    /* A status outside 100-599 is not HTTP either. */
    peer_start(&p, PEER_REPLY, "HTTP/1.1 999 Nope\r\n\r\n");
    a = addr("127.0.0.1", p.port);
    assert_int_equal(qe_probe(&a, "/healthz", 30, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "answered something that is not HTTP"));
    peer_stop(&p);
}

static void a_silent_exporter_hits_the_deadline(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_SILENT, "");
    struct listen_addr a = addr("127.0.0.1", p.port);
    char err[256], want[128];
    assert_int_equal(qe_probe(&a, "/healthz", 0.3, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "no answer from 127.0.0.1:%d within 0.3 s", p.port);
    assert_string_equal(err, want);
    peer_stop(&p);
}

static void a_refused_port_and_a_long_path_are_named(void **state)
{
    (void)state;
    int hold;
    int port = refused_port(&hold);
    struct listen_addr a = addr("127.0.0.1", port);
    char err[256], want[128];
    assert_int_equal(qe_probe(&a, "/healthz", 30, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: Connection refused", port);
    assert_string_equal(err, want);
    close(hold);

    struct peer p;
    peer_start(&p, PEER_REPLY, "HTTP/1.0 200 OK\r\n\r\n");
    a = addr("127.0.0.1", p.port);
    char path[600];
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    assert_int_equal(qe_probe(&a, path, 30, err, sizeof(err)), -1);
    assert_string_equal(err, "probe path too long");
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_status_code_is_returned_and_the_request_is_plain),
        cmocka_unit_test(an_unready_exporter_gives_its_status),
        cmocka_unit_test(a_wildcard_listener_is_reached_through_loopback),
        cmocka_unit_test(something_else_on_the_port_is_not_http),
        cmocka_unit_test(a_silent_exporter_hits_the_deadline),
        cmocka_unit_test(a_refused_port_and_a_long_path_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
