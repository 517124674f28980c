/* Every statement the stack will run, gathered from files: dashboard SQL
 * targets (with Grafana's macros and variables expanded), the report's
 * figures and the exporter's collection query, each labelled so that a
 * failure names the panel or figure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../daily-report/bizsql.h"
#include "stmts.h"

/* 2026-11-30T12:00:00Z */
#define TO 1796040000L

static char dir[64];

static void put(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/doctor-unit-dash-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    const char *names[] = {"a.json", "b.json", "notes.txt"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

static void dashboard_targets_are_expanded_and_labelled_by_panel(void **state)
{
    (void)state;
    put("a.json",
        "{\"uid\":\"business-kpis\",\"templating\":{\"list\":["
        "{\"name\":\"tbl\",\"type\":\"constant\",\"query\":\"incidents\"},"
        "{\"name\":\"who\",\"type\":\"custom\",\"current\":{\"value\":[\"O'Brien\"]}}]},"
        "\"panels\":[{\"title\":\"Incidents per day\",\"targets\":[{\"refId\":\"A\",\"rawSql\":"
        "\"SELECT count(*) FROM $tbl WHERE $__timeFilter(created_at) AND name = '$who'\"},"
        "{\"refId\":\"B\",\"expr\":\"up\"}]},"
        "{\"type\":\"row\",\"title\":\"Fleet\",\"panels\":[{\"title\":\"Vehicles\",\"targets\":"
        "[{\"refId\":\"C\",\"rawSql\":\"SELECT 1 FROM fleet_positions\"}]}]}]}");
    put("b.json", "{ this is not JSON");
    put("notes.txt", "not a dashboard");
    struct stmt_list l = {0};
    doc_stmts_dashboards(&l, dir, NULL, NULL, TO);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].source, "dashboard");
    assert_string_equal(l.items[0].label, "business-kpis / Incidents per day (A)");
    assert_int_equal(l.items[0].runner, STMT_GRAFANA);
    assert_string_equal(l.items[0].sql,
                        "SELECT count(*) FROM incidents WHERE created_at BETWEEN "
                        "'2026-11-30T06:00:00Z' AND '2026-11-30T12:00:00Z' AND name = 'O''Brien'");
    /* A panel inside a row is found too. */
    assert_string_equal(l.items[1].label, "business-kpis / Vehicles (C)");
    assert_string_equal(l.items[1].sql, "SELECT 1 FROM fleet_positions");
    /* A broken file is one entry with its error, named by path. */
    char path[128];
    snprintf(path, sizeof(path), "%s/b.json", dir);
    assert_string_equal(l.items[2].label, path);
    assert_null(l.items[2].sql);
    assert_string_equal(l.items[2].error, "not valid JSON");
    doc_stmts_free(&l);
    assert_int_equal(l.n, 0);
}

/* With sql/dashboard-sql.json's templates a target's SQL is what the
 * contract gives; a file whose rawSql differs is marked stale. */
static void dashboard_targets_follow_the_contract(void **state)
{
    (void)state;
    put("a.json", "{\"uid\":\"d\",\"panels\":[{\"title\":\"Jobs\",\"targets\":[{\"refId\":"
                  "\"A\",\"rawSql\":\"SELECT 1 FROM pending_pdf_processing WHERE status = "
                  "'failed'\"}]}]}");
    put("notes.txt",
        "{\"d\":{\"Jobs (A)\":[\"SELECT 1 FROM {{pending_pdf_processing}} WHERE "
        "{{pending_pdf_processing.status}} = '{{pending_pdf_processing.failed}}'\"]}}");
    char tpl[128];
    snprintf(tpl, sizeof(tpl), "%s/notes.txt", dir);
    struct contract c;
    ct_defaults(&c);
    struct stmt_list l = {0};
    doc_stmts_dashboards(&l, dir, tpl, &c, TO);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].sql,
                        "SELECT 1 FROM pending_pdf_processing WHERE status = 'failed'");
    assert_null(l.items[0].stale);
    doc_stmts_free(&l);

    snprintf(c.t[CT_PDF].column[CT_STATUS], CT_NAME_MAX, "state");
    doc_stmts_dashboards(&l, dir, tpl, &c, TO);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].sql,
                        "SELECT 1 FROM pending_pdf_processing WHERE state = 'failed'");
    assert_string_equal(l.items[0].stale, "its SQL in the file is not what the contract gives");
    doc_stmts_free(&l);
}

static void an_unreadable_directory_is_one_error(void **state)
{
    (void)state;
    struct stmt_list l = {0};
    doc_stmts_dashboards(&l, "/nonexistent/dashboards", NULL, NULL, TO);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].label, "/nonexistent/dashboards");
    assert_string_equal(l.items[0].error, "cannot read the dashboards directory");
    doc_stmts_free(&l);
}

static void report_figures_carry_the_reference_time_or_why_not(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    c.t[CT_INCIDENTS].column[CT_SEVERITY][0] = '\0';
    struct stmt_list l = {0};
    doc_stmts_report(&l, &c, TO);
    assert_int_equal(l.n, DR_NFIGS);
    for (size_t i = 0; i < l.n; i++) {
        const struct stmt *s = &l.items[i];
        assert_string_equal(s->source, "report");
        bool by_severity = i == DR_FIG_INCIDENTS_CRITICAL || i == DR_FIG_INCIDENTS_MAJOR ||
                           i == DR_FIG_INCIDENTS_MINOR;
        if (by_severity) {
            assert_null(s->sql);
            assert_non_null(strstr(s->unavailable, "incidents.severity"));
        } else {
            assert_non_null(s->sql);
            assert_int_equal(s->nparams, 1);
            assert_string_equal(s->params[0], "1796040000");
        }
    }
    assert_string_equal(l.items[DR_FIG_INCIDENTS_24H].label, "figure incidents_24h");
    doc_stmts_free(&l);
}

static void the_exporter_query_follows_the_contract(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    snprintf(c.t[CT_PDF].name, CT_NAME_MAX, "pdf_jobs");
    snprintf(c.t[CT_PDF].value[CT_FAILED], CT_NAME_MAX, "errored");
    struct stmt_list l = {0};
    doc_stmts_exporter(&l, &c);
    assert_int_equal(l.n, 1);
    const struct stmt *s = &l.items[0];
    assert_string_equal(s->label, "collection query");
    assert_int_equal(s->runner, STMT_EXPORTER);
    assert_non_null(strstr(s->sql, "\"pending_transcriptions\""));
    assert_non_null(strstr(s->sql, "\"pdf_jobs\""));
    bool errored = false;
    for (size_t k = 0; k < s->nparams; k++)
        errored |= !strcmp(s->params[k], "errored");
    assert_true(errored);
    doc_stmts_free(&l);

    c.t[CT_PDF].column[CT_UPDATED_AT][0] = '\0';
    doc_stmts_exporter(&l, &c);
    assert_null(l.items[0].sql);
    assert_string_equal(l.items[0].error,
                        "the contract declares no pending_pdf_processing.updated_at, which the "
                        "exporter needs (tables.pending_pdf_processing.columns.updated_at)");
    doc_stmts_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dashboard_targets_are_expanded_and_labelled_by_panel,
                                        make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(dashboard_targets_follow_the_contract, make_dir,
                                        remove_dir),
        cmocka_unit_test(an_unreadable_directory_is_one_error),
        cmocka_unit_test(report_figures_carry_the_reference_time_or_why_not),
        cmocka_unit_test(the_exporter_query_follows_the_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
