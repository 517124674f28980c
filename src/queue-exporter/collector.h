/* One collection at a time, shared by every concurrent scrape, and a cache.
 *
 * A collector thread owns the database work. A scrape that finds a result
 * younger than cache_ttl_seconds is answered from it at once. Otherwise it
 * asks for a collection (or joins the one already running) and waits for
 * it, at most until its own deadline (from X-Prometheus-Scrape-Timeout-
 * Seconds). Whatever the number of waiting scrapes, one collection runs.
 * A failed collection is cached too, so a database outage is not hammered
 * by every scrape; it renders no supabase_* sample, only queue_exporter_up 0.
 *
 * The collection function is injected, so unit tests can count calls. It
 * returns 0, -1 (nothing read), or 1: some queues failed (marked in
 * stats), the others' values are served with queue_exporter_up 0. */
#ifndef QE_COLLECTOR_H
#define QE_COLLECTOR_H

#include <stddef.h>

#include "config.h"
#include "metrics.h"

typedef int (*qe_collect_fn)(void *ctx, double budget_s, struct qe_queue_stats *stats, char *err,
                             size_t errsz);
typedef unsigned long (*qe_connects_fn)(void *ctx);

struct qe_collector;

struct qe_collector *qe_collector_new(const struct qe_config *cfg, qe_collect_fn collect,
                                      qe_connects_fn connects, void *ctx, const char *version);
/* Starts the thread and a first collection. Returns 0 or -1 (errno). */
int qe_collector_start(struct qe_collector *c);
/* Wakes every waiting scrape (they answer at once) and stops the thread
 * after its current collection. Safe to call twice. */
void qe_collector_stop(struct qe_collector *c);
void qe_collector_free(struct qe_collector *c);

/* One collection's rendering, shared read-only by every answer made from
 * it: with one thread per connection, 50 scrapes woken by the same
 * collection each copied it at the same moment. Reference-counted: freed
 * once the collector has replaced it and the last answer released it. */
struct qe_page;
/* Drops one reference (NULL: nothing). Any thread, without the lock. */
void qe_page_release(struct qe_page *p);

/* The exposition text is shared (shared_len bytes) followed by body. */
struct qe_scrape_result {
    const char *shared; /* NULL when nothing is shared (a timed-out scrape) */
    size_t shared_len;
    struct qe_page *page; /* holds shared: qe_page_release() it once sent */
    char *body;           /* malloc'ed, the per-scrape text; the caller frees it */
    size_t len;
    int up;          /* the values are from a successful collection */
    char error[256]; /* why not, when !up */
};

/* Answers one scrape, waiting at most wait_s seconds for a collection.
 * Returns 0, or -1 when out of memory. */
int qe_collector_scrape(struct qe_collector *c, double wait_s, struct qe_scrape_result *out);

/* The outcome of the latest finished collection, without waiting (for
 * /readyz, which must answer while a collection is blocked): *up, and why
 * in words. Asks for a new collection when that outcome is older than the
 * cache TTL. */
void qe_collector_status(struct qe_collector *c, int *up, char *why, size_t whysz);

/* The clock that ages the cache: qe_mono_now unless set. Unit tests set a
 * fake one so that "fresh" and "expired" never depend on how fast the
 * machine runs; wait deadlines always use the real monotonic clock. Call it
 * before qe_collector_start. */
typedef double (*qe_clock_fn)(void);
void qe_collector_set_clock(struct qe_collector *c, qe_clock_fn now);

/* Number of collections run so far (for tests). */
unsigned long qe_collector_collections(struct qe_collector *c);

#endif
