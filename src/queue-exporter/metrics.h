/* Renders the /metrics body: the supabase_queue_* families (only when the
 * last collection succeeded) followed by the queue_exporter_* self-metrics. */
#ifndef QE_METRICS_H
#define QE_METRICS_H

#include "config.h"
#include "promtext.h"

struct qe_queue_stats {
    double depth[QE_MAX_DEPTH_STATUSES]; /* in qe_queue_depth_status() order */
    double stuck;
    double oldest_pending_age;
    double oldest_processing_age;
    double failed_24h;
    double completed_1h;
    /* Non-zero: this queue could not be read in the last collection (its
     * table is missing, a column errors, permission denied...): it gets
     * queue_exporter_queue_up 0 and no supabase_* sample, while the other
     * queues keep theirs. */
    int failed;
};

struct qe_self_stats {
    int up;
    double collect_duration_seconds;
    double last_success_unix; /* 0: never */
    double collections_total;
    double collect_errors_total;
    double db_connects_total;
    double scrape_timeouts_total;
};

/* stats: one entry per cfg->queues[i] (disabled ones are skipped), or NULL
 * when there are no fresh values to show: then no supabase_* sample is
 * written at all, so stale numbers can never pass for current ones. With
 * stats, queue_exporter_queue_up{queue} says per queue whether it was read;
 * a failed queue gets no supabase_* sample.
 * Renders everything that changes only with a collection. */
void qe_render_collected(struct prom_buf *b, const struct qe_config *cfg,
                         const struct qe_queue_stats *stats, const struct qe_self_stats *self,
                         const char *version);

/* The families that change between collections (appended per scrape). */
void qe_render_live(struct prom_buf *b, const struct qe_self_stats *self);

/* Both, in that order. */
void qe_render(struct prom_buf *b, const struct qe_config *cfg, const struct qe_queue_stats *stats,
               const struct qe_self_stats *self, const char *version);

#endif
