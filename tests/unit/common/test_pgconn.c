/* src/common/pgconn: safe defaults that the DSN or PG* variables override,
 * parameters set without any quoting, one-line errors with no secret, and
 * the DSN validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "pgconn.h"

static const char *env_name, *env_value;

static const char *env(const char *name)
{
    return env_name && strcmp(name, env_name) == 0 ? env_value : NULL;
}

static int build(struct pg_params *ci, const char *dsn, double timeout_s, char *err, size_t errsz)
{
    const struct pg_defaults d = {.application_name = "queue-exporter",
                                  .connect_timeout_s = timeout_s};
    return pg_params_build(ci, dsn, "QUEUE_EXPORTER_DSN", &d, env, err, errsz);
}

static void defaults_without_dsn(void **state)
{
    (void)state;
    env_name = NULL;
    struct pg_params ci;
    char err[256];
    assert_int_equal(build(&ci, NULL, 5, err, sizeof(err)), 0);
    assert_string_equal(pg_params_get(&ci, "sslmode"), "require");
    assert_string_equal(pg_params_get(&ci, "gssencmode"), "disable");
    assert_string_equal(pg_params_get(&ci, "connect_timeout"), "5");
    assert_string_equal(pg_params_get(&ci, "keepalives"), "1");
    assert_non_null(pg_params_get(&ci, "keepalives_idle"));
    assert_non_null(pg_params_get(&ci, "keepalives_interval"));
    assert_non_null(pg_params_get(&ci, "keepalives_count"));
    assert_non_null(pg_params_get(&ci, "tcp_user_timeout"));
    assert_string_equal(pg_params_get(&ci, "application_name"), "queue-exporter");
    /* Without a DSN, libpq reads PGHOST, PGUSER, ... itself. */
    assert_null(pg_params_get(&ci, "dbname"));
    assert_null(ci.dsn);
    assert_null(ci.keywords[ci.n]);
}

static void connect_timeout_is_whole_seconds_at_least_two(void **state)
{
    (void)state;
    env_name = NULL;
    struct pg_params ci;
    char err[256];
    assert_int_equal(build(&ci, NULL, 0.3, err, sizeof(err)), 0);
    assert_string_equal(pg_params_get(&ci, "connect_timeout"), "2");
    assert_int_equal(build(&ci, NULL, 4.2, err, sizeof(err)), 0);
    assert_string_equal(pg_params_get(&ci, "connect_timeout"), "5");
}

static void dsn_settings_win(void **state)
{
    (void)state;
    env_name = NULL;
    struct pg_params ci;
    char err[256];
    const char *dsn = "host=db.example.supabase.co user=queue_exporter sslmode=verify-full "
                      "sslrootcert=/ca.pem connect_timeout=9 application_name=qe-prod";
    assert_int_equal(build(&ci, dsn, 5, err, sizeof(err)), 0);
    assert_null(pg_params_get(&ci, "sslmode")); /* not overridden by our default */
    assert_null(pg_params_get(&ci, "connect_timeout"));
    assert_null(pg_params_get(&ci, "application_name"));
    assert_string_equal(pg_params_get(&ci, "keepalives"), "1");
    /* Last, so libpq's expand_dbname lets it override the defaults. */
    assert_string_equal(ci.keywords[ci.n], "dbname");
    assert_string_equal(ci.values[ci.n], dsn);
    assert_null(ci.keywords[ci.n + 1]);

    const char *uri = "postgresql://postgres.ref@aws-0-eu-central-1.pooler.supabase.com:5432/"
                      "postgres?sslmode=disable";
    assert_int_equal(build(&ci, uri, 5, err, sizeof(err)), 0);
    assert_null(pg_params_get(&ci, "sslmode"));
    assert_string_equal(ci.values[ci.n], uri);

    assert_int_equal(build(&ci, "host=x", 5, err, sizeof(err)), 0);
    assert_string_equal(pg_params_get(&ci, "sslmode"), "require");

    assert_int_equal(build(&ci, "host=x gssencmode=require", 5, err, sizeof(err)), 0);
    assert_null(pg_params_get(&ci, "gssencmode"));
}

