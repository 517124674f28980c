/* Exposition of the queue metrics: exact text, label escaping, every
 * configured status present at 0, and no queue value when there is no fresh
 * collection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "metrics.h"

static struct qe_config cfg;

static void one_queue_config(const char *name)
{
    qe_config_defaults(&cfg);
    cfg.n_queues = 1;
    snprintf(cfg.queues[0].name, sizeof(cfg.queues[0].name), "%s", name);
}

static const struct qe_self_stats self_ok = {
    .up = 1,
    .collect_duration_seconds = 0.25,
    .last_success_unix = 1795000000,
    .collections_total = 7,
    .collect_errors_total = 2,
    .db_connects_total = 1,
    .scrape_timeouts_total = 3,
};

static void renders_exact_exposition(void **state)
{
    (void)state;
    one_queue_config("jobs");
    cfg.cache_ttl_seconds = 5;
    struct qe_queue_stats st = {.depth = {42, 5, 15},
                                .stuck = 2,
                                .oldest_pending_age = 1500.5,
                                .oldest_processing_age = 0,
                                .failed_24h = 7,
                                .completed_1h = 19};
    struct prom_buf b;
    prom_buf_init(&b);
    qe_render(&b, &cfg, &st, &self_ok, "1.2.3");
    assert_false(sb_failed(&b.sb));
    const char *expected =
        "# HELP supabase_queue_depth Jobs per active status in the queue table (every configured "
        "status, 0 when none). Cached for up to 5 s after each database read.\n"
        "# TYPE supabase_queue_depth gauge\n"
        "supabase_queue_depth{queue=\"jobs\",status=\"pending\"} 42\n"
        "supabase_queue_depth{queue=\"jobs\",status=\"processing\"} 5\n"
        "supabase_queue_depth{queue=\"jobs\",status=\"failed\"} 15\n"
        "# HELP supabase_queue_stuck_jobs Jobs in the processing status whose updated_at is older "
        "than the stuck threshold (default 2100 s). Cached for up to 5 s after each database "
        "read.\n"
        "# TYPE supabase_queue_stuck_jobs gauge\n"
        "supabase_queue_stuck_jobs{queue=\"jobs\"} 2\n"
        "# HELP supabase_queue_oldest_age_seconds Age of the oldest job: pending since "
        "created_at, processing since updated_at; 0 when the status has no jobs. Cached for up "
        "to 5 s after each database read.\n"
        "# TYPE supabase_queue_oldest_age_seconds gauge\n"
        "supabase_queue_oldest_age_seconds{queue=\"jobs\",status=\"pending\"} 1500.5\n"
        "supabase_queue_oldest_age_seconds{queue=\"jobs\",status=\"processing\"} 0\n"
        "# HELP supabase_queue_failed_last_24h Jobs in the failed status whose updated_at is "
        "within the last 24 hours. Cached for up to 5 s after each database read.\n"
        "# TYPE supabase_queue_failed_last_24h gauge\n"
        "supabase_queue_failed_last_24h{queue=\"jobs\"} 7\n"
        "# HELP supabase_queue_completed_last_hour Jobs in the completed status whose updated_at "
        "is within the last hour. Cached for up to 5 s after each database read.\n"
        "# TYPE supabase_queue_completed_last_hour gauge\n"
        "supabase_queue_completed_last_hour{queue=\"jobs\"} 19\n"
        "# HELP queue_exporter_queue_up 1 when the last collection read this queue's table; 0 "
        "when that query failed (missing table or column, permission denied...; the log says "
        "why): its supabase_queue_* samples are then absent, the other queues keep theirs.\n"
        "# TYPE queue_exporter_queue_up gauge\n"
        "queue_exporter_queue_up{queue=\"jobs\"} 1\n"
        "# HELP queue_exporter_up 1 when the last collection read every queue from the database; "
        "0 when it failed or did not finish within the scrape timeout (supabase_queue_* are then "
        "absent), or when some queue could not be read (queue_exporter_queue_up names it).\n"
        "# TYPE queue_exporter_up gauge\n"
        "queue_exporter_up 1\n"
        "# HELP queue_exporter_collect_duration_seconds Wall-clock duration of the last "
        "collection, connection included.\n"
        "# TYPE queue_exporter_collect_duration_seconds gauge\n"
        "queue_exporter_collect_duration_seconds 0.25\n"
        "# HELP queue_exporter_last_success_timestamp_seconds Unix time of the last successful "
        "collection; 0 before the first one.\n"
        "# TYPE queue_exporter_last_success_timestamp_seconds gauge\n"
        "queue_exporter_last_success_timestamp_seconds 1795000000\n"
        "# HELP queue_exporter_collections_total Collections run; concurrent scrapes share one.\n"
        "# TYPE queue_exporter_collections_total counter\n"
        "queue_exporter_collections_total 7\n"
        "# HELP queue_exporter_collect_errors_total Collections that failed (database "
        "unreachable, query error, timeout).\n"
        "# TYPE queue_exporter_collect_errors_total counter\n"
        "queue_exporter_collect_errors_total 2\n"
        "# HELP queue_exporter_db_connects_total Successful database connections opened (one "
        "persistent connection, reopened after failures).\n"
        "# TYPE queue_exporter_db_connects_total counter\n"
        "queue_exporter_db_connects_total 1\n"
        "# HELP queue_exporter_cache_ttl_seconds How long collected values are served before the "
        "database is read again.\n"
        "# TYPE queue_exporter_cache_ttl_seconds gauge\n"
        "queue_exporter_cache_ttl_seconds 5\n"
        "# HELP queue_exporter_build_info Build information; the value is always 1.\n"
        "# TYPE queue_exporter_build_info gauge\n"
        "queue_exporter_build_info{version=\"1.2.3\"} 1\n"
        "# HELP queue_exporter_scrape_timeouts_total Scrapes answered without queue values "
        "because the collection did not finish within the scrape timeout.\n"
        "# TYPE queue_exporter_scrape_timeouts_total counter\n"
        "queue_exporter_scrape_timeouts_total 3\n";
    assert_string_equal(b.sb.data, expected);
    prom_buf_free(&b);
}

static void label_values_are_escaped(void **state)
{
    (void)state;
    /* Names from a config file cannot hold a newline, but the writer must
     * escape whatever it is given. */
    one_queue_config("we\\ird \"q\"\nx");
    snprintf(cfg.queues[0].pending, sizeof(cfg.queues[0].pending), "new\"line\n");
    struct qe_queue_stats st = {.depth = {1, 2, 3}};
    struct prom_buf b;
    prom_buf_init(&b);
    qe_render(&b, &cfg, &st, &self_ok, "v\"1");
    assert_non_null(strstr(b.sb.data, "supabase_queue_depth{queue=\"we\\\\ird \\\"q\\\"\\nx\","
                                      "status=\"new\\\"line\\n\"} 1\n"));
    assert_non_null(
        strstr(b.sb.data, "supabase_queue_stuck_jobs{queue=\"we\\\\ird \\\"q\\\"\\nx\"} 0\n"));
    assert_non_null(strstr(b.sb.data, "queue_exporter_build_info{version=\"v\\\"1\"} 1\n"));
    /* No raw newline inside any sample line: every line starts with a name or #. */
    for (const char *line = b.sb.data; *line; line = strchr(line, '\n') + 1)
        assert_true(line[0] == '#' || strncmp(line, "supabase_", 9) == 0 ||
                    strncmp(line, "queue_exporter_", 15) == 0);
    prom_buf_free(&b);
}

