/* Single-flight collection and cache, with an injected collection function:
 * concurrent scrapes share one collection, the cache holds for its TTL,
 * failures never show stale values, a slow collection times a scrape out,
 * answers share one rendering.
 *
 * Nothing here depends on the machine's speed: the cache ages on a fake
 * clock that only the test moves, and a "slow" collection is one held at a
 * gate until the test opens it, not one that sleeps. */
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

/* A scrape's whole text in r->body (shared part, then the per-scrape
 * part), as a client receives it; the shared page is released. */
static int scrape_text(struct qe_collector *c, double wait_s, struct qe_scrape_result *r)
{
    int rc = qe_collector_scrape(c, wait_s, r);
    if (rc != 0 || !r->shared)
        return rc;
    char *all = malloc(r->shared_len + r->len + 1);
    assert_non_null(all);
    memcpy(all, r->shared, r->shared_len);
    memcpy(all + r->shared_len, r->body, r->len);
    all[r->shared_len + r->len] = '\0';
    free(r->body);
    qe_page_release(r->page);
    r->body = all;
    r->len += r->shared_len;
    r->shared = NULL;
    r->page = NULL;
    return 0;
}

/* The cache's clock: it moves only when a test says so. */
static _Atomic double fake_now = 1000.0;
static double fake_clock(void)
{
    return atomic_load(&fake_now);
}
static void advance(double s)
{
    atomic_store(&fake_now, atomic_load(&fake_now) + s);
}

struct fake {
    atomic_int calls;
    atomic_int fail;   /* 1: the "database" is down */
    atomic_int gated;  /* 1: collections wait for the gate to open */
    atomic_int inside; /* collections currently held at the gate */
    pthread_mutex_t mu;
    pthread_cond_t open_cv;
    int open;
};

static void fake_init(struct fake *f, int gated)
{
    memset(f, 0, sizeof(*f));
    atomic_store(&f->gated, gated);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->open_cv, NULL);
}

static void gate_open(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    f->open = 1;
    pthread_cond_broadcast(&f->open_cv);
    pthread_mutex_unlock(&f->mu);
}

