/* The exporter's built-in queues (config.c) read exactly what the schema
 * contract (sql/contract.yaml) declares for the two job tables: the same
 * tables, status/created/updated columns and status values. A changed
 * contract without a matching exporter default fails here. An edited
 * contract (--contract) renames what the queues read, and one without a
 * status column the exporter needs is refused, naming the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "contract.h"
#include "strbuf.h"

static void defaults_match_contract(void **state)
{
    (void)state;
    struct contract c;
    char err[512] = "";
    if (ct_load_file("sql/contract.yaml", &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct qe_config cfg;
    qe_config_defaults(&cfg);
    assert_int_equal(cfg.n_queues, 2);
    const enum ct_table jobs[] = {CT_TRANSCRIPTIONS, CT_PDF};
    for (int i = 0; i < 2; i++) {
        const struct qe_queue *q = &cfg.queues[i];
        enum ct_table t = jobs[i];
        assert_string_equal(q->table, c.t[t].name);
        assert_true(c.t[t].readers & CT_READER_EXPORTER);
        assert_string_equal(q->status_column, ct_col(&c, t, CT_STATUS));
        assert_string_equal(q->created_column, ct_col(&c, t, CT_CREATED_AT));
        assert_string_equal(q->updated_column, ct_col(&c, t, CT_UPDATED_AT));
        assert_string_equal(q->pending, ct_val(&c, t, CT_PENDING));
        assert_string_equal(q->processing, ct_val(&c, t, CT_PROCESSING));
        assert_string_equal(q->completed, ct_val(&c, t, CT_COMPLETED));
        assert_string_equal(q->failed, ct_val(&c, t, CT_FAILED));
    }
}

static void an_edited_contract_renames_the_queues(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    snprintf(c.t[CT_PDF].name, CT_NAME_MAX, "pdf_jobs");
    snprintf(c.t[CT_PDF].column[CT_STATUS], CT_NAME_MAX, "state");
    snprintf(c.t[CT_PDF].value[CT_FAILED], CT_NAME_MAX, "error");
    static struct qe_config cfg;
    char err[256] = "";
    qe_config_defaults(&cfg);
    assert_int_equal(qe_config_apply_contract(&cfg, &c, err, sizeof(err)), 0);
    assert_string_equal(cfg.queues[1].name, "pending_pdf_processing"); /* the label stays */
    assert_string_equal(cfg.queues[1].table, "pdf_jobs");
    assert_string_equal(cfg.queues[1].status_column, "state");
    assert_string_equal(cfg.queues[1].failed, "error");
    assert_string_equal(cfg.queues[0].status_column, "status");

    c.t[CT_TRANSCRIPTIONS].column[CT_STATUS][0] = '\0';
    qe_config_defaults(&cfg);
    assert_int_equal(qe_config_apply_contract(&cfg, &c, err, sizeof(err)), -1);
    assert_string_equal(err, "the contract declares no pending_transcriptions.status, which the "
                             "exporter needs (tables.pending_transcriptions.columns.status)");
}

/* What the doctor's --print-exporter-config prints for a contract: the
 * built-in queues after qe_config_apply_contract, written out by
 * qe_config_builtin_ini. Loaded back by the exporter's own parser, the
 * file gives the very queues the contract gave. */
static void the_written_ini_loads_back_to_the_contracts_queues(void **state)
{
    (void)state;
    struct contract c;
    ct_defaults(&c);
    snprintf(c.t[CT_PDF].name, CT_NAME_MAX, "pdf_jobs");
    snprintf(c.t[CT_PDF].column[CT_STATUS], CT_NAME_MAX, "state");
    snprintf(c.t[CT_PDF].value[CT_FAILED], CT_NAME_MAX, "errored");
    snprintf(c.t[CT_TRANSCRIPTIONS].column[CT_UPDATED_AT], CT_NAME_MAX, "modified");
    static struct qe_config want, got;
    char err[QE_ERR_MAX] = "";
    qe_config_defaults(&want);
    assert_int_equal(qe_config_apply_contract(&want, &c, err, sizeof(err)), 0);
    struct strbuf b;
    sb_init(&b);
    qe_config_builtin_ini(&want, &b);
    assert_string_equal(sb_str(&b), "[queue pending_transcriptions]\n"
                                    "table = pending_transcriptions\n"
                                    "status_column = status\n"
                                    "created_column = created_at\n"
                                    "updated_column = modified\n"
                                    "pending_status = pending\n"
                                    "processing_status = processing\n"
                                    "completed_status = completed\n"
                                    "failed_status = failed\n"
                                    "[queue pending_pdf_processing]\n"
                                    "table = pdf_jobs\n"
                                    "status_column = state\n"
                                    "created_column = created_at\n"
                                    "updated_column = updated_at\n"
                                    "pending_status = pending\n"
                                    "processing_status = processing\n"
                                    "completed_status = completed\n"
                                    "failed_status = errored\n");
    char path[] = "/tmp/qe-contract-ini-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, sb_str(&b), b.len), (ssize_t)b.len);
    close(fd);
    sb_free(&b);
    qe_config_defaults(&got);
    int rc = qe_config_load(&got, path, err, sizeof(err));
    unlink(path);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(got.n_queues, 2);
    for (int i = 0; i < 2; i++) {
        assert_true(got.queues[i].line > 0); /* changed by the file... */
        got.queues[i].line = 0;
    }
    /* ...into exactly what the contract gave, field for field. */
    assert_memory_equal(got.queues, want.queues, 2 * sizeof(want.queues[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_match_contract),
        cmocka_unit_test(an_edited_contract_renames_the_queues),
        cmocka_unit_test(the_written_ini_loads_back_to_the_contracts_queues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
