/* src/doctor/dashgen: the dashboards' SQL from templates plus the schema
 * contract. Placeholders take the contract's names; the first variant that
 * fits is used (an "if" on an assumption, or every column declared); no
 * fitting variant gives an "unavailable" query; a rendered file changes in
 * its rawSql strings only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashgen.h"

static const char *TEMPLATES =
    "{\"d\": {"
    " \"Jobs (A)\": [\"SELECT count(*) FROM {{pending_pdf_processing}} WHERE "
    "{{pending_pdf_processing.status}} = '{{pending_pdf_processing.failed}}'\"],"
    " \"Fleet (A)\": [{\"if\": \"fleet_positions.one_row_per_vehicle\", \"sql\": \"ONE\"},"
    "                 {\"sql\": \"MANY {{fleet_positions.vehicle_id}}\"}],"
    " \"Sev (A)\": [\"S {{incidents.severity}}\", \"NOSEV {{incidents.created_at}}\"],"
    " \"Cat (A)\": [\"C {{incidents.category}}\"],"
    " \"Bad (A)\": [\"X {{incidents.nope}}\"]}}";

static char *sql_of(const struct contract *c, const char *label, int want_rc)
{
    cJSON *t = cJSON_Parse(TEMPLATES);
    assert_non_null(t);
    char *sql = NULL, why[256] = "", err[256] = "";
    int rc = doc_dashgen_sql(t, c, "d", label, &sql, why, sizeof(why), err, sizeof(err));
    cJSON_Delete(t);
    if (rc != want_rc)
        fail_msg("%s: rc %d, want %d (%s / %s)", label, rc, want_rc, why, err);
    if (rc < 0)
        return strdup(err);
    return sql;
}

static void placeholders_take_the_contracts_names(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    char *s = sql_of(&c, "Jobs (A)", 0);
    assert_string_equal(s, "SELECT count(*) FROM pending_pdf_processing WHERE status = 'failed'");
    free(s);
    snprintf(c.t[CT_PDF].name, CT_NAME_MAX, "pdf_jobs");
    snprintf(c.t[CT_PDF].column[CT_STATUS], CT_NAME_MAX, "state");
    snprintf(c.t[CT_PDF].value[CT_FAILED], CT_NAME_MAX, "error");
    s = sql_of(&c, "Jobs (A)", 0);
    assert_string_equal(s, "SELECT count(*) FROM pdf_jobs WHERE state = 'error'");
    free(s);
}

static void the_first_fitting_variant_is_used(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    char *s = sql_of(&c, "Fleet (A)", 0);
    assert_string_equal(s, "ONE");
    free(s);
    c.t[CT_FLEET].one_row_per_vehicle = false;
    s = sql_of(&c, "Fleet (A)", 0);
    assert_string_equal(s, "MANY vehicle_id");
    free(s);
    s = sql_of(&c, "Sev (A)", 0);
    assert_string_equal(s, "S severity");
    free(s);
    c.t[CT_INCIDENTS].column[CT_SEVERITY][0] = '\0';
    s = sql_of(&c, "Sev (A)", 0);
    assert_string_equal(s, "NOSEV created_at");
    free(s);
}

static void no_fitting_variant_is_unavailable(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    c.t[CT_INCIDENTS].column[CT_CATEGORY][0] = '\0';
    char *s = sql_of(&c, "Cat (A)", 1);
    assert_string_equal(s, "SELECT 'unavailable: the contract declares no incidents.category "
                           "(tables.incidents.columns.category)' AS \"unavailable\"");
    free(s);
}

static void template_errors_are_named(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    char *e = sql_of(&c, "Missing (B)", -1);
    assert_non_null(strstr(e, "no template for it in sql/dashboard-sql.json"));
    free(e);
    e = sql_of(&c, "Bad (A)", -1);
    assert_string_equal(e, "{{incidents.nope}}: nope is neither a column role nor a value of that "
                           "table");
    free(e);
}

static void rendering_changes_only_rawsql(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    snprintf(c.t[CT_PDF].column[CT_STATUS], CT_NAME_MAX, "state");
    const char *in = "{\n  \"uid\": \"d\",\n  \"panels\": [ {\"title\": \"Jobs\",  \"targets\": "
                     "[{\"refId\": \"A\", \"rawSql\" :  \"old \\\"sql\\\"\"}]},\n"
                     "    {\"title\": \"Other\", \"description\": \"\\\"rawSql\\\": x\"} ]\n}\n";
    cJSON *t = cJSON_Parse(TEMPLATES);
    struct strbuf out, notes;
    sb_init(&out);
    sb_init(&notes);
    char err[256] = "";
    assert_int_equal(doc_dashgen_render(in, t, &c, &out, &notes, err, sizeof(err)), 0);
    assert_string_equal(
        sb_str(&out), "{\n  \"uid\": \"d\",\n  \"panels\": [ {\"title\": \"Jobs\",  \"targets\": "
                      "[{\"refId\": \"A\", \"rawSql\" :  \"SELECT count(*) FROM "
                      "pending_pdf_processing WHERE state = 'failed'\"}]},\n"
                      "    {\"title\": \"Other\", \"description\": \"\\\"rawSql\\\": x\"} ]\n}\n");
    assert_string_equal(sb_str(&notes), "");
    sb_free(&out);
    sb_free(&notes);
    cJSON_Delete(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(placeholders_take_the_contracts_names),
        cmocka_unit_test(the_first_fitting_variant_is_used),
        cmocka_unit_test(no_fitting_variant_is_unavailable),
        cmocka_unit_test(template_errors_are_named),
        cmocka_unit_test(rendering_changes_only_rawsql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