static void every_status_present_even_at_zero(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    cfg.queues[1].enabled = 0;
    cfg.queues[0].n_extra = 2;
    snprintf(cfg.queues[0].extra_statuses[0], QE_NAME_MAX, "retrying");
    snprintf(cfg.queues[0].extra_statuses[1], QE_NAME_MAX, "waiting");
    struct qe_queue_stats st[2];
    memset(st, 0, sizeof(st));
    struct prom_buf b;
    prom_buf_init(&b);
    qe_render(&b, &cfg, st, &self_ok, "x");
    const char *statuses[] = {"pending", "processing", "failed", "retrying", "waiting"};
    for (size_t i = 0; i < 5; i++) {
        char line[160];
        snprintf(line, sizeof(line),
                 "supabase_queue_depth{queue=\"pending_transcriptions\",status=\"%s\"} 0\n",
                 statuses[i]);
        assert_non_null(strstr(b.sb.data, line));
    }
    assert_null(strstr(b.sb.data, "status=\"completed\""));   /* history is not a depth */
    assert_null(strstr(b.sb.data, "pending_pdf_processing")); /* disabled */
    prom_buf_free(&b);
}

static void no_queue_values_without_fresh_collection(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    struct qe_self_stats down = self_ok;
    down.up = 0;
    struct prom_buf b;
    prom_buf_init(&b);
    qe_render(&b, &cfg, NULL, &down, "x");
    /* No sample and no family: the HELP of queue_exporter_up may name them. */
    assert_null(strstr(b.sb.data, "\nsupabase_"));
    assert_null(strstr(b.sb.data, "# TYPE supabase_"));
    assert_true(strncmp(b.sb.data, "supabase_", 9) != 0);
    assert_non_null(strstr(b.sb.data, "\nqueue_exporter_up 0\n"));
    assert_non_null(
        strstr(b.sb.data, "\nqueue_exporter_last_success_timestamp_seconds 1795000000\n"));
    prom_buf_free(&b);
}

