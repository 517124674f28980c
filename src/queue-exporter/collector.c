#include "collector.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"

#define BUDGET_MARGIN_S 0.2
#define MIN_BUDGET_S 0.1

struct qe_page {
    atomic_uint refs;
    size_t len;
    char text[];
};

void qe_page_release(struct qe_page *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1)
        free(p);
}

/* A page holding a copy of text, with the collector's reference; NULL when
 * out of memory (answers then copy the text as they did before). */
static struct qe_page *page_new(const char *text, size_t len)
{
    struct qe_page *p = malloc(sizeof(*p) + len + 1);
    if (!p)
        return NULL;
    atomic_init(&p->refs, 1);
    p->len = len;
    if (len)
        memcpy(p->text, text, len);
    p->text[len] = '\0';
    return p;
}

struct qe_collector {
    const struct qe_config *cfg;
    qe_collect_fn collect;
    qe_connects_fn connects;
    void *ctx;
    const char *version;
    qe_clock_fn now; /* ages the cache */

    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t work; /* collector waits for a request */
    pthread_cond_t done; /* scrapes wait for a result */
    pthread_condattr_t attr;

    /* Everything below is guarded by mu. */
    int stop;
    int requested;
    double requested_budget;
    int running;
    unsigned long generation; /* collections finished */
    int have_result;
    double done_mono;
    struct prom_buf body; /* rendered by the last collection */
    struct qe_page *page; /* a shared copy of body; NULL when out of memory */
    int up;
    char error[256];
    struct qe_self_stats self;

    struct qe_queue_stats *stats; /* collector thread only */
};

struct qe_collector *qe_collector_new(const struct qe_config *cfg, qe_collect_fn collect,
                                      qe_connects_fn connects, void *ctx, const char *version)
{
    struct qe_collector *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->stats = calloc(cfg->n_queues ? cfg->n_queues : 1, sizeof(*c->stats));
    if (!c->stats) {
        free(c);
        return NULL;
    }
    c->cfg = cfg;
    c->collect = collect;
    c->connects = connects;
    c->ctx = ctx;
    c->version = version;
    c->now = qe_mono_now;
    pthread_mutex_init(&c->mu, NULL);
    /* Deadlines are monotonic: a wall-clock jump must not stretch a wait. */
    pthread_condattr_init(&c->attr);
    pthread_condattr_setclock(&c->attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->work, &c->attr);
    pthread_cond_init(&c->done, &c->attr);
    prom_buf_init(&c->body);
    snprintf(c->error, sizeof(c->error), "no collection yet");
    return c;
}

static void *collector_main(void *arg);

void qe_collector_set_clock(struct qe_collector *c, qe_clock_fn now)
{
    c->now = now ? now : qe_mono_now;
}

int qe_collector_start(struct qe_collector *c)
{
    pthread_mutex_lock(&c->mu);
    c->requested = 1; /* a first collection right away: logs show the database state */
    c->requested_budget = c->cfg->collect_timeout_seconds;
    pthread_mutex_unlock(&c->mu);
    int rc = pthread_create(&c->thread, NULL, collector_main, c);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    c->started = 1;
    return 0;
}

void qe_collector_stop(struct qe_collector *c)
{
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->work);
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->mu);
    if (c->started) {
        pthread_join(c->thread, NULL);
        c->started = 0;
    }
}

void qe_collector_free(struct qe_collector *c)
{
    if (!c)
        return;
    qe_collector_stop(c);
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->done);
    pthread_condattr_destroy(&c->attr);
    pthread_mutex_destroy(&c->mu);
    prom_buf_free(&c->body);
    qe_page_release(c->page);
    free(c->stats);
    free(c);
}

unsigned long qe_collector_collections(struct qe_collector *c)
{
    pthread_mutex_lock(&c->mu);
    unsigned long n = (unsigned long)c->self.collections_total;
    pthread_mutex_unlock(&c->mu);
    return n;
}

