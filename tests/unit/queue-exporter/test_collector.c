/* Single-flight collection and cache, with an injected collection function:
 * concurrent scrapes share one collection, the cache holds for its TTL,
 * failures never show stale values, a slow collection times a scrape out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "collector.h"
#include "config.h"

struct fake {
    atomic_int calls;
    atomic_int fail; /* 1: the "database" is down */
    double delay_s;
};

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int fake_collect(void *ctx, double budget_s, struct qe_queue_stats *stats, char *err,
                        size_t errsz)
{
    (void)budget_s;
    struct fake *f = ctx;
    int n = atomic_fetch_add(&f->calls, 1) + 1;
    sleep_s(f->delay_s);
    if (atomic_load(&f->fail)) {
        snprintf(err, errsz, "connection refused");
        return -1;
    }
    stats[0].depth[0] = 1000 + n; /* pending depth tells which call produced it */
    return 0;
}

static struct qe_config cfg;

static struct qe_collector *start(struct fake *f, double ttl)
{
    qe_config_defaults(&cfg);
    cfg.n_queues = 1;
    cfg.cache_ttl_seconds = ttl;
    struct qe_collector *c = qe_collector_new(&cfg, fake_collect, NULL, f, "test");
    assert_non_null(c);
    assert_int_equal(qe_collector_start(c), 0);
    return c;
}

static double pending_value(const char *body)
{
    const char *key = "supabase_queue_depth{queue=\"pending_transcriptions\",status=\"pending\"} ";
    const char *p = strstr(body, key);
    return p ? atof(p + strlen(key)) : -1;
}

struct scraper {
    struct qe_collector *c;
    double wait;
    struct qe_scrape_result res;
    double elapsed;
};

static void *scrape_thread(void *arg)
{
    struct scraper *s = arg;
    double t0 = qe_mono_now();
    qe_collector_scrape(s->c, s->wait, &s->res);
    s->elapsed = qe_mono_now() - t0;
    return NULL;
}

#define N 50

/* Runs N scrapes at once; returns how many came back up. */
static int burst(struct qe_collector *c, struct scraper *s, double wait, double expect_value)
{
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        s[i] = (struct scraper){.c = c, .wait = wait};
        assert_int_equal(pthread_create(&t[i], NULL, scrape_thread, &s[i]), 0);
    }
    int up = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        up += s[i].res.up;
        if (expect_value >= 0)
            assert_true(pending_value(s[i].res.body) == expect_value);
        free(s[i].res.body);
    }
    return up;
}

static void concurrent_scrapes_share_one_collection(void **state)
{
    (void)state;
    struct fake f = {.delay_s = 0.3};
    struct qe_collector *c = start(&f, 0.5);
    static struct scraper s[N];
    /* All join the first collection, started with the collector. */
    assert_int_equal(burst(c, s, 5, 1001), N);
    assert_int_equal(atomic_load(&f.calls), 1);
    /* After the TTL, another burst: again one collection for all. */
    sleep_s(0.6);
    assert_int_equal(burst(c, s, 5, 1002), N);
    assert_int_equal(atomic_load(&f.calls), 2);
    assert_int_equal(qe_collector_collections(c), 2);
    qe_collector_free(c);
}

static void cache_holds_for_ttl(void **state)
{
    (void)state;
    struct fake f = {.delay_s = 0};
    struct qe_collector *c = start(&f, 0.4);
    struct qe_scrape_result r;
    double t0 = qe_mono_now();
    int scrapes = 0;
    while (qe_mono_now() - t0 < 0.25) {
        assert_int_equal(qe_collector_scrape(c, 2, &r), 0);
        assert_true(r.up);
        assert_true(pending_value(r.body) == 1001);
        assert_non_null(strstr(r.body, "Cached for up to 0.4 s"));
        free(r.body);
        scrapes++;
    }
    assert_true(scrapes > 10);
    assert_int_equal(atomic_load(&f.calls), 1);
    sleep_s(0.3); /* past the TTL */
    assert_int_equal(qe_collector_scrape(c, 2, &r), 0);
    assert_true(pending_value(r.body) == 1002);
    free(r.body);
    assert_int_equal(atomic_load(&f.calls), 2);
    qe_collector_free(c);
}