/* Item 10 of issue 14: one queue that could not be read costs only its own
 * samples; queue_exporter_queue_up says which. */
static void a_failed_queue_costs_only_its_own_values(void **state)
{
    (void)state;
    qe_config_defaults(&cfg); /* pending_transcriptions, pending_pdf_processing */
    struct qe_queue_stats st[2];
    memset(st, 0, sizeof(st));
    st[0].depth[0] = 11;
    st[1].depth[0] = 22;
    st[1].failed = 1;
    struct qe_self_stats partial = self_ok;
    partial.up = 0;
    struct prom_buf b;
    prom_buf_init(&b);
    qe_render(&b, &cfg, st, &partial, "x");
    assert_non_null(
        strstr(b.sb.data,
               "\nsupabase_queue_depth{queue=\"pending_transcriptions\",status=\"pending\"} 11\n"));
    assert_null(strstr(b.sb.data, "{queue=\"pending_pdf_processing\",status"));
    assert_null(strstr(b.sb.data, "\nsupabase_queue_stuck_jobs{queue=\"pending_pdf_processing\"}"));
    assert_non_null(
        strstr(b.sb.data, "\nqueue_exporter_queue_up{queue=\"pending_transcriptions\"} 1\n"));
    assert_non_null(
        strstr(b.sb.data, "\nqueue_exporter_queue_up{queue=\"pending_pdf_processing\"} 0\n"));
    assert_non_null(strstr(b.sb.data, "\nqueue_exporter_up 0\n"));
    /* 5 supabase_* families x 1 queue: 3 depth + 1 + 2 ages + 1 + 1 samples */
    int samples = 0;
    for (const char *p = b.sb.data; (p = strstr(p, "\nsupabase_")) != NULL; p++)
        samples++;
    assert_int_equal(samples, 8);
    prom_buf_free(&b);
}

static void help_states_the_cache_ttl(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    cfg.cache_ttl_seconds = 12.5;
    struct qe_queue_stats st[2];
    memset(st, 0, sizeof(st));
    struct prom_buf b;
    prom_buf_init(&b);
    qe_render(&b, &cfg, st, &self_ok, "x");
    int helps = 0;
    for (const char *p = b.sb.data; (p = strstr(p, "# HELP supabase_")) != NULL; p++) {
        const char *eol = strchr(p, '\n');
        const char *ttl = strstr(p, "Cached for up to 12.5 s");
        assert_true(ttl != NULL && ttl < eol);
        helps++;
    }
    assert_int_equal(helps, 5);
    assert_non_null(strstr(b.sb.data, "\nqueue_exporter_cache_ttl_seconds 12.5\n"));
    prom_buf_free(&b);
}

static void numbers_use_the_shortest_exact_form(void **state)
{
    (void)state;
    struct prom_buf b;
    prom_buf_init(&b);
    const double values[] = {0.1, 1501.308995, 0.021682125, 1e-9, 2e20, 1795725522.8966682, 42};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        prom_sample(&b, "x", NULL, 0, values[i]);
    assert_string_equal(b.sb.data, "x 0.1\n"
                                   "x 1501.308995\n"
                                   "x 0.021682125\n"
                                   "x 1e-09\n"
                                   "x 2e+20\n"
                                   "x 1795725522.8966682\n"
                                   "x 42\n");
    prom_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(renders_exact_exposition),
        cmocka_unit_test(label_values_are_escaped),
        cmocka_unit_test(every_status_present_even_at_zero),
        cmocka_unit_test(no_queue_values_without_fresh_collection),
        cmocka_unit_test(a_failed_queue_costs_only_its_own_values),
        cmocka_unit_test(help_states_the_cache_ttl),
        cmocka_unit_test(numbers_use_the_shortest_exact_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
