/* The exporter's database side without a database: the collection row
 * read into the queue figures (a PGresult built in memory), a DSN typo
 * refused at startup, a refused connection reported, and a collection
 * stuck on a server that never answers abandoned on request. Collecting
 * from a real PostgreSQL is tests/integration/test_queue_exporter.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "peer.h"
#include "sql.h"

/* A one-row result of n text columns; NULL values stay SQL NULL. */
static PGresult *row(size_t n, const char *const *values, int nrows)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc att[64];
    char names[64][24];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "c%zu", i);
        att[i] = (PGresAttDesc){.name = names[i], .format = 0, .typid = 25, .typlen = -1};
    }
    assert_int_equal(PQsetResultAttrs(res, (int)n, att), 1);
    for (int r = 0; r < nrows; r++)
        for (size_t i = 0; i < n; i++)
            assert_int_equal(PQsetvalue(res, r, (int)i, (char *)values[i],
                                        values[i] ? (int)strlen(values[i]) : -1),
                             1);
    return res;
}

static size_t columns(const struct qe_config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_queues; i++)
        if (cfg->queues[i].enabled)
            n += qe_query_queue_columns(&cfg->queues[i]);
    return n;
}

static void the_row_becomes_each_queues_figures(void **state)
{
    (void)state;
    struct qe_config cfg;
    qe_config_defaults(&cfg);
    assert_true(cfg.n_queues >= 2);
    size_t n = columns(&cfg);
    size_t nd0 = qe_queue_depth_count(&cfg.queues[0]);
    const char *v[64];
    char buf[64][16];
    for (size_t i = 0; i < n; i++) {
        snprintf(buf[i], sizeof(buf[i]), "%zu", 10 * (i + 1));
        v[i] = buf[i];
    }
    v[1] = NULL;    /* a NULL count (no row of that status) is 0 */
    v[nd0] = "2.5"; /* stuck */
    PGresult *res = row(n, v, 1);
    struct qe_queue_stats stats[QE_MAX_QUEUES];
    char err[256] = "";
    assert_int_equal(qe_db_parse_result(&cfg, n, res, stats, err, sizeof(err)), 0);
    assert_true(stats[0].depth[0] == 10);
    assert_true(stats[0].depth[1] == 0);
    assert_true(stats[0].stuck == 2.5);
    assert_true(stats[0].oldest_pending_age == 10.0 * (double)(nd0 + 2));
    assert_true(stats[0].completed_1h == 10.0 * (double)(nd0 + 5));
    /* The second queue starts where the first one's columns end. */
    size_t first1 = qe_query_queue_columns(&cfg.queues[0]);
    assert_true(stats[1].depth[0] == 10.0 * (double)(first1 + 1));
    PQclear(res);
}

static void a_disabled_queue_has_no_columns_and_zero_figures(void **state)
{
    (void)state;
    struct qe_config cfg;
    qe_config_defaults(&cfg);
    cfg.queues[0].enabled = 0;
    size_t n = columns(&cfg);
    assert_int_equal(n, qe_query_queue_columns(&cfg.queues[1]));
    const char *v[64];
    for (size_t i = 0; i < n; i++)
        v[i] = "7";
    PGresult *res = row(n, v, 1);
    struct qe_queue_stats stats[QE_MAX_QUEUES];
    memset(stats, 0xff, sizeof(stats));
    char err[256];
    assert_int_equal(qe_db_parse_result(&cfg, n, res, stats, err, sizeof(err)), 0);
    assert_true(stats[0].depth[0] == 0 && stats[0].stuck == 0 && stats[0].completed_1h == 0);
    assert_true(stats[1].depth[0] == 7 && stats[1].completed_1h == 7);
    PQclear(res);
}