static void fake_destroy(struct fake *f)
{
    pthread_cond_destroy(&f->open_cv);
    pthread_mutex_destroy(&f->mu);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Polls cond until it holds; bounded (60 s) so a bug fails, never hangs. */
static int wait_for(int (*cond)(void *), void *arg)
{
    for (int i = 0; i < 60000; i++) {
        if (cond(arg))
            return 1;
        sleep_s(0.001);
    }
    return 0;
}

static int fake_collect(void *ctx, double budget_s, struct qe_queue_stats *stats, char *err,
                        size_t errsz)
{
    (void)budget_s;
    struct fake *f = ctx;
    int n = atomic_fetch_add(&f->calls, 1) + 1;
    if (atomic_load(&f->gated)) {
        atomic_fetch_add(&f->inside, 1);
        pthread_mutex_lock(&f->mu);
        while (!f->open)
            pthread_cond_wait(&f->open_cv, &f->mu);
        pthread_mutex_unlock(&f->mu);
        atomic_fetch_sub(&f->inside, 1);
    }
    if (atomic_load(&f->fail)) {
        snprintf(err, errsz, "connection refused");
        return -1;
    }
    stats[0].depth[0] = 1000 + n; /* pending depth tells which call produced it */
    return 0;
}

static int held_at_gate(void *arg)
{
    return atomic_load(&((struct fake *)arg)->inside) == 1;
}

static struct qe_config cfg;

static struct qe_collector *start(struct fake *f, double ttl)
{
    qe_config_defaults(&cfg);
    cfg.n_queues = 1;
    cfg.cache_ttl_seconds = ttl;
    struct qe_collector *c = qe_collector_new(&cfg, fake_collect, NULL, f, "test");
    assert_non_null(c);
    qe_collector_set_clock(c, fake_clock);
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
    atomic_int *entered;
    atomic_int done;
    struct qe_scrape_result res;
};

static void *scrape_thread(void *arg)
{
    struct scraper *s = arg;
    if (s->entered)
        atomic_fetch_add(s->entered, 1);
    scrape_text(s->c, s->wait, &s->res);
    atomic_store(&s->done, 1);
    return NULL;
}

#define N 50

static int all_entered(void *arg)
{
    return atomic_load((atomic_int *)arg) == N;
}

/* Runs N scrapes at once while the collection is held at the gate, opens
 * it once all N have started, and returns how many came back up. */
static int burst(struct qe_collector *c, struct fake *f, struct scraper *s, double expect_value)
{
    pthread_t t[N];
    atomic_int entered = 0;
    for (int i = 0; i < N; i++) {
        s[i] = (struct scraper){.c = c, .wait = 600, .entered = &entered};
        assert_int_equal(pthread_create(&t[i], NULL, scrape_thread, &s[i]), 0);
    }
    assert_true(wait_for(all_entered, &entered));
    gate_open(f);
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
    struct fake f;
    fake_init(&f, 1);
    struct qe_collector *c = start(&f, 5);
    static struct scraper s[N];
    /* All join the first collection, started with the collector. */
    assert_true(wait_for(held_at_gate, &f));
    assert_int_equal(burst(c, &f, s, 1001), N);
    assert_int_equal(atomic_load(&f.calls), 1);
    /* After the TTL, another burst: again one collection for all. */
    advance(5.01);
    pthread_mutex_lock(&f.mu);
    f.open = 0;
    pthread_mutex_unlock(&f.mu);
    assert_int_equal(burst(c, &f, s, 1002), N);
    assert_int_equal(atomic_load(&f.calls), 2);
    assert_int_equal(qe_collector_collections(c), 2);
    qe_collector_free(c);
    fake_destroy(&f);
}

static void scrape_up(struct qe_collector *c, double expect_value)
{
    struct qe_scrape_result r;
    assert_int_equal(scrape_text(c, 600, &r), 0);
    assert_true(r.up);
    assert_true(pending_value(r.body) == expect_value);
    free(r.body);
}

static void cache_holds_for_ttl(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f, 0);
    struct qe_collector *c = start(&f, 0.4);
    struct qe_scrape_result r;
    scrape_up(c, 1001); /* waits for the first collection */
    for (int i = 0; i < 20; i++) {
        assert_int_equal(scrape_text(c, 2, &r), 0);
        assert_true(r.up);
        assert_true(pending_value(r.body) == 1001);
        assert_non_null(strstr(r.body, "Cached for up to 0.4 s"));
        free(r.body);
        advance(0.019); /* 20 x 0.019 = 0.38 s: still inside the TTL */
    }
    assert_int_equal(atomic_load(&f.calls), 1);
    advance(0.03); /* past the TTL */
    scrape_up(c, 1002);
    assert_int_equal(atomic_load(&f.calls), 2);
    qe_collector_free(c);
    fake_destroy(&f);
}

static void failure_shows_no_stale_values_and_recovers(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f, 0);
    struct qe_collector *c = start(&f, 0.3);
    struct qe_scrape_result r;
    scrape_up(c, 1001);

    atomic_store(&f.fail, 1);
    advance(0.35);
    assert_int_equal(scrape_text(c, 600, &r), 0);
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
        assert_int_equal(scrape_text(c, 2, &r), 0);
        assert_false(r.up);
        free(r.body);
    }
    assert_int_equal(atomic_load(&f.calls), calls);

    atomic_store(&f.fail, 0);
    advance(0.35);
    assert_int_equal(scrape_text(c, 600, &r), 0);
    assert_true(r.up);
    assert_true(pending_value(r.body) == calls + 1 + 1000);
    assert_non_null(strstr(r.body, "\nqueue_exporter_up 1\n"));
    free(r.body);
    qe_collector_free(c);
    fake_destroy(&f);
}

