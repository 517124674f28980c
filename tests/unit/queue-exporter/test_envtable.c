/* The queue exporter's env table: every variable it reads is listed once,
 * the DSN is a secret judged by the shared libpq validator, and the table
 * accepts the container's defaults and refuses what would fail later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "envtable.h"
#include "fakeenv.h"
#include "pgconn.h"

static void table(void **state)
{
    (void)state;
    const struct env_var *dsn = env_table_find(&qe_env_table, "QUEUE_EXPORTER_DSN");
    assert_non_null(dsn);
    assert_true(dsn->flags & ENV_SECRET);
    assert_ptr_equal(dsn->check, pg_check_conninfo);
    assert_string_equal(dsn->dotenv, "QUEUE_EXPORTER_DSN");
    assert_non_null(env_table_find(&qe_env_table, "QUEUE_EXPORTER_LISTEN"));
    assert_non_null(env_table_find(&qe_env_table, "QUEUE_EXPORTER_CONFIG"));
    for (size_t i = 0; i < qe_env_table.n; i++)
        for (size_t j = i + 1; j < qe_env_table.n; j++)
            assert_string_not_equal(qe_env_table.vars[i].name, qe_env_table.vars[j].name);
    char err[512];
    static const char *image[] = {"QUEUE_EXPORTER_LISTEN=0.0.0.0:9200", NULL}; /* the Dockerfile */
    fake_env = image;
    assert_int_equal(env_table_check(&qe_env_table, fake_get, err, sizeof(err)), 0);
    static const char *bad_listen[] = {"QUEUE_EXPORTER_LISTEN=9200", NULL};
    fake_env = bad_listen;
    assert_int_equal(env_table_check(&qe_env_table, fake_get, err, sizeof(err)), -1);
    assert_ptr_equal(strstr(err, "QUEUE_EXPORTER_LISTEN=9200 "), err);
    static const char *plain_remote[] = {
        "QUEUE_EXPORTER_DSN=host=db.x.supabase.co password=hunter2 sslmode=disable", NULL};
    fake_env = plain_remote;
    assert_int_equal(env_table_check(&qe_env_table, fake_get, err, sizeof(err)), -1);
    assert_null(strstr(err, "hunter2"));
    assert_non_null(strstr(err, "unencrypted"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
