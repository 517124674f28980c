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

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "business.h"
#include "cancel.h"
#include "peer.h"

/* An ErrorResponse as PostgreSQL sends it for a wrong password; the
 * string's own NUL ends the field list. */
static const char AUTH_FAILED[] = "E\0\0\0\x4c" /* length 76: itself and the fields */
                                  "SFATAL\0VFATAL\0C28P01\0"
                                  "Mpassword authentication failed for user \"report\"\0";

static struct peer peer;

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
    int hold;
    int port = refused_port(&hold);
    char dsn[128], err[512];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=app user=report password=pw-9", port);
    assert_int_equal(fetch(dsn, 5, err, sizeof(err)), -1);
    close(hold);
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
    peer_start(&peer, PEER_SILENT, NULL);
    char dsn[128], err[512];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=app user=report", peer.port);
    assert_int_equal(fetch(dsn, 1, err, sizeof(err)), -1);
    peer_stop(&peer);
    assert_int_equal(peer.accepted, 1);
    assert_string_equal(err, "Supabase: cannot connect within 1 s: no connection within the "
                             "deadline (every host and address together)");
}

static void server_without_tls_is_refused(void **state)
{
    (void)state;
    peer_start(&peer, PEER_RAW, "N"); /* the answer to SSLRequest: no TLS here */
    char dsn[128], err[512];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=app user=report", peer.port);
    assert_int_equal(fetch(dsn, 10, err, sizeof(err)), -1);
    peer_stop(&peer);
    assert_true(strncmp(err, "Supabase: cannot connect: ", 26) == 0);
    assert_non_null(strstr(err, "SSL was required"));
}

static void login_refusal_reaches_the_report(void **state)
{
    (void)state;
    peer_start_bytes(&peer, PEER_RAW, AUTH_FAILED, sizeof(AUTH_FAILED));
    char dsn[160], err[512];
    snprintf(dsn, sizeof(dsn),
             "host=127.0.0.1 port=%d dbname=app user=report password='it\\'s \\\\ secret' "
             "sslmode=disable",
             peer.port);
    assert_int_equal(fetch(dsn, 10, err, sizeof(err)), -1);
    peer_stop(&peer);
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
    peer_start(&peer, PEER_SILENT, NULL);
    dr_cancel_set_check(always);
    char dsn[128], err[512];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=app user=report", peer.port);
    assert_int_equal(fetch(dsn, 600, err, sizeof(err)), -1); /* far beyond: only the stop ends it */
    dr_cancel_set_check(NULL);
    peer_stop(&peer);
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
