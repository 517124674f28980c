/* Command line, listen addresses and HTTP routing decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "listenaddr.h"
#include "route.h"

static const char *fake_env[8][2];

static const char *env(const char *name)
{
    for (size_t i = 0; i < 8 && fake_env[i][0]; i++)
        if (strcmp(fake_env[i][0], name) == 0)
            return fake_env[i][1];
    return NULL;
}

static int parse(struct qe_cli *cli, char *err, size_t errsz, ...)
{
    char *argv[16] = {"queue-exporter"};
    int argc = 1;
    va_list ap;
    va_start(ap, errsz);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 15;)
        argv[argc++] = a;
    va_end(ap);
    err[0] = '\0';
    return qe_cli_parse(cli, argc, argv, env, err, errsz);
}

static void defaults_and_options(void **state)
{
    (void)state;
    memset(fake_env, 0, sizeof(fake_env));
    struct qe_cli c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof(err), NULL), 0);
    assert_int_equal(c.action, QE_RUN);
    assert_string_equal(c.listen, "127.0.0.1:9200");
    assert_null(c.config);
    assert_int_equal(c.log_level, LOG_LEVEL_INFO);

    assert_int_equal(parse(&c, err, sizeof(err), "--listen", "0.0.0.0:9300", "--config=/etc/q.ini",
                           "--log-level", "debug", NULL),
                     0);
    assert_string_equal(c.listen, "0.0.0.0:9300");
    assert_string_equal(c.config, "/etc/q.ini");
    assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);

    assert_int_equal(parse(&c, err, sizeof(err), "--check-config", NULL), 0);
    assert_int_equal(c.action, QE_CHECK_CONFIG);
    assert_int_equal(parse(&c, err, sizeof(err), "--probe", NULL), 0);
    assert_int_equal(c.action, QE_PROBE);
    assert_string_equal(c.probe_path, "/healthz");
    assert_int_equal(parse(&c, err, sizeof(err), "--probe=/readyz", NULL), 0);
    assert_string_equal(c.probe_path, "/readyz");
    assert_int_equal(parse(&c, err, sizeof(err), "--help", "--bogus", NULL), 0);
    assert_int_equal(c.action, QE_HELP);
    assert_int_equal(parse(&c, err, sizeof(err), "--version", NULL), 0);
    assert_int_equal(c.action, QE_VERSION);
    assert_non_null(strstr(qe_cli_usage(), "QUEUE_EXPORTER_DSN"));
}

static void environment_defaults(void **state)
{
    (void)state;
    memset(fake_env, 0, sizeof(fake_env));
    fake_env[0][0] = "QUEUE_EXPORTER_LISTEN";
    fake_env[0][1] = "0.0.0.0:9200";
    fake_env[1][0] = "QUEUE_EXPORTER_CONFIG";
    fake_env[1][1] = "/config/q.ini";
    struct qe_cli c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof(err), NULL), 0);
    assert_string_equal(c.listen, "0.0.0.0:9200");
    assert_string_equal(c.config, "/config/q.ini");
    /* The command line wins. */
    assert_int_equal(parse(&c, err, sizeof(err), "--listen", "127.0.0.1:1", NULL), 0);
    assert_string_equal(c.listen, "127.0.0.1:1");
    memset(fake_env, 0, sizeof(fake_env));
}

static void usage_errors(void **state)
{
    (void)state;
    memset(fake_env, 0, sizeof(fake_env));
    struct qe_cli c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof(err), "--dsn", "host=x password=secret", NULL), -1);
    assert_non_null(strstr(err, "never from the command line"));
    assert_null(strstr(err, "secret"));
    assert_int_equal(parse(&c, err, sizeof(err), "--dsn=postgres://u:secret@h/db", NULL), -1);
    assert_null(strstr(err, "secret"));
    assert_int_equal(parse(&c, err, sizeof(err), "--bogus", NULL), -1);
    assert_string_equal(err, "unknown option --bogus (see --help)");
    assert_int_equal(parse(&c, err, sizeof(err), "--url=postgres://u:secret@h/db", NULL), -1);
    assert_string_equal(err, "unknown option --url (see --help)");
    assert_int_equal(parse(&c, err, sizeof(err), "--listen", NULL), -1);
    assert_string_equal(err, "--listen needs a value");
    assert_int_equal(parse(&c, err, sizeof(err), "extra", NULL), -1);
    assert_string_equal(err, "unexpected argument 'extra' (see --help)");
    assert_int_equal(parse(&c, err, sizeof(err), "--log-level", "loud", NULL), -1);
    assert_string_equal(err, "--log-level loud: expected debug, info, warn or error");
    assert_int_equal(parse(&c, err, sizeof(err), "--probe=readyz", NULL), -1);
    assert_string_equal(err, "--probe=readyz: the path must start with /");
    assert_int_equal(parse(&c, err, sizeof(err), "--config=", NULL), -1);
    assert_string_equal(err, "--config: empty file name");
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

static void routes(void **state)
{
    (void)state;
    assert_int_equal(qe_route("GET", "/metrics"), QE_ROUTE_METRICS);
    assert_int_equal(qe_route("HEAD", "/metrics"), QE_ROUTE_METRICS);
    assert_int_equal(qe_route("GET", "/healthz"), QE_ROUTE_HEALTHZ);
    assert_int_equal(qe_route("GET", "/readyz"), QE_ROUTE_READYZ);
    assert_int_equal(qe_route("POST", "/metrics"), QE_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(qe_route("DELETE", "/readyz"), QE_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(qe_route("get", "/metrics"), QE_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(qe_route("GET", "/"), QE_ROUTE_NOT_FOUND);
    assert_int_equal(qe_route("GET", "/metrics/"), QE_ROUTE_NOT_FOUND);
    assert_int_equal(qe_route("GET", "/METRICS"), QE_ROUTE_NOT_FOUND);
    assert_int_equal(qe_route("POST", "/nope"), QE_ROUTE_NOT_FOUND);
}

static void scrape_timeout_header(void **state)
{
    (void)state;
    double w;
    assert_int_equal(qe_scrape_wait(NULL, 6.5, &w), 0);
    assert_true(w == 6.5);
    assert_int_equal(qe_scrape_wait("10", 6.5, &w), 0);
    assert_true(w == 9.75); /* a margin to send the answer */
    assert_int_equal(qe_scrape_wait("1.5 ", 6.5, &w), 0);
    assert_true(w == 1.25);
    assert_int_equal(qe_scrape_wait("0.2", 6.5, &w), 0);
    assert_true(w == 0.1); /* floor */
    assert_int_equal(qe_scrape_wait("86400", 6.5, &w), 0);
    assert_true(w == 120); /* a client cannot hold a thread for a day */
    const char *bad[] = {"", "abc", "0", "-3", "nan", "inf", "1e999", "5s", "1,5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (qe_scrape_wait(bad[i], 6.5, &w) != -1)
            fail_msg("'%s' should be rejected", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_and_options),
        cmocka_unit_test(environment_defaults),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(listening_on_a_taken_port_names_the_address),
        cmocka_unit_test(routes),
        cmocka_unit_test(scrape_timeout_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