static void pg_variables_win(void **state)
{
    (void)state;
    struct pg_params ci;
    char err[256];
    env_name = "PGSSLMODE";
    env_value = "verify-full";
    assert_int_equal(build(&ci, "host=x", 5, err, sizeof(err)), 0);
    assert_null(pg_params_get(&ci, "sslmode"));
    env_name = "PGAPPNAME";
    env_value = "mine";
    assert_int_equal(build(&ci, NULL, 5, err, sizeof(err)), 0);
    assert_null(pg_params_get(&ci, "application_name"));
    assert_string_equal(pg_params_get(&ci, "sslmode"), "require");
    env_name = "PGCONNECT_TIMEOUT";
    env_value = "";
    assert_int_equal(build(&ci, NULL, 5, err, sizeof(err)), 0);
    assert_string_equal(pg_params_get(&ci, "connect_timeout"), "5"); /* empty = unset */
    env_name = NULL;
}

static void invalid_dsn_hides_fragments(void **state)
{
    (void)state;
    env_name = NULL;
    struct pg_params ci;
    char err[256];
    assert_int_equal(build(&ci, "host=x password hunter2", 5, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "QUEUE_EXPORTER_DSN is not a valid libpq connection string"));
    assert_null(strstr(err, "hunter2"));
    assert_int_equal(build(&ci, "postgresql://u:hun%zzter2@h/db", 5, err, sizeof(err)), -1);
    assert_null(strstr(err, "hunter2"));
    assert_int_equal(build(&ci, "postgresql://u:hun\"ter2%zz@h/db", 5, err, sizeof(err)), -1);
    assert_null(strstr(err, "ter2"));
    assert_int_equal(build(&ci, "host=x bogusoption=hunter2", 5, err, sizeof(err)), -1);
    assert_null(strstr(err, "hunter2"));
    assert_non_null(strstr(err, "invalid connection option"));
}

static void redaction(void **state)
{
    (void)state;
    char out[64];
    pg_redact_quoted("missing \"=\" after \"secret\" in connection info string\n", out,
                     sizeof(out));
    assert_string_equal(out, "missing \"...\" in connection info string");
    pg_redact_quoted("unterminated \"quote", out, sizeof(out));
    assert_string_equal(out, "unterminated \"...\"");
    /* issue 14: a password holding a quote ended the "quoted" part early */
    pg_redact_quoted("invalid percent-encoded token: \"pa\"ss%zz\"\n", out, sizeof(out));
    assert_string_equal(out, "invalid percent-encoded token: \"...\"");
    pg_redact_quoted("averylongmessagethatdoesnotfit", out, 8);
    assert_int_equal(strlen(out), 7);
}

static void ca_file_means_verify_full(void **state)
{
    (void)state;
    env_name = NULL;
    struct pg_params ci;
    char err[256];
    const struct pg_defaults d = {.application_name = "daily-report",
                                  .connect_timeout_s = 10,
                                  .sslrootcert = "/etc/ssl/supabase-ca.pem"};
    assert_int_equal(
        pg_params_build(&ci, "host=db.x.supabase.co", "REPORT_DB_DSN", &d, env, err, sizeof(err)),
        0);
    assert_string_equal(pg_params_get(&ci, "sslmode"), "verify-full");
    assert_string_equal(pg_params_get(&ci, "sslrootcert"), "/etc/ssl/supabase-ca.pem");
    assert_string_equal(pg_params_get(&ci, "application_name"), "daily-report");
    /* The DSN's own sslmode still wins. */
    assert_int_equal(
        pg_params_build(&ci, "host=x sslmode=require", "REPORT_DB_DSN", &d, env, err, sizeof(err)),
        0);
    assert_null(pg_params_get(&ci, "sslmode"));
}

static void set_values_are_passed_unquoted(void **state)
{
    (void)state;
    env_name = NULL;
    struct pg_params ci;
    char err[256];
    assert_int_equal(build(&ci, "host=x", 5, err, sizeof(err)), 0);
    size_t before = ci.n;
    const char *pw = "a b'c\\d\"e";
    assert_int_equal(pg_params_set(&ci, "password", pw), 0);
    assert_int_equal(pg_params_set(&ci, "sslmode", "verify-full"), 0);
    assert_int_equal(ci.n, before + 1);
    assert_ptr_equal(pg_params_get(&ci, "password"), pw);
    assert_string_equal(pg_params_get(&ci, "sslmode"), "verify-full");
    assert_string_equal(ci.keywords[ci.n], "dbname"); /* the DSN stays last */
    assert_null(ci.keywords[ci.n + 1]);
}

