/* Format issues across variables: messages never quote a secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "envspec.h"

static size_t issues_of(const char *text, struct format_issue **out, struct dotenv *env)
{
    doc_dotenv_init(env);
    doc_dotenv_parse(env, text, strlen(text));
    return doc_envspec_format_issues(env, out);
}

static const struct format_issue *find(struct format_issue *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return &v[i];
    return NULL;
}

static void secrets_are_never_quoted(void **state)
{
    (void)state;
    struct dotenv env;
    struct format_issue *v;
    size_t n = issues_of("GRAFANA_ADMIN_PASSWORD=short-pw\n"
                         "QUEUE_EXPORTER_DSN='host=h user=u password=hunter2-secret'\n"
                         "WASABI_ACCESS_KEY=bad key!\n",
                         &v, &env);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_null(strstr(v[i].message, "short-pw"));
        assert_null(strstr(v[i].message, "hunter2"));
        assert_null(strstr(v[i].message, "bad key"));
    }
    assert_string_equal(find(v, n, "QUEUE_EXPORTER_DSN")->message,
                        "QUEUE_EXPORTER_DSN lacks dbname, sslmode");
    assert_string_equal(find(v, n, "GRAFANA_ADMIN_PASSWORD")->message,
                        "GRAFANA_ADMIN_PASSWORD is 8 characters long; use 16 or more random "
                        "characters");
    doc_format_issues_free(v, n);
    doc_dotenv_free(&env);
}

static void non_secrets_show_their_value(void **state)
{
    (void)state;
    struct dotenv env;
    struct format_issue *v;
    size_t n = issues_of("SMTP_PORT=0\nSUPABASE_DB_PORT=6543\nCADDY_TLS=letsencrypt\n", &v, &env);
    assert_int_equal(n, 3);
    /* The daily report's own validator (envtable.c), worded once. */
    assert_string_equal(find(v, n, "SMTP_PORT")->message,
                        "SMTP_PORT=0 is not a port number (1-65535)");
    assert_string_equal(find(v, n, "CADDY_TLS")->message,
                        "CADDY_TLS=letsencrypt must be an email address (ACME account) or the "
                        "word internal");
    doc_format_issues_free(v, n);
    doc_dotenv_free(&env);
}

/* The doctor refuses what config-init refuses: an SMTP_TLS that
 * Alertmanager cannot speak on that SMTP_PORT (smtp_check_alertmanager). */
static void smtp_tls_must_suit_alertmanagers_port(void **state)
{
    (void)state;
    struct dotenv env;
    struct format_issue *v;
    const char *fine[] = {"SMTP_TLS=tls\n", "SMTP_TLS=tls\nSMTP_PORT=465\n", "SMTP_PORT=465\n",
                          "SMTP_TLS=starttls\nSMTP_PORT=2525\n", "SMTP_TLS=none\nSMTP_PORT=\n"};
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        size_t n = issues_of(fine[i], &v, &env);
        assert_int_equal(n, 0);
        doc_format_issues_free(v, n);
        doc_dotenv_free(&env);
    }
    size_t n = issues_of("SMTP_TLS=tls\nSMTP_PORT=587\n", &v, &env);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].name, "SMTP_TLS");
    assert_non_null(strstr(v[0].message, "SMTP_TLS=tls with SMTP_PORT=587: Alertmanager uses TLS"));
    assert_string_equal(v[0].fix,
                        "SMTP_TLS=tls only on port 465; starttls or none on any other port");
    doc_format_issues_free(v, n);
    doc_dotenv_free(&env);
    n = issues_of("SMTP_TLS=starttls\nSMTP_PORT=465\n", &v, &env);
    assert_int_equal(n, 1);
    assert_non_null(strstr(v[0].message, "SMTP_TLS=starttls with SMTP_PORT=465: Alertmanager"));
    doc_format_issues_free(v, n);
    doc_dotenv_free(&env);
}

