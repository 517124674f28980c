/* The schema contract against the live database: the contract file is
 * loaded (or a failure names the file and line), and each way a statement
 * can fail to plan is explained with the contract key to change. The
 * EXPLAIN runs themselves need PostgreSQL: tests/integration covers them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check_contract.h"
#include "doctorfix.h"

#define FILE_ "sql/contract.yaml"

static void names_are_read_from_postgres_messages(void **state)
{
    (void)state;
    char name[64];
    assert_int_equal(
        doc_sql_error_name("column \"vin\" does not exist", "column ", name, sizeof(name)), 0);
    assert_string_equal(name, "vin");
    assert_int_equal(
        doc_sql_error_name("column f.vin does not exist", "column ", name, sizeof(name)), 0);
    assert_string_equal(name, "f.vin");
    assert_int_equal(
        doc_sql_error_name("relation \"trucks\" does not exist", "relation ", name, sizeof(name)),
        0);
    assert_string_equal(name, "trucks");
    assert_int_equal(doc_sql_error_name("permission denied for table incidents",
                                        "permission denied for table ", name, sizeof(name)),
                     0);
    assert_string_equal(name, "incidents");
    assert_int_equal(
        doc_sql_error_name("syntax error at or near \"FROM\"", "column ", name, sizeof(name)), -1);
}

static void a_missing_column_names_the_key_to_change(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    char what[300], fix[400];
    /* Declared in the contract, absent from the real table. */
    doc_contract_missing_column(&c, FILE_, CT_FLEET, "vehicle_id", what, sizeof(what), fix,
                                sizeof(fix));
    assert_string_equal(what, "column fleet_positions.vehicle_id does not exist");
    assert_string_equal(fix, "set tables.fleet_positions.columns.vehicle_id in sql/contract.yaml "
                             "to the column's real name (or delete that line: what needs it "
                             "becomes unavailable), then re-run sql/roles.sh");
    /* The contract maps the role to another column: the statement (a
     * dashboard template with the name written out) still reads the
     * reference name. */
    snprintf(c.t[CT_FLEET].column[CT_VEHICLE_ID], CT_NAME_MAX, "truck_id");
    doc_contract_missing_column(&c, FILE_, CT_FLEET, "vehicle_id", what, sizeof(what), fix,
                                sizeof(fix));
    assert_string_equal(fix, "sql/contract.yaml maps tables.fleet_positions.columns.vehicle_id to "
                             "truck_id: the statement reads vehicle_id by name; make its template "
                             "(sql/dashboard-sql.json) read {{fleet_positions.vehicle_id}}");
    /* The role is not declared at all. */
    c.t[CT_FLEET].column[CT_VEHICLE_ID][0] = '\0';
    doc_contract_missing_column(&c, FILE_, CT_FLEET, "vehicle_id", what, sizeof(what), fix,
                                sizeof(fix));
    assert_string_equal(fix, "sql/contract.yaml declares no tables.fleet_positions.columns."
                             "vehicle_id: give the statement's template (sql/dashboard-sql.json) "
                             "a variant that does not need it, or declare the column");
    /* A column no role is named after. */
    doc_contract_missing_column(&c, FILE_, CT_FLEET, "colour", what, sizeof(what), fix,
                                sizeof(fix));
    assert_string_equal(what, "column fleet_positions.colour does not exist");
    assert_string_equal(fix, "the statement reads fleet_positions.colour, which sql/contract.yaml "
                             "does not declare: fix the statement");
    /* No table of the statement lacks it (an alias, a subquery). */
    doc_contract_missing_column(&c, FILE_, -1, "colour", what, sizeof(what), fix, sizeof(fix));
    assert_string_equal(what, "column colour does not exist");
    assert_contains(fix, "declare it with its role, or fix the statement");
}

static void a_denied_column_says_whether_the_contract_declares_it(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    char what[300], fix[400];
    doc_contract_denied(&c, FILE_, "pending_transcriptions", "status,error", what, sizeof(what),
                        fix, sizeof(fix));
    assert_string_equal(what, "permission denied for pending_transcriptions.status,error");
    assert_string_equal(fix, "re-run sql/roles.sh: sql/contract.yaml declares it "
                             "(tables.pending_transcriptions.columns.status) but it is not "
                             "granted");
    doc_contract_denied(&c, FILE_, "incidents", "reporter_phone", what, sizeof(what), fix,
                        sizeof(fix));
    assert_string_equal(what, "reads incidents.reporter_phone, which the contract does not "
                              "declare (not granted)");
    assert_string_equal(fix, "declare incidents.reporter_phone under tables.incidents.columns in "
                             "sql/contract.yaml (with its role) if it is needed, then re-run "
                             "sql/roles.sh");
    doc_contract_denied(&c, FILE_, "incidents", NULL, what, sizeof(what), fix, sizeof(fix));
    assert_string_equal(what, "permission denied for table incidents");
    assert_string_equal(fix, "re-run sql/roles.sh (tables.incidents.readers in "
                             "sql/contract.yaml)");
    /* A table outside the contract is named as it is. */
    doc_contract_denied(&c, FILE_, "auth_users", NULL, what, sizeof(what), fix, sizeof(fix));
    assert_string_equal(fix, "re-run sql/roles.sh (tables.auth_users.readers in "
                             "sql/contract.yaml)");
}

static void the_contract_loads_or_the_failure_names_the_file(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "");
    struct contract c;
    assert_int_equal(doc_contract_load(&f.d, &c), 0);
    assert_int_equal(f.rep.n, 0);
    assert_true(c.t[CT_INCIDENTS].name[0] != '\0');
    fix_free(&f);

    char path[] = "/tmp/doctor-unit-contract-XXXXXX";
    int fd = mkstemp(path);
    const char *bad = "tables:\n  incidents:\n    columns:\n      colour: paint\n";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    fix_init(&f, "");
    f.opt.contract = path;
    assert_int_equal(doc_contract_load(&f.d, &c), -1);
    const struct check_result *r = fix_expect(&f, "supabase.contract", CHECK_FAIL);
    assert_contains(r->detail, path);
    assert_contains(r->detail, "colour");
    assert_string_equal(r->fix, "fix the file (see sql/contract.yaml's header)");
    fix_free(&f);
    unlink(path);

    fix_init(&f, "");
    f.opt.contract = "/nonexistent/contract.yaml";
    assert_int_equal(doc_contract_load(&f.d, &c), -1);
    assert_contains(fix_expect(&f, "supabase.contract", CHECK_FAIL)->detail,
                    "/nonexistent/contract.yaml");
    fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_are_read_from_postgres_messages),
        cmocka_unit_test(a_missing_column_names_the_key_to_change),
        cmocka_unit_test(a_denied_column_says_whether_the_contract_declares_it),
        cmocka_unit_test(the_contract_loads_or_the_failure_names_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
