/* libpq parameters: safe defaults that the DSN or PG* variables override,
 * and no secret in error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "conninfo.h"

static const char *env_name, *env_value;

static const char *env(const char *name)
{
    return env_name && strcmp(name, env_name) == 0 ? env_value : NULL;
}

static void defaults_without_dsn(void **state)
{
    (void)state;
    env_name = NULL;
    struct qe_conninfo ci;
    char err[256];
    assert_int_equal(qe_conninfo_build(&ci, NULL, 5, env, err, sizeof(err)), 0);
    assert_string_equal(qe_conninfo_get(&ci, "sslmode"), "require");
    assert_string_equal(qe_conninfo_get(&ci, "gssencmode"), "disable");
    assert_string_equal(qe_conninfo_get(&ci, "connect_timeout"), "5");
    assert_string_equal(qe_conninfo_get(&ci, "keepalives"), "1");
    assert_non_null(qe_conninfo_get(&ci, "keepalives_idle"));
    assert_non_null(qe_conninfo_get(&ci, "keepalives_interval"));
    assert_non_null(qe_conninfo_get(&ci, "keepalives_count"));
    assert_non_null(qe_conninfo_get(&ci, "tcp_user_timeout"));
    assert_string_equal(qe_conninfo_get(&ci, "application_name"), "queue-exporter");
    /* Without a DSN, libpq reads PGHOST, PGUSER, ... itself. */
    assert_null(qe_conninfo_get(&ci, "dbname"));
}

static void connect_timeout_is_whole_seconds_at_least_two(void **state)
{
    (void)state;
    env_name = NULL;
    struct qe_conninfo ci;
    char err[256];
    assert_int_equal(qe_conninfo_build(&ci, NULL, 0.3, env, err, sizeof(err)), 0);
    assert_string_equal(qe_conninfo_get(&ci, "connect_timeout"), "2");
    assert_int_equal(qe_conninfo_build(&ci, NULL, 4.2, env, err, sizeof(err)), 0);
    assert_string_equal(qe_conninfo_get(&ci, "connect_timeout"), "5");
}

static void dsn_settings_win(void **state)
{
    (void)state;
    env_name = NULL;
    struct qe_conninfo ci;
    char err[256];
    const char *dsn = "host=db.example.supabase.co user=queue_exporter sslmode=verify-full "
                      "sslrootcert=/ca.pem connect_timeout=9 application_name=qe-prod";
    assert_int_equal(qe_conninfo_build(&ci, dsn, 5, env, err, sizeof(err)), 0);
    assert_null(qe_conninfo_get(&ci, "sslmode")); /* not overridden by our default */
    assert_null(qe_conninfo_get(&ci, "connect_timeout"));
    assert_null(qe_conninfo_get(&ci, "application_name"));
    assert_string_equal(qe_conninfo_get(&ci, "keepalives"), "1");
    assert_string_equal(qe_conninfo_get(&ci, "dbname"), dsn); /* expanded by libpq */

    const char *uri = "postgresql://postgres.ref@aws-0-eu-central-1.pooler.supabase.com:5432/"
                      "postgres?sslmode=disable";
    assert_int_equal(qe_conninfo_build(&ci, uri, 5, env, err, sizeof(err)), 0);
    assert_null(qe_conninfo_get(&ci, "sslmode"));
    assert_string_equal(qe_conninfo_get(&ci, "dbname"), uri);

    assert_int_equal(qe_conninfo_build(&ci, "host=x", 5, env, err, sizeof(err)), 0);
    assert_string_equal(qe_conninfo_get(&ci, "sslmode"), "require");

    assert_int_equal(qe_conninfo_build(&ci, "host=x gssencmode=require", 5, env, err, sizeof(err)),
                     0);
    assert_null(qe_conninfo_get(&ci, "gssencmode"));
}

static void pg_variables_win(void **state)
{
    (void)state;
    struct qe_conninfo ci;
    char err[256];
    env_name = "PGSSLMODE";
    env_value = "verify-full";
    assert_int_equal(qe_conninfo_build(&ci, "host=x", 5, env, err, sizeof(err)), 0);
    assert_null(qe_conninfo_get(&ci, "sslmode"));
    env_name = "PGAPPNAME";
    env_value = "mine";
    assert_int_equal(qe_conninfo_build(&ci, NULL, 5, env, err, sizeof(err)), 0);
    assert_null(qe_conninfo_get(&ci, "application_name"));
    assert_string_equal(qe_conninfo_get(&ci, "sslmode"), "require");
    env_name = "PGCONNECT_TIMEOUT";
    env_value = "";
    assert_int_equal(qe_conninfo_build(&ci, NULL, 5, env, err, sizeof(err)), 0);
    assert_string_equal(qe_conninfo_get(&ci, "connect_timeout"), "5"); /* empty = unset */
    env_name = NULL;
}

static void invalid_dsn_hides_fragments(void **state)
{
    (void)state;
    env_name = NULL;
    struct qe_conninfo ci;
    char err[256];
    assert_int_equal(qe_conninfo_build(&ci, "host=x password hunter2", 5, env, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "QUEUE_EXPORTER_DSN is not a valid libpq connection string"));
    assert_null(strstr(err, "hunter2"));
    assert_int_equal(
        qe_conninfo_build(&ci, "postgresql://u:hun%zzter2@h/db", 5, env, err, sizeof(err)), -1);
    assert_null(strstr(err, "hunter2"));
    assert_int_equal(qe_conninfo_build(&ci, "host=x bogusoption=hunter2", 5, env, err, sizeof(err)),
                     -1);
    assert_null(strstr(err, "hunter2"));
    assert_non_null(strstr(err, "invalid connection option"));
}

static void redaction(void **state)
{
    (void)state;
    char out[64];
    qe_redact_quoted("missing \"=\" after \"secret\" in connection info string\n", out,
                     sizeof(out));
    assert_string_equal(out, "missing \"...\" after \"...\" in connection info string");
    qe_redact_quoted("unterminated \"quote", out, sizeof(out));
    assert_string_equal(out, "unterminated \"...\"");
    qe_redact_quoted("averylongmessagethatdoesnotfit", out, 8);
    assert_int_equal(strlen(out), 7);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