static void overrides_follow_the_dsn(void **state)
{
    (void)state;
    env_name = NULL;
    struct pg_params ci;
    char err[256];
    /* A socket directory that does not exist: no lookup, no network. */
    const char *dsn = "host=/nonexistent sslmode=require";
    assert_int_equal(build(&ci, dsn, 5, err, sizeof(err)), 0);
    assert_int_equal(pg_params_override(&ci, "sslmode", "verify-full"), 0);
    /* Set after the override: still ahead of the DSN and the override. */
    assert_int_equal(pg_params_set(&ci, "password", "pw"), 0);
    assert_string_equal(ci.keywords[ci.n], "dbname");
    assert_string_equal(ci.values[ci.n], dsn);
    assert_string_equal(ci.keywords[ci.n + 1], "sslmode");
    assert_string_equal(ci.values[ci.n + 1], "verify-full");
    assert_null(ci.keywords[ci.n + 2]);
    /* Replacing an override keeps one entry; the room for them is bounded. */
    assert_int_equal(pg_params_override(&ci, "sslmode", "verify-ca"), 0);
    assert_string_equal(ci.values[ci.n + 1], "verify-ca");
    assert_int_equal(pg_params_override(&ci, "sslrootcert", "/ca.pem"), 0);
    assert_int_equal(pg_params_override(&ci, "host", "y"), -1);
    assert_null(ci.keywords[ci.n + 3]);
    /* libpq keeps the last value of a repeated keyword: the override wins
     * over the DSN's sslmode. */
    PGconn *c = PQconnectStartParams(ci.keywords, ci.values, 1);
    assert_non_null(c);
    const char *mode = NULL;
    PQconninfoOption *opts = PQconninfo(c);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (!strcmp(o->keyword, "sslmode"))
            mode = o->val;
    assert_non_null(mode);
    assert_string_equal(mode, "verify-ca");
    PQconninfoFree(opts);
    PQfinish(c);
}

static void error_lines(void **state)
{
    (void)state;
    char out[256];
    const char *msg = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"
                      "\tIs the server running on that host and accepting TCP/IP connections?\n";
    pg_error_line(msg, PG_ERR_KEEP_WHERE, out, sizeof(out));
    assert_string_equal(out, "connection to server at \"127.0.0.1\", port 1 failed: Connection "
                             "refused; Is the server running on that host and accepting TCP/IP "
                             "connections?");
    pg_error_line(msg, PG_ERR_DROP_WHERE, out, sizeof(out));
    assert_string_equal(out, "Connection refused; Is the server running on that host and "
                             "accepting TCP/IP connections?");
    pg_error_line("", 0, out, sizeof(out));
    assert_string_equal(out, "unknown libpq error");
    pg_error_line(NULL, 0, out, sizeof(out));
    assert_string_equal(out, "unknown libpq error");
}

static void dsn_validator(void **state)
{
    (void)state;
    const char *good[] = {
        "host=db.x.supabase.co user=u password=p dbname=postgres sslmode=require",
        "host=db.x.supabase.co sslmode=verify-full sslrootcert=/ca.pem",
        "host=db.x.supabase.co", /* the programs default to require */
        "host=127.0.0.1 port=5432 sslmode=disable",
        "host=localhost sslmode=prefer",
        "host=/var/run/postgresql sslmode=disable",
        "postgresql://u:p@127.0.0.1:5432/postgres?sslmode=disable",
        "postgresql://u:p@db.x.supabase.co/postgres",
        "password='a b\\'c'",
    };
    const char *bad[] = {
        "host=x password hunter2",
        "host=db.x.supabase.co sslmode=disable",
        "postgresql://u:p@db.x.supabase.co/postgres?sslmode=prefer",
        "host=127.0.0.1,db.x.supabase.co sslmode=allow",
        "host=x sslmode=verify",
        "bogus=1",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct strbuf why;
        sb_init(&why);
        if (!pg_check_conninfo(good[i], &why))
            fail_msg("%s refused: %s", good[i], sb_str(&why));
        sb_free(&why);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct strbuf why;
        sb_init(&why);
        if (pg_check_conninfo(bad[i], &why))
            fail_msg("%s accepted", bad[i]);
        assert_null(strstr(sb_str(&why), "hunter2"));
        assert_null(strstr(sb_str(&why), ":p@"));
        sb_free(&why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_without_dsn),
        cmocka_unit_test(connect_timeout_is_whole_seconds_at_least_two),
        cmocka_unit_test(dsn_settings_win),
        cmocka_unit_test(pg_variables_win),
        cmocka_unit_test(invalid_dsn_hides_fragments),
        cmocka_unit_test(redaction),
        cmocka_unit_test(ca_file_means_verify_full),
        cmocka_unit_test(set_values_are_passed_unquoted),
        cmocka_unit_test(overrides_follow_the_dsn),
        cmocka_unit_test(error_lines),
        cmocka_unit_test(dsn_validator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
