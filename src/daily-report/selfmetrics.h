/* The daemon's own metrics over HTTP (libmicrohttpd), for Prometheus job
 * "daily-report" and the "report not sent" alert:
 *   GET /metrics     text exposition (src/common/promtext)
 *   GET /-/healthy   200 (the container HEALTHCHECK); also /healthz, /readyz
 * on the common server skeleton (src/common/httpserver.h). */
#ifndef DAILY_REPORT_SELFMETRICS_H
#define DAILY_REPORT_SELFMETRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "promtext.h"
#include "report.h"

struct metrics {
    pthread_mutex_t mu;
    double start_time;
    double last_success; /* from the state file at startup, then each success */
    double last_attempt; /* 0 until the first run in this process */
    double next_run;
    double last_duration; /* seconds the last run took */
    unsigned long runs_total;
    unsigned long failures_total;
    int have_sections;  /* set once a report was built in this process */
    double run_started; /* Unix time the run in progress started; 0: none */
    double run_limit_s; /* a run taking longer than this is stuck (a bug) */
    int section_unavailable[SEC_COUNT];
};

void dr_metrics_init(struct metrics *m, double start_time, double last_success);
void dr_metrics_destroy(struct metrics *m);
/* A run starts / ends (takes the lock). */
void dr_metrics_run_begin(struct metrics *m, double now);
void dr_metrics_run_end(struct metrics *m);
/* The health verdict at time now: false with why when a run has lasted
 * longer than run_limit_s. Every call of a run is bounded in time, so this
 * only fires on a defect (a call without its deadline); the container's
 * health check then says so instead of answering 200 for ever. */
bool dr_metrics_healthy(struct metrics *m, double now, char *why, size_t whysz);
/* Writes the exposition for the current values (takes the lock). */
void dr_metrics_render(struct metrics *m, struct prom_buf *out);

struct metrics_server;
struct metrics_server *dr_metrics_server_start(const char *listen, struct metrics *m, char *err,
                                               size_t errsz);
void dr_metrics_server_stop(struct metrics_server *s);

#endif
