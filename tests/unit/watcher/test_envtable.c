/* The watcher's env table (envtable.c), which main.c and the doctor's
 * `--only env` both check: every variable settings.c reads is declared
 * once, the required ones are exactly those the watcher cannot run
 * without, each validator takes the documented values and refuses the
 * rest with a message naming the variable, and the .env names compose and
 * scripts/install-watcher.sh fill them from are the stack's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "envtable.h"
#include "fakeenv.h"
#include "strbuf.h"

static const char *good[] = {"WATCHER_TOKEN_FILE=/run/credentials/watcher/token",
                             "WATCHER_CLUSTER=ecotrans-prod",
                             "SMTP_HOST=smtp.eu.mailgun.org",
                             "SMTP_FROM=Monitoring <monitoring@mg.example.eu>",
                             "ALERT_EMAIL_TO=ops@example.eu,boss@example.eu",
                             NULL};

static void every_variable_read_is_declared_once(void **state)
{
    (void)state;
    /* What settings.c reads (SMTP_PASSWORD only to refuse it: secrets come
     * from files), as docs/watcher.md lists them. */
    const char *read[] = {"WATCHER_LISTEN",  "WATCHER_TOKEN_FILE", "WATCHER_CLUSTER",
                          "WATCHER_WATCHED", "WATCHER_GRACE",      "WATCHER_REMIND",
                          "WATCHER_STEADY",  "WATCHER_STATE_FILE", "WATCHER_SMTP_BACKOFF_SECONDS",
                          "SMTP_HOST",       "SMTP_TLS",           "SMTP_PORT",
                          "SMTP_USER",       "SMTP_PASSWORD_FILE", "SMTP_CA_FILE",
                          "SMTP_FROM",       "ALERT_EMAIL_TO"};
    const size_t n = sizeof(read) / sizeof(read[0]);
    assert_string_equal(wd_env_table.program, "watcher");
    assert_int_equal(wd_env_table.n, n);
    for (size_t i = 0; i < n; i++) {
        const struct env_var *v = env_table_find(&wd_env_table, read[i]);
        if (!v)
            fail_msg("%s is read but not in the table", read[i]);
        assert_non_null(v->fix);
        assert_true(strlen(v->fix) > 0);
        for (size_t j = 0; j < wd_env_table.n; j++)
            if (&wd_env_table.vars[j] != v)
                assert_string_not_equal(wd_env_table.vars[j].name, read[i]);
    }
    assert_null(env_table_find(&wd_env_table, "SMTP_PASSWORD"));
}

static void required_variables_are_named_when_missing(void **state)
{
    (void)state;
    char err[600];
    fake_env = good;
    assert_int_equal(env_table_check(&wd_env_table, fake_get, err, sizeof(err)), 0);
    const char *required[] = {"WATCHER_TOKEN_FILE", "WATCHER_CLUSTER", "SMTP_HOST", "SMTP_FROM",
                              "ALERT_EMAIL_TO"};
    for (size_t r = 0; r < 5; r++) {
        const char *env[8];
        size_t k = 0;
        for (size_t i = 0; good[i]; i++)
            if (strncmp(good[i], required[r], strlen(required[r])) != 0)
                env[k++] = good[i];
        env[k] = NULL;
        fake_env = env;
        err[0] = '\0';
        assert_int_equal(env_table_check(&wd_env_table, fake_get, err, sizeof(err)), -1);
        /* "NAME is not set (the one-line fix)" */
        char want[200];
        snprintf(want, sizeof(want), "%s is not set (%s)", required[r],
                 env_table_find(&wd_env_table, required[r])->fix);
        assert_string_equal(err, want);
    }
}