static void slow_collection_times_the_scrape_out(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f, 1);
    struct qe_collector *c = start(&f, 10);
    struct qe_scrape_result r;
    assert_true(wait_for(held_at_gate, &f));
    double t0 = qe_mono_now();
    assert_int_equal(scrape_text(c, 0.2, &r), 0);
    /* It gave up by itself: the collection is still held at the gate. */
    assert_int_equal(atomic_load(&f.inside), 1);
    assert_true(qe_mono_now() - t0 >= 0.19); /* and not before its timeout */
    assert_false(r.up);
    assert_string_equal(r.error, "the collection did not finish within the scrape timeout");
    assert_null(strstr(r.body, "\nsupabase_"));
    assert_non_null(strstr(r.body, "\nqueue_exporter_up 0\n"));
    assert_non_null(strstr(r.body, "\nqueue_exporter_scrape_timeouts_total 1\n"));
    free(r.body);
    /* The collection carries on; a patient scrape gets it. */
    struct scraper s = {.c = c, .wait = 600};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, scrape_thread, &s), 0);
    gate_open(&f);
    pthread_join(t, NULL);
    assert_true(s.res.up && pending_value(s.res.body) == 1001);
    assert_non_null(strstr(s.res.body, "\nqueue_exporter_scrape_timeouts_total 1\n"));
    free(s.res.body);
    assert_int_equal(atomic_load(&f.calls), 1);
    qe_collector_free(c);
    fake_destroy(&f);
}

struct stopper {
    struct qe_collector *c;
    atomic_int done;
};

static void *stop_thread(void *arg)
{
    struct stopper *st = arg;
    qe_collector_stop(st->c); /* returns once the running collection ends */
    atomic_store(&st->done, 1);
    return NULL;
}

static int scraper_done(void *arg)
{
    return atomic_load(&((struct scraper *)arg)->done);
}

static void stop_releases_waiting_scrapes(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f, 1);
    struct qe_collector *c = start(&f, 10);
    assert_true(wait_for(held_at_gate, &f));
    struct scraper s = {.c = c, .wait = 600};
    pthread_t t, ts;
    assert_int_equal(pthread_create(&t, NULL, scrape_thread, &s), 0);
    struct stopper st = {.c = c};
    assert_int_equal(pthread_create(&ts, NULL, stop_thread, &st), 0);
    /* Released while the collection is still held: not after it, and not
     * after its 600 s wait. */
    assert_true(wait_for(scraper_done, &s));
    assert_int_equal(atomic_load(&f.inside), 1);
    assert_int_equal(atomic_load(&st.done), 0);
    pthread_join(t, NULL);
    assert_false(s.res.up);
    assert_string_equal(s.res.error, "shutting down");
    free(s.res.body);
    gate_open(&f);
    pthread_join(ts, NULL);
    qe_collector_free(c);
    fake_destroy(&f);
}

/* Answers from one collection share its rendering instead of copying it;
 * a newer collection replaces it, and an answer still holding the old one
 * keeps it intact until it lets go (ASan would see a use after free or a
 * leak). */
static void answers_share_one_rendering(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f, 0);
    struct qe_collector *c = start(&f, 10);
    struct qe_scrape_result a, b, n;
    assert_int_equal(qe_collector_scrape(c, 600, &a), 0);
    assert_int_equal(qe_collector_scrape(c, 600, &b), 0);
    assert_non_null(a.shared);
    assert_ptr_equal(a.shared, b.shared);
    assert_ptr_equal(a.page, b.page);
    assert_true(pending_value(a.shared) == 1001);
    /* The per-scrape part is each answer's own. */
    assert_ptr_not_equal(a.body, b.body);
    assert_non_null(strstr(a.body, "queue_exporter_scrape_timeouts_total 0\n"));
    char *before = malloc(a.shared_len + 1);
    assert_non_null(before);
    memcpy(before, a.shared, a.shared_len);
    before[a.shared_len] = '\0';
    qe_page_release(b.page);
    free(b.body);
    advance(11); /* past the TTL: a new collection, a new page */
    assert_int_equal(qe_collector_scrape(c, 600, &n), 0);
    assert_ptr_not_equal(n.page, a.page);
    assert_true(pending_value(n.shared) == 1002);
    assert_int_equal(a.shared_len, strlen(before));
    assert_memory_equal(a.shared, before, a.shared_len);
    qe_page_release(a.page);
    free(a.body);
    qe_page_release(n.page);
    free(n.body);
    free(before);
    qe_collector_free(c);
    fake_destroy(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_scrapes_share_one_collection),
        cmocka_unit_test(cache_holds_for_ttl),
        cmocka_unit_test(failure_shows_no_stale_values_and_recovers),
        cmocka_unit_test(slow_collection_times_the_scrape_out),
        cmocka_unit_test(stop_releases_waiting_scrapes),
        cmocka_unit_test(answers_share_one_rendering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