static void a_wrong_shape_or_a_non_number_is_an_error_naming_it(void **state)
{
    (void)state;
    struct qe_config cfg;
    qe_config_defaults(&cfg);
    size_t n = columns(&cfg);
    const char *v[64];
    for (size_t i = 0; i < n; i++)
        v[i] = "1";
    struct qe_queue_stats stats[QE_MAX_QUEUES];
    char err[256], want[128];

    PGresult *res = row(n, v, 2);
    assert_int_equal(qe_db_parse_result(&cfg, n, res, stats, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "unexpected result shape: 2 rows, %zu columns (expected 1, %zu)",
             n, n);
    assert_string_equal(err, want);
    PQclear(res);

    res = row(n - 1, v, 1);
    assert_int_equal(qe_db_parse_result(&cfg, n, res, stats, err, sizeof(err)), -1);
    PQclear(res);

    const char *bad[] = {"abc", "12x", "inf", "NaN", ""};
    for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
        v[2] = bad[b];
        res = row(n, v, 1);
        assert_int_equal(qe_db_parse_result(&cfg, n, res, stats, err, sizeof(err)), -1);
        snprintf(want, sizeof(want), "queue %s: column 3 is not a number", cfg.queues[0].name);
        assert_string_equal(err, want);
        PQclear(res);
    }
}

static void a_malformed_dsn_fails_at_startup(void **state)
{
    (void)state;
    struct qe_config cfg;
    qe_config_defaults(&cfg);
    char err[256] = "";
    assert_null(qe_db_new(&cfg, "host=127.0.0.1 port", err, sizeof(err)));
    assert_non_null(strstr(err, "QUEUE_EXPORTER_DSN"));
    /* The password of a DSN never appears in the message. */
    assert_null(qe_db_new(&cfg, "password=hunter2-unit 'unterminated", err, sizeof(err)));
    assert_null(strstr(err, "hunter2"));
}

static void a_refused_connection_is_reported_and_not_counted(void **state)
{
    (void)state;
    int hold;
    int port = refused_port(&hold);
    char dsn[160];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=postgres user=qe sslmode=disable",
             port);
    struct qe_config cfg;
    qe_config_defaults(&cfg);
    char err[256] = "";
    struct qe_db *db = qe_db_new(&cfg, dsn, err, sizeof(err));
    assert_non_null(db);
    struct qe_queue_stats stats[QE_MAX_QUEUES];
    assert_int_equal(qe_db_collect(db, 60, stats, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot connect to the database: "));
    assert_non_null(strstr(err, "refused"));
    assert_int_equal(qe_db_connects(db), 0);
    qe_db_free(db);
    close(hold);
}

struct stopper {
    struct qe_db *db;
    struct peer *p;
};

/* Asks the collection to stop once the silent server has accepted it. */
static void *stop_when_connected(void *arg)
{
    struct stopper *s = arg;
    for (int i = 0; i < 60000 && !__atomic_load_n(&s->p->accepted, __ATOMIC_SEQ_CST); i++)
        usleep(1000);
    qe_db_request_stop(s->db);
    return NULL;
}

static void a_stop_request_abandons_a_collection_stuck_on_a_silent_server(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_SILENT, "");
    char dsn[160];
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=postgres user=qe sslmode=disable",
             p.port);
    struct qe_config cfg;
    qe_config_defaults(&cfg);
    char err[256] = "";
    struct qe_db *db = qe_db_new(&cfg, dsn, err, sizeof(err));
    assert_non_null(db);
    struct stopper s = {db, &p};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stop_when_connected, &s), 0);
    /* A 120 s budget: returning well before it proves the stop request
     * (its contract is 200 ms; the bound here is far beyond that). */
    double t0 = qe_mono_now();
    struct qe_queue_stats stats[QE_MAX_QUEUES];
    assert_int_equal(qe_db_collect(db, 120, stats, err, sizeof(err)), -1);
    assert_true(qe_mono_now() - t0 < 60);
    pthread_join(t, NULL);
    assert_non_null(strstr(err, "cannot connect to the database: abandoned: the program is "
                                "stopping"));
    /* Every later collection fails at once. */
    assert_int_equal(qe_db_collect(db, 120, stats, err, sizeof(err)), -1);
    qe_db_free(db);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_row_becomes_each_queues_figures),
        cmocka_unit_test(a_disabled_queue_has_no_columns_and_zero_figures),
        cmocka_unit_test(a_wrong_shape_or_a_non_number_is_an_error_naming_it),
        cmocka_unit_test(a_malformed_dsn_fails_at_startup),
        cmocka_unit_test(a_refused_connection_is_reported_and_not_counted),
        cmocka_unit_test(a_stop_request_abandons_a_collection_stuck_on_a_silent_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