static void pooler_needs_the_ref_suffix_direct_host_refuses_it(void **state)
{
    (void)state;
    struct dotenv env;
    struct format_issue *v;
    size_t n = issues_of("SUPABASE_URL=https://abcdefghijklmnopqrst.supabase.co\n"
                         "SUPABASE_DB_HOST=aws-0-eu-central-1.pooler.supabase.com\n"
                         "SUPABASE_GRAFANA_USER=grafana_readonly.otherprojectref000000\n"
                         "QUEUE_EXPORTER_DSN='host=x port=5432 dbname=postgres "
                         "user=queue_exporter password=p sslmode=require'\n",
                         &v, &env);
    assert_int_equal(n, 2);
    assert_string_equal(find(v, n, "SUPABASE_GRAFANA_USER")->message,
                        "SUPABASE_GRAFANA_USER: user grafana_readonly.otherprojectref000000 names "
                        "project otherprojectref000000, SUPABASE_URL names abcdefghijklmnopqrst");
    assert_string_equal(find(v, n, "SUPABASE_GRAFANA_USER")->fix,
                        "use user grafana_readonly.abcdefghijklmnopqrst");
    assert_string_equal(find(v, n, "QUEUE_EXPORTER_DSN")->fix,
                        "use user queue_exporter.abcdefghijklmnopqrst with the pooler");
    doc_format_issues_free(v, n);
    doc_dotenv_free(&env);

    n = issues_of("SUPABASE_URL=https://abcdefghijklmnopqrst.supabase.co\n"
                  "SUPABASE_DB_HOST=db.zzzzzzzzzzzzzzzzzzzz.supabase.co\n"
                  "SUPABASE_GRAFANA_USER=grafana_readonly.abcdefghijklmnopqrst\n",
                  &v, &env);
    assert_int_equal(n, 2);
    assert_string_equal(find(v, n, "SUPABASE_DB_HOST")->message,
                        "SUPABASE_DB_HOST=db.zzzzzzzzzzzzzzzzzzzz.supabase.co is not the database "
                        "of SUPABASE_URL (project abcdefghijklmnopqrst)");
    assert_string_equal(find(v, n, "SUPABASE_GRAFANA_USER")->fix,
                        "use user grafana_readonly on the direct host");
    doc_format_issues_free(v, n);
    doc_dotenv_free(&env);
}

static void placeholders_and_empty_values_are_left_to_their_checks(void **state)
{
    (void)state;
    struct dotenv env;
    struct format_issue *v;
    size_t n = issues_of("SMTP_PORT=\nSUPABASE_URL=https://<project-ref>.supabase.co\n", &v, &env);
    assert_int_equal(n, 0);
    doc_format_issues_free(v, n);
    doc_dotenv_free(&env);
}

static void secret_names(void **state)
{
    (void)state;
    assert_true(doc_var_is_secret("SMTP_PASSWORD"));
    assert_true(doc_var_is_secret("QUEUE_EXPORTER_DSN"));
    assert_true(doc_var_is_secret("SOME_API_TOKEN"));
    assert_false(doc_var_is_secret("SMTP_HOST"));
    assert_false(doc_var_is_secret("WASABI_BUCKET"));
}

/* One report line per variable: issues of one name adjacent, names in
 * order of first appearance, each name's issues in their own order. */
static void issues_group_by_variable_in_first_appearance_order(void **state)
{
    (void)state;
    struct format_issue v[] = {{"B", "b1", ""}, {"A", "a1", ""}, {"B", "b2", ""},
                               {"C", "c1", ""}, {"A", "a2", ""}, {"B", "b3", ""}};
    size_t *order = doc_format_issues_grouped(v, 6);
    const char *want[] = {"b1", "b2", "b3", "a1", "a2", "c1"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(v[order[i]].message, want[i]);
    free(order);
    free(doc_format_issues_grouped(v, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secrets_are_never_quoted),
        cmocka_unit_test(non_secrets_show_their_value),
        cmocka_unit_test(smtp_tls_must_suit_alertmanagers_port),
        cmocka_unit_test(pooler_needs_the_ref_suffix_direct_host_refuses_it),
        cmocka_unit_test(placeholders_and_empty_values_are_left_to_their_checks),
        cmocka_unit_test(secret_names),
        cmocka_unit_test(issues_group_by_variable_in_first_appearance_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