static void failure_shows_no_stale_values_and_recovers(void **state)
{
    (void)state;
    struct fake f = {.delay_s = 0};
    struct qe_collector *c = start(&f, 0.3);
    struct qe_scrape_result r;
    assert_int_equal(qe_collector_scrape(c, 2, &r), 0);
    assert_true(r.up && pending_value(r.body) == 1001);
    free(r.body);

    atomic_store(&f.fail, 1);
    sleep_s(0.35);
    assert_int_equal(qe_collector_scrape(c, 2, &r), 0);
    assert_false(r.up);
    assert_string_equal(r.error, "connection refused");
    assert_null(strstr(r.body, "\nsupabase_"));
    assert_true(strncmp(r.body, "supabase_", 9) != 0 &&
                strncmp(r.body, "# HELP supabase_", 16) != 0);
    assert_non_null(strstr(r.body, "\nqueue_exporter_up 0\n"));
    assert_non_null(strstr(r.body, "\nqueue_exporter_collect_errors_total 1\n"));
    free(r.body);
    /* The failure is cached too: a down database is not hammered. */
    int calls = atomic_load(&f.calls);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(qe_collector_scrape(c, 2, &r), 0);
        assert_false(r.up);
        free(r.body);
    }
    assert_int_equal(atomic_load(&f.calls), calls);

    atomic_store(&f.fail, 0);
    sleep_s(0.35);
    assert_int_equal(qe_collector_scrape(c, 2, &r), 0);
    assert_true(r.up);
    assert_true(pending_value(r.body) == calls + 1 + 1000);
    assert_non_null(strstr(r.body, "\nqueue_exporter_up 1\n"));
    free(r.body);
    qe_collector_free(c);
}

static void slow_collection_times_the_scrape_out(void **state)
{
    (void)state;
    struct fake f = {.delay_s = 0.8};
    struct qe_collector *c = start(&f, 10);
    struct qe_scrape_result r;
    double t0 = qe_mono_now();
    assert_int_equal(qe_collector_scrape(c, 0.2, &r), 0);
    double elapsed = qe_mono_now() - t0;
    assert_true(elapsed >= 0.19 && elapsed < 0.6);
    assert_false(r.up);
    assert_string_equal(r.error, "the collection did not finish within the scrape timeout");
    assert_null(strstr(r.body, "\nsupabase_"));
    assert_non_null(strstr(r.body, "\nqueue_exporter_up 0\n"));
    assert_non_null(strstr(r.body, "\nqueue_exporter_scrape_timeouts_total 1\n"));
    free(r.body);
    /* The collection carries on; a patient scrape gets it. */
    assert_int_equal(qe_collector_scrape(c, 3, &r), 0);
    assert_true(r.up && pending_value(r.body) == 1001);
    assert_non_null(strstr(r.body, "\nqueue_exporter_scrape_timeouts_total 1\n"));
    free(r.body);
    assert_int_equal(atomic_load(&f.calls), 1);
    qe_collector_free(c);
}

static void stop_releases_waiting_scrapes(void **state)
{
    (void)state;
    struct fake f = {.delay_s = 1.0};
    struct qe_collector *c = start(&f, 10);
    struct scraper s = {.c = c, .wait = 30};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, scrape_thread, &s), 0);
    sleep_s(0.1);
    qe_collector_stop(c); /* returns once the running collection ends */
    pthread_join(t, NULL);
    assert_true(s.elapsed < 0.5); /* released at once, not after 30 s */
    assert_false(s.res.up);
    assert_string_equal(s.res.error, "shutting down");
    free(s.res.body);
    qe_collector_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_scrapes_share_one_collection),
        cmocka_unit_test(cache_holds_for_ttl),
        cmocka_unit_test(failure_shows_no_stale_values_and_recovers),
        cmocka_unit_test(slow_collection_times_the_scrape_out),
        cmocka_unit_test(stop_releases_waiting_scrapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
