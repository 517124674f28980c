/* business.c up to the first query, against loopback peers the test runs
 * itself (the figures from a real PostgreSQL are proved by
 * tests/integration/test_daily_report.sh and test_hostile_db.sh). Checked:
 * a bad REPORT_DB_DSN is named and its password never shown; a refused
 * connection, a server that never answers (the deadline ends it, not
 * libpq's own timeout), one that will not do TLS (the shared default
 * sslmode=require holds), one that refuses the login (the server's own
 * words reach the report), and a stop request each give the business
 * section a one-line reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "business.h"
#include "cancel.h"
#include "loopback.h"

enum peer_mode { PEER_SILENT, PEER_NO_TLS_THEN_AUTH_FAIL };

static struct {
    int ls;
    unsigned port;
    enum peer_mode mode;
    atomic_int stop;
    atomic_int accepted;
    pthread_t thread;
} peer;

static int recv_packet(int fd, unsigned char *buf, size_t bufsz)
{
    size_t have = 0;
    while (have < 4 || have < (size_t)ntohl(*(uint32_t *)buf)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) {
            if (atomic_load(&peer.stop))
                return -1;
            continue;
        }
        ssize_t n = recv(fd, buf + have, bufsz - have, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    return 0;
}

/* An ErrorResponse as PostgreSQL sends it for a wrong password. */
static void send_auth_failure(int fd)
{
    static const char fields[] = "SFATAL\0VFATAL\0C28P01\0"
                                 "Mpassword authentication failed for user \"report\"\0";
    unsigned char msg[256];
    size_t flen = sizeof(fields); /* includes the terminating NUL of the list */
    uint32_t len = htonl((uint32_t)(4 + flen));
    msg[0] = 'E';
    memcpy(msg + 1, &len, 4);
    memcpy(msg + 5, fields, flen);
    (void)send(fd, msg, 5 + flen, MSG_NOSIGNAL);
}

static void *peer_main(void *arg)
{
    (void)arg;
    int fd = -1;
    while (!atomic_load(&peer.stop) && fd < 0) {
        struct pollfd p = {peer.ls, POLLIN, 0};
        if (poll(&p, 1, 100) > 0)
            fd = accept(peer.ls, NULL, NULL);
    }
    if (fd < 0)
        return NULL;
    atomic_store(&peer.accepted, 1);
    unsigned char buf[4096];
    if (peer.mode == PEER_NO_TLS_THEN_AUTH_FAIL && recv_packet(fd, buf, sizeof(buf)) == 0) {
        if (ntohl(*(uint32_t *)(buf + 4)) == 80877103) { /* SSLRequest */
            (void)send(fd, "N", 1, MSG_NOSIGNAL);
            if (recv_packet(fd, buf, sizeof(buf)) != 0)
                goto out;
        }
        send_auth_failure(fd);
    }
    while (!atomic_load(&peer.stop)) { /* silent: hold the connection open */
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0)
            break;
    }
out:
    close(fd);
    return NULL;
}

static int peer_start(enum peer_mode mode)
{
    memset(&peer, 0, sizeof(peer));
    peer.mode = mode;
    peer.ls = loopback_socket(1, &peer.port);
    if (peer.ls < 0)
        return -1;
    return pthread_create(&peer.thread, NULL, peer_main, NULL);
}

static void peer_stop(void)
{
    atomic_store(&peer.stop, 1);
    pthread_join(peer.thread, NULL);
    close(peer.ls);
}

static struct contract ref;
static struct business biz;

static int fetch(const char *dsn, double timeout_s, char *err, size_t errsz)
{
    err[0] = '\0';
    return dr_business_fetch(dsn, &ref, 1795762800.0, timeout_s, &biz, err, errsz);
}

static void bad_dsn_is_named_without_its_password(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(fetch("host=db.example.eu password='s3cr3t-pw", 5, err, sizeof(err)), -1);
    assert_true(strncmp(err,
                        "Supabase: REPORT_DB_DSN is not a valid libpq connection string or URI: ",
                        71) == 0);
    assert_null(strstr(err, "s3cr3t-pw"));
}

