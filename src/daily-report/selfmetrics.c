#include "selfmetrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpserver.h"
#include "listenaddr.h"

void dr_metrics_init(struct metrics *m, double start_time, double last_success)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->mu, NULL);
    m->start_time = start_time;
    m->last_success = last_success;
}

void dr_metrics_destroy(struct metrics *m)
{
    pthread_mutex_destroy(&m->mu);
}

void dr_metrics_run_begin(struct metrics *m, double now)
{
    pthread_mutex_lock(&m->mu);
    m->run_started = now;
    pthread_mutex_unlock(&m->mu);
}

void dr_metrics_run_end(struct metrics *m)
{
    pthread_mutex_lock(&m->mu);
    m->run_started = 0;
    pthread_mutex_unlock(&m->mu);
}

bool dr_metrics_healthy(struct metrics *m, double now, char *why, size_t whysz)
{
    pthread_mutex_lock(&m->mu);
    double started = m->run_started, limit = m->run_limit_s;
    pthread_mutex_unlock(&m->mu);
    if (started > 0 && limit > 0 && now - started > limit) {
        snprintf(why, whysz, "the report run started %.0f s ago is stuck (limit %.0f s)",
                 now - started, limit);
        return false;
    }
    return true;
}

void dr_metrics_render(struct metrics *m, struct prom_buf *b)
{
    pthread_mutex_lock(&m->mu);
    struct metrics snap = *m; /* copy, then format without the lock held */
    pthread_mutex_unlock(&m->mu);

    struct prom_label ver = {"version", VERSION};
    prom_family(b, "daily_report_build_info", "gauge", "Always 1; the version label says which.");
    prom_sample(b, "daily_report_build_info", &ver, 1, 1);
    prom_family(b, "daily_report_start_timestamp_seconds", "gauge",
                "Unix time this daily-report process started.");
    prom_sample(b, "daily_report_start_timestamp_seconds", NULL, 0, snap.start_time);
    prom_family(b, "daily_report_last_success_timestamp_seconds", "gauge",
                "Unix time the last report was accepted by the SMTP server (kept across "
                "restarts in the state file; 0 = never).");
    prom_sample(b, "daily_report_last_success_timestamp_seconds", NULL, 0, snap.last_success);
    prom_family(b, "daily_report_last_attempt_timestamp_seconds", "gauge",
                "Unix time the last report run started in this process (0 = none yet).");
    prom_sample(b, "daily_report_last_attempt_timestamp_seconds", NULL, 0, snap.last_attempt);
    prom_family(b, "daily_report_next_run_timestamp_seconds", "gauge",
                "Unix time of the next scheduled report.");
    prom_sample(b, "daily_report_next_run_timestamp_seconds", NULL, 0, snap.next_run);
    prom_family(b, "daily_report_last_duration_seconds", "gauge",
                "How long the last report run took, retries included.");
    prom_sample(b, "daily_report_last_duration_seconds", NULL, 0, snap.last_duration);
    prom_family(b, "daily_report_runs_total", "counter", "Report runs started by this process.");
    prom_sample(b, "daily_report_runs_total", NULL, 0, (double)snap.runs_total);
    prom_family(b, "daily_report_failures_total", "counter",
                "Report runs whose email could not be delivered after every retry.");
    prom_sample(b, "daily_report_failures_total", NULL, 0, (double)snap.failures_total);
    if (snap.have_sections) {
        prom_family(b, "daily_report_section_unavailable", "gauge",
                    "1 when the section's source was unavailable in the last report.");
        for (int i = 0; i < SEC_COUNT; i++) {
            struct prom_label l = {"section", dr_section_name((enum section_id)i)};
            prom_sample(b, "daily_report_section_unavailable", &l, 1, snap.section_unavailable[i]);
        }
    }
}

struct metrics_server {
    struct http_server *server;
    struct http_endpoints ep;
    struct metrics *m;
};

static int serve_healthy(void *ctx, bool *ok, char *why, size_t whysz)
{
    struct metrics_server *s = ctx;
    *ok = dr_metrics_healthy(s->m, (double)time(NULL), why, whysz);
    return 0;
}

static int serve_metrics(void *ctx, double wait_s, struct http_reply *out)
{
    (void)wait_s; /* rendering never waits */
    struct metrics_server *s = ctx;
    struct prom_buf b;
    prom_buf_init(&b);
    dr_metrics_render(s->m, &b);
    if (sb_failed(&b.sb)) {
        prom_buf_free(&b);
        return -1;
    }
    out->content_type = PROM_CONTENT_TYPE;
    out->len = b.sb.len;
    out->body = sb_take(&b.sb);
    return out->body ? 0 : -1;
}

struct metrics_server *dr_metrics_server_start(const char *listen, struct metrics *m, char *err,
                                               size_t errsz)
{
    struct listen_addr a;
    if (listen_addr_parse(listen, &a, err, errsz) != 0)
        return NULL;
    struct metrics_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->m = m;
    /* Scraped by one Prometheus and probed by a health check: small. */
    s->ep = (struct http_endpoints){
        .ctx = s, .metrics = serve_metrics, .healthy = serve_healthy, .default_wait_s = 5};
    const struct http_limits lim = {
        .threads = 1, .max_connections = 32, .max_connections_per_ip = 0, .idle_timeout_s = 10};
    s->server = http_server_start(&a, &lim, &s->ep, err, errsz);
    if (!s->server) {
        free(s);
        return NULL;
    }
    return s;
}

void dr_metrics_server_stop(struct metrics_server *s)
{
    if (!s)
        return;
    http_server_stop(s->server);
    free(s);
}
