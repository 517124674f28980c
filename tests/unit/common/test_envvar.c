/* src/common/envvar: a table checked against an environment (required,
 * valid, secrets never quoted, the fix in the message), and the generic
 * validators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "envvar.h"
#include "fakeenv.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool check_two_digits(const char *v, struct strbuf *why)
{
    return env_check_int(v, 10, 99, why);
}

static const struct env_var VARS[] = {
    {"NEEDED", ENV_REQUIRED, check_two_digits, "e.g. NEEDED=42", NULL},
    {"TOKEN", ENV_SECRET, env_check_port, "the port", NULL},
    {"FREE", ENV_OPTIONAL, NULL, "anything", "FREE_IN_DOTENV"},
};
static const struct env_table TABLE = {"test", VARS, N(VARS)};

static void tables(void **state)
{
    (void)state;
    char err[256];
    static const char *ok[] = {"NEEDED=42", "TOKEN=443", "FREE=x y", NULL};
    fake_env = ok;
    assert_int_equal(env_table_check(&TABLE, fake_get, err, sizeof(err)), 0);
    static const char *missing[] = {"NEEDED=", "TOKEN=443", NULL}; /* empty = unset */
    fake_env = missing;
    assert_int_equal(env_table_check(&TABLE, fake_get, err, sizeof(err)), -1);
    assert_string_equal(err, "NEEDED is not set (e.g. NEEDED=42)");
    static const char *bad[] = {"NEEDED=7", NULL};
    fake_env = bad;
    assert_int_equal(env_table_check(&TABLE, fake_get, err, sizeof(err)), -1);
    assert_string_equal(err, "NEEDED=7 is not a number 10-99 (e.g. NEEDED=42)");
    static const char *secret[] = {"NEEDED=42", "TOKEN=hunter2", NULL};
    fake_env = secret;
    assert_int_equal(env_table_check(&TABLE, fake_get, err, sizeof(err)), -1);
    assert_string_equal(err, "TOKEN is not a port number (1-65535) (the port)");
    assert_ptr_equal(env_table_find(&TABLE, "FREE"), &VARS[2]);
    assert_null(env_table_find(&TABLE, "NOPE"));
    assert_null(env_nonempty(fake_get, "NOPE"));
}

static void generic_validators(void **state)
{
    (void)state;
    struct {
        bool (*check)(const char *, struct strbuf *);
        const char *v;
        bool want;
    } cases[] = {
        {env_check_port, "1", true},
        {env_check_port, "65535", true},
        {env_check_port, "0", false},
        {env_check_port, "65536", false},
        {env_check_port, "58 7", false},
        {env_check_hostname, "smtp.eu.mailgun.org", true},
        {env_check_hostname, "127.0.0.1", true},
        {env_check_hostname, "::1", true},
        {env_check_hostname, "https://smtp.eu", false},
        {env_check_hostname, "smtp eu", false},
        {env_check_http_url, "http://127.0.0.1:9090", true},
        {env_check_http_url, "https://monitoring.example.eu/grafana", true},
        {env_check_http_url, "javascript:alert(1)", false},
        {env_check_http_url, "https://", false},
        {env_check_http_url, "https://a b", false},
        {env_check_http_url, "ftp://x.eu", false},
        /* issue 14: an unescaped @ in the password left "retPW" in logs */
        {env_check_http_url, "http://admin:S3c@retPW@host/", false},
        {env_check_http_url, "http://admin:S3c%40retPW@host/", true},
        {env_check_http_url, "http://[::1]:9093", true},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct strbuf why;
        sb_init(&why);
        if (cases[i].check(cases[i].v, &why) != cases[i].want)
            fail_msg("'%s': expected %s", cases[i].v, cases[i].want ? "accepted" : "refused");
        assert_true(cases[i].want == (why.len == 0));
        sb_free(&why);
    }
    int n = 0;
    assert_int_equal(env_parse_int("720", 0, 720, &n), 0);
    assert_int_equal(n, 720);
    assert_int_equal(env_parse_int("721", 0, 720, &n), -1);
    assert_int_equal(env_parse_int("1e3", 0, 2000, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tables),
        cmocka_unit_test(generic_validators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
