/* src/common/contract: sql/contract.yaml says what the reference schema
 * says (the built-in defaults), edits are read, and malformed input is
 * reported with the file, the line and the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "contract.h"

static void file_equals_defaults(void **state)
{
    (void)state;
    struct contract file, def;
    char err[512] = "";
    int rc = ct_load_file("sql/contract.yaml", &file, err, sizeof(err));
    assert_int_equal(rc, 0);
    ct_defaults(&def);
    for (int t = 0; t < CT_NTABLES; t++) {
        assert_string_equal(file.t[t].name, def.t[t].name);
        for (int r = 0; r < CT_NROLES; r++)
            assert_string_equal(file.t[t].column[r], def.t[t].column[r]);
        for (int v = 0; v < CT_NVALUES; v++)
            assert_string_equal(file.t[t].value[v], def.t[t].value[v]);
        assert_int_equal(file.t[t].readers, def.t[t].readers);
        assert_int_equal(file.t[t].one_row_per_vehicle, def.t[t].one_row_per_vehicle);
    }
}

static const char BASE[] = "version: 1\n"
                           "tables:\n"
                           "  pending_transcriptions:\n"
                           "    readers: [grafana_readonly, queue_exporter]\n"
                           "    columns: {status: state, updated_at: updated_at}\n"
                           "    values: {failed: error}\n"
                           "  pending_pdf_processing:\n"
                           "    columns: {status: status}\n"
                           "  incidents:\n"
                           "    table: incident_log\n"
                           "    columns: {created_at: created_at}\n"
                           "  fleet_positions:\n"
                           "    columns: {vehicle_id: vehicle_id}\n"
                           "    assume: {one_row_per_vehicle: false}\n"
                           "  whatsapp_messages:\n"
                           "    columns: {direction: direction}\n";

static void edits_are_read(void **state)
{
    (void)state;
    struct contract c;
    char err[512] = "";
    assert_int_equal(ct_parse("c.yaml", BASE, strlen(BASE), &c, err, sizeof(err)), 0);
    assert_string_equal(ct_col(&c, CT_TRANSCRIPTIONS, CT_STATUS), "state");
    assert_string_equal(ct_val(&c, CT_TRANSCRIPTIONS, CT_FAILED), "error");
    assert_null(ct_val(&c, CT_TRANSCRIPTIONS, CT_PENDING));
    assert_null(ct_col(&c, CT_INCIDENTS, CT_SEVERITY));
    assert_string_equal(c.t[CT_INCIDENTS].name, "incident_log");
    assert_false(c.t[CT_FLEET].one_row_per_vehicle);
    struct strbuf b;
    sb_init(&b);
    ct_to_json(&c, &b);
    assert_non_null(strstr(sb_str(&b), "\"status\":\"state\""));
    assert_non_null(strstr(sb_str(&b), "\"table\":\"incident_log\""));
    sb_free(&b);
}

/* One edit of BASE and the message it must give. */
static void expect_error(const char *from, const char *to, const char *want)
{
    char text[2048];
    const char *at = strstr(BASE, from);
    assert_non_null(at);
    snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - BASE), BASE, to, at + strlen(from));
    struct contract c;
    char err[512] = "";
    assert_int_equal(ct_parse("c.yaml", text, strlen(text), &c, err, sizeof(err)), -1);
    if (!strstr(err, want))
        fail_msg("got '%s', want '%s'", err, want);
}

static void malformed_named(void **state)
{
    (void)state;
    expect_error("status: state,", "staus: state,",
                 "c.yaml:5: tables.pending_transcriptions.columns.staus: unknown role");
    expect_error("{direction: direction}", "{direction: Direction}",
                 "c.yaml:16: tables.whatsapp_messages.columns.direction: must be a lower-case");
    expect_error("failed: error", "failed: \"it's\"",
                 "c.yaml:6: tables.pending_transcriptions.values.failed: must be a plain value");
    expect_error("  incidents:\n", "  incident:\n", "c.yaml:9: tables.incident: unknown table");
    expect_error("version: 1", "version: 2", "c.yaml:1: version: must be 1");
    expect_error("queue_exporter]", "exporter]",
                 "c.yaml:4: tables.pending_transcriptions.readers: unknown reader 'exporter'");
    expect_error("one_row_per_vehicle: false", "one_row_per_vehicle: maybe",
                 "tables.fleet_positions.assume.one_row_per_vehicle: must be true or false");
    expect_error("    columns: {vehicle_id: vehicle_id}\n", "",
                 "tables.fleet_positions: has no columns");
    expect_error("  whatsapp_messages:\n    columns: {direction: direction}\n", "",
                 "tables.whatsapp_messages: is missing");
    expect_error("columns: {status: status}", "columns: {status: [a]", "c.yaml:9: not valid YAML");
    expect_error("columns: {created_at: created_at}", "colums: {created_at: created_at}",
                 "c.yaml:11: tables.incidents.colums: unknown key");
}

static void missing_file_named(void **state)
{
    (void)state;
    struct contract c;
    char err[512] = "";
    assert_int_equal(ct_load_file("/nonexistent/contract.yaml", &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/contract.yaml: cannot read the schema contract"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_equals_defaults),
        cmocka_unit_test(edits_are_read),
        cmocka_unit_test(malformed_named),
        cmocka_unit_test(missing_file_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
