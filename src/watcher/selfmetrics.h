/* The watcher's own /metrics, rendered from a snapshot of its state and
 * counters (pure: unit-tested without a server). Server F's Prometheus
 * scrapes it (inventory role `watcher`), which is the other half of the
 * two-way watch: prometheus/rules/watcher.yml alerts when the watcher is
 * down, when it stops receiving heartbeats Alertmanager believes it
 * delivers, and when its mails fail. */
#ifndef WD_SELFMETRICS_H
#define WD_SELFMETRICS_H

#include "machine.h"
#include "promtext.h"

/* Bodies over the limit are refused by the HTTP server before the watcher
 * sees them (413), so they are not counted here. */
enum wd_reject { WD_REJECT_UNAUTHORIZED, WD_REJECT_BAD_REQUEST, WD_REJECT_N };

struct wd_counters {
    unsigned long heartbeats;
    unsigned long rejected[WD_REJECT_N];
    unsigned long sent[4];   /* by enum wd_mail */
    unsigned long failed[4]; /* failed attempts, by enum wd_mail */
};

const char *wd_reject_name(enum wd_reject r);

void wd_metrics_render(const struct wd_state *s, const struct wd_counters *c,
                       const struct wd_policy *p, const char *version, struct prom_buf *out);

#endif
