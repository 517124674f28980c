/* The report's data model: what was measured, per section, plus whether
 * each section's source answered. Filled by collect.c, rendered by
 * dr_render_html.c / dr_render_text.c, independent of where the data came from. */
#ifndef DAILY_REPORT_REPORT_H
#define DAILY_REPORT_REPORT_H

#include <stddef.h>
#include <time.h>

#include "alerts.h"
#include "business.h"

/* Rows a table shows; the rest is counted ("and N more"). collect.c
 * puts the worst rows first when there are more. */
#define REPORT_TABLE_ROWS 50

enum section_id { SEC_INFRA, SEC_QUEUES, SEC_BUSINESS, SEC_ALERTS, SEC_COUNT };

struct section {
    int available;
    char reason[512]; /* why not, when !available */
};

/* Values are NaN when Prometheus had no sample for that server. */
struct server_row {
    char *name;
    int up; /* 1 up, 0 down */
    double cpu, cpu_max;
    double ram, ram_max;
    double disk, disk_max;
};

struct queue_row {
    char *name;
    double pending, processing, failed; /* supabase_queue_depth by status */
    double stuck;                       /* supabase_queue_stuck_jobs */
    double failed_24h;                  /* supabase_queue_failed_last_24h */
};

struct chart_png {
    unsigned char *data; /* NULL when the chart could not be drawn */
    size_t len;
    int width, height;
    char why[256]; /* set when data is NULL */
};

struct report {
    time_t at;               /* reference time of every query */
    const char *grafana_url; /* borrowed; NULL for no dashboards link */
    struct section sec[SEC_COUNT];
    struct server_row *servers;
    size_t nservers;
    struct queue_row *queues;
    size_t nqueues;
    struct business biz;
    struct am_alerts alerts;
    struct chart_png cpu_chart;
    struct chart_png queue_chart;
};

void dr_report_init(struct report *r, time_t at);
void dr_report_free(struct report *r);
/* Number of sections whose source was unavailable. */
int dr_report_unavailable_count(const struct report *r);
const char *dr_section_name(enum section_id id);
/* Marks a section unavailable with a printf-style reason. */
void dr_report_set_unavailable(struct report *r, enum section_id id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
