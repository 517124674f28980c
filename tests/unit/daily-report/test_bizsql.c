/* src/daily-report/bizsql: the business statement follows the schema
 * contract, and a missing column blanks only the figures that need it,
 * with the reason the mail shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bizsql.h"

static void reference_contract(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    struct strbuf b;
    char why[DR_NFIGS][DR_WHY_MAX];
    sb_init(&b);
    dr_business_sql(&c, NULL, &b, why);
    for (int f = 0; f < DR_NFIGS; f++)
        assert_string_equal(why[f], "");
    assert_null(strstr(sb_str(&b), "NULL::bigint"));
    assert_non_null(strstr(sb_str(&b), "severity = 'critical'"));
    assert_non_null(strstr(sb_str(&b), "(SELECT count(*) FROM fleet_positions) AS fleet_total"));
    sb_free(&b);
}

static void edited_contract(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    c.t[CT_INCIDENTS].column[CT_SEVERITY][0] = '\0';
    snprintf(c.t[CT_PDF].column[CT_STATUS], CT_NAME_MAX, "state");
    snprintf(c.t[CT_PDF].value[CT_FAILED], CT_NAME_MAX, "error");
    c.t[CT_FLEET].one_row_per_vehicle = false;
    struct strbuf b;
    char why[DR_NFIGS][DR_WHY_MAX];
    sb_init(&b);
    dr_business_sql(&c, NULL, &b, why);
    const char *s = sb_str(&b);
    assert_non_null(strstr(s, "NULL::bigint AS incidents_24h_critical"));
    assert_string_equal(why[DR_FIG_INCIDENTS_MAJOR],
                        "unavailable: the contract declares no incidents.severity "
                        "(sql/contract.yaml tables.incidents.columns.severity)");
    assert_string_equal(why[DR_FIG_INCIDENTS_24H], "");
    assert_non_null(strstr(s, "FROM pending_pdf_processing WHERE state = 'error')"));
    assert_non_null(strstr(s, "(SELECT count(DISTINCT vehicle_id) FROM fleet_positions)"));
    sb_free(&b);
}

static void missing_column_blanks_its_figures_only(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    static dr_colwhy cw;
    memset(&cw, 0, sizeof(cw));
    snprintf(cw[CT_TRANSCRIPTIONS][CT_UPDATED_AT], DR_WHY_MAX,
             "pending_transcriptions.updated_at does not exist");
    struct strbuf b;
    char why[DR_NFIGS][DR_WHY_MAX];
    sb_init(&b);
    dr_business_sql(&c, &cw, &b, why);
    assert_string_equal(why[DR_FIG_TRANSCRIPTIONS_FAILED_24H],
                        "unavailable: pending_transcriptions.updated_at does not exist");
    assert_string_equal(why[DR_FIG_TRANSCRIPTIONS_FAILED_TOTAL], "");
    assert_string_equal(why[DR_FIG_PDF_FAILED_24H], "");
    assert_non_null(strstr(sb_str(&b), "NULL::bigint AS transcriptions_failed_24h"));
    sb_free(&b);
    sb_init(&b);
    char w[DR_WHY_MAX];
    assert_int_equal(dr_figure_sql(&c, DR_FIG_INCIDENTS_MINOR, &b, w, sizeof(w)), 0);
    assert_non_null(strstr(sb_str(&b), "WITH r AS (SELECT to_timestamp($1::double precision)"));
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_contract),
        cmocka_unit_test(edited_contract),
        cmocka_unit_test(missing_column_blanks_its_figures_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
