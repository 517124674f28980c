/* The collection query: identifiers quoted by libpq's PQescapeIdentifier,
 * status values as bind parameters, one aggregate per status value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "sql.h"

static PGconn *conn;
static struct qe_config cfg;

static int setup(void **state)
{
    (void)state;
    /* PQescapeIdentifier only needs the connection object (for its client
     * encoding); this one never reaches a server. */
    conn = PQconnectStart("host=/nonexistent-qe-test dbname=x");
    return conn ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(conn);
    return 0;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void builds_one_aggregate_per_status(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    struct qe_query q;
    char err[256];
    assert_int_equal(qe_query_build(&q, &cfg, qe_db_quote_ident, conn, err, sizeof(err)), 0);
    assert_true(strncmp(q.text, "/* queue-exporter collection */ SELECT", 38) == 0);
    /* 2 queues x (3 depths + stuck + 2 ages + failed 24h + completed 1h). */
    assert_int_equal(q.n_columns, 16);
    assert_int_equal(count(q.text, "(SELECT "), 16);
    /* Per queue: pending, processing, failed, completed, stuck threshold. */
    assert_int_equal(q.n_params, 10);
    const char *expect[] = {"pending", "processing", "failed", "completed", "2100.000"};
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(q.params[i], expect[i % 5]);
    assert_non_null(strstr(q.text, "(SELECT count(*) FROM \"pending_transcriptions\" WHERE "
                                   "\"status\" = $1)"));
    assert_non_null(strstr(q.text, "FROM \"pending_transcriptions\" WHERE \"status\" = $2 AND "
                                   "\"updated_at\" < now() - $5::float8 * interval '1 second'"));
    assert_non_null(strstr(q.text, "min(\"created_at\")), 0), 0) FROM \"pending_transcriptions\" "
                                   "WHERE \"status\" = $1"));
    assert_non_null(strstr(q.text, "WHERE \"status\" = $3 AND \"updated_at\" >= now() - interval "
                                   "'24 hours'"));
    assert_non_null(strstr(q.text, "WHERE \"status\" = $4 AND \"updated_at\" >= now() - interval "
                                   "'1 hour'"));
    /* The second queue's parameters follow the first's. */
    assert_non_null(strstr(q.text, "FROM \"pending_pdf_processing\" WHERE \"status\" = $7 AND "
                                   "\"updated_at\" < now() - $10::float8"));
    /* Status values never appear as text in the statement. */
    assert_null(strstr(q.text, "'pending'"));
    assert_null(strstr(q.text, "'completed'"));
    qe_query_free(&q);
}

static void hostile_identifiers_are_quoted(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    struct qe_queue *x = &cfg.queues[0];
    snprintf(x->schema, sizeof(x->schema), "we\"ird");
    snprintf(x->table, sizeof(x->table), "t\"; DROP TABLE users; --");
    snprintf(x->status_column, sizeof(x->status_column), "St\"ate");
    snprintf(x->pending, sizeof(x->pending), "it's");
    cfg.queues[1].enabled = 0;
    struct qe_query q;
    char err[256];
    assert_int_equal(qe_query_build(&q, &cfg, qe_db_quote_ident, conn, err, sizeof(err)), 0);
    assert_non_null(strstr(q.text, "FROM \"we\"\"ird\".\"t\"\"; DROP TABLE users; --\" WHERE "
                                   "\"St\"\"ate\" = $1"));
    assert_string_equal(q.params[0], "it's"); /* a parameter, so no quoting needed */
    assert_int_equal(q.n_columns, 8);
    assert_int_equal(q.n_params, 5);
    assert_null(strstr(q.text, "pending_pdf_processing"));
    qe_query_free(&q);
}

static void extra_statuses_and_thresholds(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    cfg.queues[0].enabled = 0;
    struct qe_queue *p = &cfg.queues[1];
    p->n_extra = 2;
    snprintf(p->extra_statuses[0], QE_NAME_MAX, "retrying");
    snprintf(p->extra_statuses[1], QE_NAME_MAX, "waiting");
    p->stuck_after_seconds = 90.5;
    struct qe_query q;
    char err[256];
    assert_int_equal(qe_query_build(&q, &cfg, qe_db_quote_ident, conn, err, sizeof(err)), 0);
    assert_int_equal(q.n_columns, 10);
    assert_int_equal(q.n_params, 7);
    const char *expect[] = {"pending", "processing", "failed", "retrying",
                            "waiting", "completed",  "90.500"};
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(q.params[i], expect[i]);
    assert_non_null(strstr(q.text, "\"status\" = $5)"));
    assert_non_null(strstr(q.text, "\"status\" = $2 AND \"updated_at\" < now() - $7::float8"));
    assert_non_null(
        strstr(q.text, "\"status\" = $6 AND \"updated_at\" >= now() - interval '1 hour'"));
    qe_query_free(&q);
}

/* The per-queue fallback: queue 2 alone, numbered from $1, and a
 * disabled queue has no query of its own. */
static void one_queue_query(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    struct qe_query q;
    char err[256];
    assert_int_equal(qe_query_build_queue(&q, &cfg, 1, qe_db_quote_ident, conn, err, sizeof(err)),
                     0);
    assert_true(strncmp(q.text, "/* queue-exporter per-queue collection, queue 2 */ SELECT", 57) ==
                0);
    assert_int_equal(q.n_columns, 8);
    assert_int_equal(q.n_params, 5);
    assert_null(strstr(q.text, "pending_transcriptions"));
    assert_non_null(strstr(q.text, "FROM \"pending_pdf_processing\" WHERE \"status\" = $2 AND "
                                   "\"updated_at\" < now() - $5::float8"));
    qe_query_free(&q);
    cfg.queues[0].enabled = 0;
    assert_int_equal(qe_query_build_queue(&q, &cfg, 0, qe_db_quote_ident, conn, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "not an enabled queue"));
    assert_int_equal(qe_query_build_queue(&q, &cfg, 99, qe_db_quote_ident, conn, err, sizeof(err)),
                     -1);
}

static char *failing_quote(void *ctx, const char *ident, char *err, size_t errsz)
{
    (void)ctx;
    snprintf(err, errsz, "cannot quote %s", ident);
    return NULL;
}

static void quoting_failure_is_reported(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    struct qe_query q;
    char err[256] = "";
    assert_int_equal(qe_query_build(&q, &cfg, failing_quote, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot quote"));
    assert_null(q.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_one_aggregate_per_status),
        cmocka_unit_test(hostile_identifiers_are_quoted),
        cmocka_unit_test(extra_statuses_and_thresholds),
        cmocka_unit_test(one_queue_query),
        cmocka_unit_test(quoting_failure_is_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
