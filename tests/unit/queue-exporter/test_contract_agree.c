/* The exporter's built-in queues (config.c) read exactly what the schema
 * contract (sql/contract.yaml) declares for the two job tables: the same
 * tables, status/created/updated columns and status values. A changed
 * contract without a matching exporter default fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "contract.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_match_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