static void refused_connection(void **state)
{
    (void)state;
    unsigned port;
    int s = loopback_socket(0, &port); /* bound, not listening */
    assert_true(s >= 0);
    char dsn[128], err[512];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%u dbname=app user=report password=pw-9", port);
    assert_int_equal(fetch(dsn, 5, err, sizeof(err)), -1);
    close(s);
    assert_true(strncmp(err, "Supabase: cannot connect: ", 26) == 0);
    assert_non_null(strstr(err, "Connection refused"));
    assert_null(strchr(err, '\n'));
    assert_null(strstr(err, "pw-9"));
}

/* Accepts and never answers: the run's deadline (1 s) ends the wait, not
 * libpq's connect_timeout (at least 2 s) or the kernel. */
static void silent_server_costs_the_deadline(void **state)
{
    (void)state;
    assert_int_equal(peer_start(PEER_SILENT), 0);
    char dsn[128], err[512];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%u dbname=app user=report", peer.port);
    assert_int_equal(fetch(dsn, 1, err, sizeof(err)), -1);
    peer_stop();
    assert_int_equal(atomic_load(&peer.accepted), 1);
    assert_string_equal(err, "Supabase: cannot connect within 1 s: no connection within the "
                             "deadline (every host and address together)");
}

static void server_without_tls_is_refused(void **state)
{
    (void)state;
    assert_int_equal(peer_start(PEER_NO_TLS_THEN_AUTH_FAIL), 0);
    char dsn[128], err[512];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%u dbname=app user=report", peer.port);
    assert_int_equal(fetch(dsn, 10, err, sizeof(err)), -1);
    peer_stop();
    assert_true(strncmp(err, "Supabase: cannot connect: ", 26) == 0);
    assert_non_null(strstr(err, "SSL was required"));
}

static void login_refusal_reaches_the_report(void **state)
{
    (void)state;
    assert_int_equal(peer_start(PEER_NO_TLS_THEN_AUTH_FAIL), 0);
    char dsn[160], err[512];
    snprintf(dsn, sizeof(dsn),
             "host=127.0.0.1 port=%u dbname=app user=report password='it\\'s \\\\ secret' "
             "sslmode=disable",
             peer.port);
    assert_int_equal(fetch(dsn, 10, err, sizeof(err)), -1);
    peer_stop();
    assert_true(strncmp(err, "Supabase: cannot connect: ", 26) == 0);
    assert_non_null(strstr(err, "password authentication failed for user \"report\""));
    assert_null(strstr(err, "secret"));
    assert_null(strchr(err, '\n'));
}

static int always(void)
{
    return 1;
}

static void stop_request_abandons_the_connection(void **state)
{
    (void)state;
    assert_int_equal(peer_start(PEER_SILENT), 0);
    dr_cancel_set_check(always);
    char dsn[128], err[512];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%u dbname=app user=report", peer.port);
    assert_int_equal(fetch(dsn, 600, err, sizeof(err)), -1); /* far beyond: only the stop ends it */
    dr_cancel_set_check(NULL);
    peer_stop();
    assert_string_equal(err, "Supabase: cannot connect: abandoned: the program is stopping");
}

int main(void)
{
    /* The tests set every connection parameter themselves. */
    const char *pgvars[] = {"PGHOST",
                            "PGPORT",
                            "PGUSER",
                            "PGPASSWORD",
                            "PGSSLMODE",
                            "PGDATABASE",
                            "PGCONNECT_TIMEOUT",
                            "PGSERVICE",
                            "PGPASSFILE",
                            "PGSSLROOTCERT"};
    for (size_t i = 0; i < sizeof(pgvars) / sizeof(pgvars[0]); i++)
        unsetenv(pgvars[i]);
    ct_defaults(&ref);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_dsn_is_named_without_its_password),
        cmocka_unit_test(refused_connection),
        cmocka_unit_test(silent_server_costs_the_deadline),
        cmocka_unit_test(server_without_tls_is_refused),
        cmocka_unit_test(login_refusal_reaches_the_report),
        cmocka_unit_test(stop_request_abandons_the_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