static void *collector_main(void *arg)
{
    struct qe_collector *c = arg;
    char err[256];
    int was_up = -1; /* unknown: the first result is always logged */
    char last_logged_error[256] = "";

    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->requested && !c->stop)
            pthread_cond_wait(&c->work, &c->mu);
        if (c->stop)
            break;
        double budget = c->requested_budget;
        c->requested = 0;
        c->running = 1;
        pthread_mutex_unlock(&c->mu);

        err[0] = '\0';
        double t0 = qe_mono_now();
        int rc = c->collect(c->ctx, budget, c->stats, err, sizeof(err));
        double duration = qe_mono_now() - t0;
        unsigned long connects = c->connects ? c->connects(c->ctx) : 0;

        pthread_mutex_lock(&c->mu);
        c->self.collections_total += 1;
        c->self.collect_duration_seconds = duration;
        c->self.db_connects_total = (double)connects;
        c->up = rc == 0;
        c->self.up = c->up;
        if (rc == 0) {
            c->self.last_success_unix = qe_unix_now();
            c->error[0] = '\0';
        } else {
            c->self.collect_errors_total += 1;
            snprintf(c->error, sizeof(c->error), "%s", err[0] ? err : "collection failed");
        }
        prom_buf_reset(&c->body);
        qe_render_collected(&c->body, c->cfg, rc >= 0 ? c->stats : NULL, &c->self, c->version);
        /* Answers still sending the previous page keep it until they end. */
        qe_page_release(c->page);
        c->page = sb_failed(&c->body.sb) ? NULL : page_new(c->body.sb.data, c->body.sb.len);
        c->have_result = 1;
        c->done_mono = c->now(); /* freshness counts from the result's arrival */
        c->generation++;
        c->running = 0;
        pthread_cond_broadcast(&c->done);
        pthread_mutex_unlock(&c->mu);

        /* Log changes of state, not every scrape. */
        if (rc == 0 && was_up != 1) {
            log_info("collection succeeded in %.3f s (%zu queues)", duration,
                     qe_config_enabled_queues(c->cfg));
            last_logged_error[0] = '\0';
        } else if (rc != 0 && (was_up != 0 || strcmp(err, last_logged_error) != 0)) {
            log_warn("collection failed after %.3f s, serving queue_exporter_up 0: %s", duration,
                     err);
            snprintf(last_logged_error, sizeof(last_logged_error), "%s", err);
        }
        was_up = rc == 0;
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static void deadline_timespec(double deadline_mono, struct timespec *ts)
{
    double whole = (double)(long long)deadline_mono;
    ts->tv_sec = (time_t)whole;
    ts->tv_nsec = (long)((deadline_mono - whole) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Shares page (a reference for the answer) when there is one, else copies
 * collected; appends the per-scrape families. mu held. */
static int answer(struct qe_collector *c, struct qe_page *page, const struct prom_buf *collected,
                  int up, const char *error, struct qe_scrape_result *out)
{
    struct prom_buf b;
    prom_buf_init(&b);
    if (!page && collected && collected->sb.len)
        prom_append(&b, collected->sb.data, collected->sb.len);
    qe_render_live(&b, &c->self);
    if (sb_failed(&b.sb)) {
        prom_buf_free(&b);
        return -1;
    }
    if (page) {
        atomic_fetch_add(&page->refs, 1);
        out->page = page;
        out->shared = page->text;
        out->shared_len = page->len;
    }
    out->body = b.sb.data;
    out->len = b.sb.len;
    out->up = up;
    snprintf(out->error, sizeof(out->error), "%s", up ? "" : error);
    return 0;
}

int qe_collector_scrape(struct qe_collector *c, double wait_s, struct qe_scrape_result *out)
{
    memset(out, 0, sizeof(*out));
    int rc;
    pthread_mutex_lock(&c->mu);
    double deadline = qe_mono_now() + wait_s;
    if (c->have_result && c->now() - c->done_mono < c->cfg->cache_ttl_seconds && !c->stop) {
        rc = answer(c, c->page, &c->body, c->up, c->error, out);
        pthread_mutex_unlock(&c->mu);
        return rc;
    }
    unsigned long gen = c->generation;
    if (!c->running && !c->requested && !c->stop) {
        /* The collection ends (or fails on its statement timeout) a little
         * before this scrape stops waiting, so the scrape gets its outcome. */
        double budget = wait_s - BUDGET_MARGIN_S;
        if (budget > c->cfg->collect_timeout_seconds)
            budget = c->cfg->collect_timeout_seconds;
        c->requested = 1;
        c->requested_budget = budget < MIN_BUDGET_S ? MIN_BUDGET_S : budget;
        pthread_cond_signal(&c->work);
    }
    /* Join the running (or requested) collection, whoever started it. */
    struct timespec ts;
    deadline_timespec(deadline, &ts);
    while (c->generation == gen && !c->stop) {
        if (pthread_cond_timedwait(&c->done, &c->mu, &ts) == ETIMEDOUT)
            break;
    }
    if (c->generation != gen) {
        rc = answer(c, c->page, &c->body, c->up, c->error, out);
    } else {
        /* No result in time: say so, and show no queue value at all. */
        struct qe_self_stats self = c->self;
        struct prom_buf b;
        prom_buf_init(&b);
        self.up = 0;
        if (!c->stop)
            c->self.scrape_timeouts_total += 1;
        qe_render_collected(&b, c->cfg, NULL, &self, c->version);
        rc = answer(c, NULL, &b, 0,
                    c->stop ? "shutting down"
                            : "the collection did not finish within the scrape timeout",
                    out);
        prom_buf_free(&b);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void qe_collector_status(struct qe_collector *c, int *up, char *why, size_t whysz)
{
    pthread_mutex_lock(&c->mu);
    *up = c->have_result && c->up;
    snprintf(why, whysz, "%s",
             !c->have_result ? "no collection has finished yet"
             : c->up         ? "the database answered"
                             : c->error);
    /* A stale verdict asks for a fresh one, without waiting for it. */
    int stale = !c->have_result || c->now() - c->done_mono >= c->cfg->cache_ttl_seconds;
    if (stale && !c->running && !c->requested && !c->stop) {
        c->requested = 1;
        c->requested_budget = c->cfg->collect_timeout_seconds;
        pthread_cond_signal(&c->work);
    }
    pthread_mutex_unlock(&c->mu);
}
