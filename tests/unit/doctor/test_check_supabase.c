/* Group supabase, up to the login: the inputs, the CA file, and what the
 * doctor says when the server is absent or does not speak TLS. The server
 * is a loopback peer this test runs: it refuses PostgreSQL's SSLRequest
 * ('N'), as a plain PostgreSQL or some other service would. Logging in and
 * judging the roles' privileges needs PostgreSQL: tests/integration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctorfix.h"

static void with_server(struct fix *f, int port, const char *sslmode, const char *extra)
{
    char env[1024];
    snprintf(env, sizeof(env),
             "SUPABASE_DB_HOST=127.0.0.1\nSUPABASE_DB_PORT=%d\n"
             "SUPABASE_GRAFANA_USER=grafana_readonly\n"
             "SUPABASE_GRAFANA_PASSWORD=gr4fana-unit-password\n"
             "SUPABASE_SSLMODE=%s\n"
             "QUEUE_EXPORTER_DSN='host=127.0.0.1 port=%d dbname=postgres user=queue_exporter "
             "password=qe-unit-password sslmode=require'\n%s",
             port, sslmode, port, extra);
    fix_init(f, env);
    doc_check_supabase(&f->d);
}

static void missing_inputs_fail_once_per_side(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "SUPABASE_DB_HOST=db.abcdefgh.supabase.co\nSUPABASE_DB_PORT=5432\n"
                 "SUPABASE_GRAFANA_USER=grafana_readonly\nSUPABASE_SSLMODE=require\n");
    doc_check_supabase(&f.d);
    assert_string_equal(fix_expect(&f, "supabase.resolve", CHECK_FAIL)->detail,
                        "cannot check: SUPABASE_GRAFANA_PASSWORD is not set in "
                        "/nonexistent/doctor-unit.env");
    fix_expect(&f, "supabase.tls", CHECK_SKIP);
    fix_expect(&f, "supabase.grafana-role", CHECK_SKIP);
    assert_string_equal(fix_expect(&f, "supabase.exporter-role", CHECK_FAIL)->detail,
                        "cannot check: QUEUE_EXPORTER_DSN is not set in "
                        "/nonexistent/doctor-unit.env");
    assert_int_equal(f.rep.n, 4);
    fix_free(&f);
}

static void an_unusable_ca_file_is_named(void **state)
{
    (void)state;
    int hold;
    int port = refused_port(&hold);
    struct fix f;
    with_server(&f, port, "require", "SUPABASE_CA_CERT=/nonexistent/supabase-ca.crt\n");
    const struct check_result *c = fix_expect(&f, "supabase.tls", CHECK_FAIL);
    assert_string_equal(c->detail, "SUPABASE_CA_CERT=/nonexistent/supabase-ca.crt cannot be read");
    assert_contains(c->fix, "SSL Configuration");
    assert_string_equal(fix_expect(&f, "supabase.grafana-role", CHECK_SKIP)->detail,
                        "no usable CA certificate (see supabase.tls)");
    fix_free(&f);

    char path[] = "/tmp/doctor-unit-ca-XXXXXX";
    int fd = mkstemp(path);
    assert_int_equal(write(fd, "not a certificate\n", 18), 18);
    close(fd);
    char extra[128];
    snprintf(extra, sizeof(extra), "SUPABASE_CA_CERT=%s\n", path);
    with_server(&f, port, "require", extra);
    char want[160];
    snprintf(want, sizeof(want), "SUPABASE_CA_CERT=%s is not a PEM certificate", path);
    assert_string_equal(fix_expect(&f, "supabase.tls", CHECK_FAIL)->detail, want);
    fix_free(&f);
    unlink(path);
    close(hold);
}

static void nothing_listening_is_a_network_failure_on_both_sides(void **state)
{
    (void)state;
    int hold;
    int port = refused_port(&hold);
    struct fix f;
    with_server(&f, port, "require", "");
    assert_contains(fix_expect(&f, "supabase.resolve", CHECK_PASS)->detail,
                    "127.0.0.1 resolves to 127.0.0.1");
    const struct check_result *c = fix_expect(&f, "supabase.tls", CHECK_FAIL);
    char want[64];
    snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%d: ", port);
    assert_contains(c->detail, want);
    assert_contains(c->fix, "outbound TCP to that port is allowed");
    assert_string_equal(fix_expect(&f, "supabase.grafana-role", CHECK_SKIP)->detail,
                        "no connection (see supabase.tls)");
    c = fix_expect(&f, "supabase.exporter-role", CHECK_FAIL);
    assert_contains(c->detail, "QUEUE_EXPORTER_DSN (user queue_exporter at 127.0.0.1) cannot "
                               "connect: ");
    assert_contains(c->fix, "check host/port in QUEUE_EXPORTER_DSN");
    /* Neither password reaches the report. */
    char *json = doc_report_json(&f.rep, "x.env", "0");
    assert_null(strstr(json, "unit-password"));
    free(json);
    fix_free(&f);
    close(hold);
}

static void a_server_without_tls_is_refused_with_the_right_fix(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_RAW, "N");
    struct fix f;
    with_server(&f, p.port, "require", "");
    const struct check_result *c = fix_expect(&f, "supabase.tls", CHECK_FAIL);
    char want[96];
    snprintf(want, sizeof(want), "TLS with 127.0.0.1:%d failed (sslmode=require): ", p.port);
    assert_contains(c->detail, want);
    assert_contains(c->detail, "SSL");
    assert_string_equal(c->fix, "the server must offer TLS: is SUPABASE_DB_HOST really Supabase?");
    fix_free(&f);
    /* verify-full without a CA: the fix says where the CA goes. */
    with_server(&f, p.port, "verify-full", "");
    assert_contains(fix_expect(&f, "supabase.tls", CHECK_FAIL)->fix,
                    "name Supabase's CA certificate in SUPABASE_CA_CERT");
    fix_free(&f);
    peer_stop(&p);
}

static void an_exporter_dsn_that_is_not_a_connection_string_is_named(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "QUEUE_EXPORTER_DSN=host=127.0.0.1 port\n");
    doc_check_supabase(&f.d);
    const struct check_result *c = fix_expect(&f, "supabase.exporter-role", CHECK_FAIL);
    assert_string_equal(c->detail, "QUEUE_EXPORTER_DSN is not a libpq connection string");
    assert_contains(c->fix, "key=value pairs");
    fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_inputs_fail_once_per_side),
        cmocka_unit_test(an_unusable_ca_file_is_named),
        cmocka_unit_test(nothing_listening_is_a_network_failure_on_both_sides),
        cmocka_unit_test(a_server_without_tls_is_refused_with_the_right_fix),
        cmocka_unit_test(an_exporter_dsn_that_is_not_a_connection_string_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
