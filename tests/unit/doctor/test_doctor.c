/* doc_input / doc_raw: what a check may use as input, and the reason it
 * gives when a variable is unusable - naming the variable and the file,
 * never the value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctorfix.h"

static void usable_value_is_returned(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "GRAFANA_DOMAIN=grafana.ecotrans.eu\n");
    struct strbuf why;
    sb_init(&why);
    assert_string_equal(doc_input(&f.d, "GRAFANA_DOMAIN", &why), "grafana.ecotrans.eu");
    assert_int_equal(why.len, 0);
    sb_free(&why);
    fix_free(&f);
}

static void each_unusable_variable_is_named_with_its_problem(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "SMTP_HOST=\nSMTP_PASSWORD=changeme\nSMTP_USER=ops@ecotrans.eu\n");
    struct strbuf why;
    sb_init(&why);
    assert_null(doc_input(&f.d, "SMTP_HOST", &why));
    assert_null(doc_input(&f.d, "SMTP_PASSWORD", &why));
    assert_null(doc_input(&f.d, "SMTP_FROM", &why));
    assert_string_equal(doc_input(&f.d, "SMTP_USER", &why), "ops@ecotrans.eu");
    assert_string_equal(sb_str(&why), "SMTP_HOST is empty in /nonexistent/doctor-unit.env; "
                                      "SMTP_PASSWORD is still a placeholder; "
                                      "SMTP_FROM is not set in /nonexistent/doctor-unit.env");
    /* The placeholder itself is never repeated. */
    assert_null(strstr(sb_str(&why), "changeme"));
    sb_free(&why);
    fix_free(&f);
}

static void without_env_every_input_is_unknown_with_the_reason(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, NULL);
    struct strbuf why;
    sb_init(&why);
    assert_null(doc_input(&f.d, "WASABI_BUCKET", &why));
    assert_string_equal(sb_str(&why), "WASABI_BUCKET unknown (/nonexistent/doctor-unit.env: "
                                      "No such file or directory)");
    assert_null(doc_raw(&f.d, "WASABI_BUCKET"));
    sb_free(&why);
    fix_free(&f);
}

static void raw_gives_empty_and_placeholder_values_as_written(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "CADDY_TLS=\nWASABI_BUCKET=changeme\nWASABI_BUCKET=ecotrans-monitoring\n");
    assert_string_equal(doc_raw(&f.d, "CADDY_TLS"), "");
    /* The last definition counts, as in docker compose. */
    assert_string_equal(doc_raw(&f.d, "WASABI_BUCKET"), "ecotrans-monitoring");
    assert_null(doc_raw(&f.d, "NOT_THERE"));
    assert_contains(doc_input_fix(&f.d), ".env.example");
    fix_free(&f);
}

static void every_secret_and_a_dsns_password_are_redacted(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "SMTP_PASSWORD=mailgun-pass-1234\n"
                 "QUEUE_EXPORTER_DSN='host=db port=5432 user=qe password=dsn-pw-5678'\n"
                 "GRAFANA_DOMAIN=monitoring.ecotrans.eu\n");
    doc_register_secrets(&f.d);
    char *out = doc_report_redact(&f.rep, "auth failed for mailgun-pass-1234; server said: "
                                          "password dsn-pw-5678 rejected at "
                                          "monitoring.ecotrans.eu");
    /* Non-secret values stay readable. */
    assert_string_equal(out, "auth failed for ***; server said: password *** rejected at "
                             "monitoring.ecotrans.eu");
    free(out);
    fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(usable_value_is_returned),
        cmocka_unit_test(each_unusable_variable_is_named_with_its_problem),
        cmocka_unit_test(without_env_every_input_is_unknown_with_the_reason),
        cmocka_unit_test(raw_gives_empty_and_placeholder_values_as_written),
        cmocka_unit_test(every_secret_and_a_dsns_password_are_redacted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
