#include "metrics.h"

#include <stdio.h>

/* Every supabase_* HELP line states how old a value may be. */
static void family(struct prom_buf *b, const struct qe_config *cfg, const char *name,
                   const char *type, const char *help)
{
    char text[512];
    snprintf(text, sizeof(text), "%s Cached for up to %g s after each database read.", help,
             cfg->cache_ttl_seconds);
    prom_family(b, name, type, text);
}

static void queue_sample(struct prom_buf *b, const char *metric, const struct qe_queue *q,
                         const char *status, double value)
{
    struct prom_label labels[2] = {{"queue", q->name}, {"status", status}};
    prom_sample(b, metric, labels, status ? 2 : 1, value);
}

/* A queue with values in this exposition. */
static int shown(const struct qe_config *cfg, const struct qe_queue_stats *stats, size_t i)
{
    return cfg->queues[i].enabled && !stats[i].failed;
}

static void render_queue_up(struct prom_buf *b, const struct qe_config *cfg,
                            const struct qe_queue_stats *stats)
{
    prom_family(b, "queue_exporter_queue_up", "gauge",
                "1 when the last collection read this queue's table; 0 when that query failed "
                "(missing table or column, permission denied...; the log says why): its "
                "supabase_queue_* samples are then absent, the other queues keep theirs.");
    for (size_t i = 0; i < cfg->n_queues; i++)
        if (cfg->queues[i].enabled)
            queue_sample(b, "queue_exporter_queue_up", &cfg->queues[i], NULL,
                         stats[i].failed ? 0 : 1);
}

static void render_queues(struct prom_buf *b, const struct qe_config *cfg,
                          const struct qe_queue_stats *stats)
{
    family(b, cfg, "supabase_queue_depth", "gauge",
           "Jobs per active status in the queue table (every configured status, 0 when none).");
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const struct qe_queue *q = &cfg->queues[i];
        if (!shown(cfg, stats, i))
            continue;
        for (size_t d = 0; d < qe_queue_depth_count(q); d++)
            queue_sample(b, "supabase_queue_depth", q, qe_queue_depth_status(q, d),
                         stats[i].depth[d]);
    }

    char help[256];
    snprintf(help, sizeof(help),
             "Jobs in the processing status whose updated_at is older than the stuck threshold "
             "(default %g s).",
             cfg->stuck_after_seconds);
    family(b, cfg, "supabase_queue_stuck_jobs", "gauge", help);
    for (size_t i = 0; i < cfg->n_queues; i++)
        if (shown(cfg, stats, i))
            queue_sample(b, "supabase_queue_stuck_jobs", &cfg->queues[i], NULL, stats[i].stuck);

    family(b, cfg, "supabase_queue_oldest_age_seconds", "gauge",
           "Age of the oldest job: pending since created_at, processing since updated_at; 0 when "
           "the status has no jobs.");
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const struct qe_queue *q = &cfg->queues[i];
        if (!shown(cfg, stats, i))
            continue;
        queue_sample(b, "supabase_queue_oldest_age_seconds", q, q->pending,
                     stats[i].oldest_pending_age);
        queue_sample(b, "supabase_queue_oldest_age_seconds", q, q->processing,
                     stats[i].oldest_processing_age);
    }

    family(b, cfg, "supabase_queue_failed_last_24h", "gauge",
           "Jobs in the failed status whose updated_at is within the last 24 hours.");
    for (size_t i = 0; i < cfg->n_queues; i++)
        if (shown(cfg, stats, i))
            queue_sample(b, "supabase_queue_failed_last_24h", &cfg->queues[i], NULL,
                         stats[i].failed_24h);

    family(b, cfg, "supabase_queue_completed_last_hour", "gauge",
           "Jobs in the completed status whose updated_at is within the last hour.");
    for (size_t i = 0; i < cfg->n_queues; i++)
        if (shown(cfg, stats, i))
            queue_sample(b, "supabase_queue_completed_last_hour", &cfg->queues[i], NULL,
                         stats[i].completed_1h);
}

static void self_metric(struct prom_buf *b, const char *name, const char *type, const char *help,
                        double value)
{
    prom_family(b, name, type, help);
    prom_sample(b, name, NULL, 0, value);
}

void qe_render_collected(struct prom_buf *b, const struct qe_config *cfg,
                         const struct qe_queue_stats *stats, const struct qe_self_stats *self,
                         const char *version)
{
    if (stats) {
        render_queues(b, cfg, stats);
        render_queue_up(b, cfg, stats);
    }
    self_metric(b, "queue_exporter_up", "gauge",
                "1 when the last collection read every queue from the database; 0 when it failed "
                "or did not finish within the scrape timeout (supabase_queue_* are then absent), "
                "or when some queue could not be read (queue_exporter_queue_up names it).",
                self->up ? 1 : 0);
    self_metric(b, "queue_exporter_collect_duration_seconds", "gauge",
                "Wall-clock duration of the last collection, connection included.",
                self->collect_duration_seconds);
    self_metric(b, "queue_exporter_last_success_timestamp_seconds", "gauge",
                "Unix time of the last successful collection; 0 before the first one.",
                self->last_success_unix);
    self_metric(b, "queue_exporter_collections_total", "counter",
                "Collections run; concurrent scrapes share one.", self->collections_total);
    self_metric(b, "queue_exporter_collect_errors_total", "counter",
                "Collections that failed (database unreachable, query error, timeout).",
                self->collect_errors_total);
    self_metric(b, "queue_exporter_db_connects_total", "counter",
                "Successful database connections opened (one persistent connection, reopened "
                "after failures).",
                self->db_connects_total);
    self_metric(b, "queue_exporter_cache_ttl_seconds", "gauge",
                "How long collected values are served before the database is read again.",
                cfg->cache_ttl_seconds);
    prom_family(b, "queue_exporter_build_info", "gauge",
                "Build information; the value is always 1.");
    struct prom_label l[] = {{"version", version}};
    prom_sample(b, "queue_exporter_build_info", l, 1, 1);
}

void qe_render_live(struct prom_buf *b, const struct qe_self_stats *self)
{
    self_metric(b, "queue_exporter_scrape_timeouts_total", "counter",
                "Scrapes answered without queue values because the collection did not finish "
                "within the scrape timeout.",
                self->scrape_timeouts_total);
}

void qe_render(struct prom_buf *b, const struct qe_config *cfg, const struct qe_queue_stats *stats,
               const struct qe_self_stats *self, const char *version)
{
    qe_render_collected(b, cfg, stats, self, version);
    qe_render_live(b, self);
}