static void bad_values_are_refused_by_name(void **state)
{
    (void)state;
    static const struct {
        const char *setting; /* added to the good environment */
        int ok;
    } cases[] = {
        {"WATCHER_GRACE=10m", 1},
        {"WATCHER_GRACE=10x", 0},
        {"WATCHER_REMIND=3h", 1},
        {"WATCHER_STEADY=soon", 0},
        {"WATCHER_LISTEN=203.0.113.10:9202", 1},
        {"WATCHER_LISTEN=[::1]:9202", 1},
        {"WATCHER_LISTEN=no-port-here", 0},
        {"WATCHER_SMTP_BACKOFF_SECONDS=1", 1},
        {"WATCHER_SMTP_BACKOFF_SECONDS=3600", 1},
        {"WATCHER_SMTP_BACKOFF_SECONDS=0", 0},
        {"WATCHER_SMTP_BACKOFF_SECONDS=3601", 0},
        {"WATCHER_SMTP_BACKOFF_SECONDS=30s", 0},
        {"SMTP_TLS=starttls", 1},
        {"SMTP_TLS=ssl", 0},
        {"SMTP_PORT=465", 1},
        {"SMTP_PORT=70000", 0},
        {"WATCHER_CLUSTER=ecotrans prod", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *env[8] = {cases[i].setting};
        size_t k = 1;
        size_t nlen = strcspn(cases[i].setting, "=");
        for (size_t j = 0; good[j]; j++)
            if (strncmp(good[j], cases[i].setting, nlen + 1) != 0)
                env[k++] = good[j];
        env[k] = NULL;
        fake_env = env;
        char err[600] = "";
        int rc = env_table_check(&wd_env_table, fake_get, err, sizeof(err));
        if (cases[i].ok && rc != 0)
            fail_msg("%s refused: %s", cases[i].setting, err);
        if (!cases[i].ok) {
            if (rc == 0)
                fail_msg("%s accepted", cases[i].setting);
            /* "NAME=value why (fix: ...)": the user sees what they wrote */
            assert_true(strncmp(err, cases[i].setting, strlen(cases[i].setting)) == 0);
        }
    }
}

static void cluster_label_rule(void **state)
{
    (void)state;
    struct strbuf why;
    sb_init(&why);
    assert_true(wd_check_cluster("ecotrans-prod", &why));
    assert_true(wd_check_cluster("eu.west_1-A", &why));
    char longest[101];
    memset(longest, 'a', 100);
    longest[100] = '\0';
    assert_true(wd_check_cluster(longest, &why));
    assert_int_equal(why.len, 0);
    const char *bad[] = {"", "ecotrans prod", "prod\"", "prod}", "é", NULL};
    for (const char **b = bad; *b; b++) {
        sb_reset(&why);
        assert_false(wd_check_cluster(*b, &why));
        assert_string_equal(sb_str(&why), "must be 1-100 letters, digits, '.', '_' or '-'");
    }
    char too_long[102];
    memset(too_long, 'a', 101);
    too_long[101] = '\0';
    sb_reset(&why);
    assert_false(wd_check_cluster(too_long, &why));
    sb_free(&why);
}

/* The names scripts/install-watcher.sh copies from the stack's .env. */
static void dotenv_sources_are_the_stacks_names(void **state)
{
    (void)state;
    static const struct {
        const char *var, *dotenv;
    } want[] = {
        {"WATCHER_CLUSTER", "MONITORING_CLUSTER"},
        {"SMTP_HOST", "SMTP_HOST"},
        {"SMTP_FROM", "SMTP_FROM"},
        {"ALERT_EMAIL_TO", "ALERT_EMAIL_TO"},
        {"WATCHER_TOKEN_FILE", NULL}, /* a file on the watching server, not in .env */
        {"SMTP_PASSWORD_FILE", NULL},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct env_var *v = env_table_find(&wd_env_table, want[i].var);
        assert_non_null(v);
        if (want[i].dotenv)
            assert_string_equal(v->dotenv, want[i].dotenv);
        else
            assert_null(v->dotenv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_variable_read_is_declared_once),
        cmocka_unit_test(required_variables_are_named_when_missing),
        cmocka_unit_test(bad_values_are_refused_by_name),
        cmocka_unit_test(cluster_label_rule),
        cmocka_unit_test(dotenv_sources_are_the_stacks_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
