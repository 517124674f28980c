#include "collect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "log.h"
#include "promapi.h"

#define ERRSZ 512

static int cmp_server(const void *a, const void *b)
{
    return strcmp(((const struct server_row *)a)->name, ((const struct server_row *)b)->name);
}

static int cmp_queue(const void *a, const void *b)
{
    return strcmp(((const struct queue_row *)a)->name, ((const struct queue_row *)b)->name);
}

static int cmp_series(const void *a, const void *b)
{
    return strcmp(((const struct prom_series *)a)->l1, ((const struct prom_series *)b)->l1);
}

static double worst_pct(const struct server_row *s)
{
    double w = -1;
    const double v[] = {s->cpu_max, s->ram_max, s->disk_max};
    for (int i = 0; i < 3; i++)
        if (isfinite(v[i]) && v[i] > w)
            w = v[i];
    return s->up ? w : 1e9; /* a server down first of all */
}

static int cmp_server_worst(const void *a, const void *b)
{
    double x = worst_pct(a), y = worst_pct(b);
    return x < y ? 1 : x > y ? -1 : cmp_server(a, b);
}

static double queue_weight(const struct queue_row *q)
{
    double w = 0;
    const double v[] = {q->stuck * 1e6, q->failed_24h * 1e3, q->pending};
    for (int i = 0; i < 3; i++)
        if (isfinite(v[i]) && v[i] > 0)
            w += v[i];
    return w;
}

static int cmp_queue_worst(const void *a, const void *b)
{
    double x = queue_weight(a), y = queue_weight(b);
    return x < y ? 1 : x > y ? -1 : cmp_queue(a, b);
}

/* More rows than a table shows: the worst come first, so the shown ones
 * are those that matter (the rest is counted as "and N more"). */
static void keep_worst_first(void *rows, size_t n, size_t size,
                             int (*cmp)(const void *, const void *))
{
    if (n > REPORT_TABLE_ROWS)
        qsort(rows, n, size, cmp);
}

static double value_for(const struct prom_vector *v, const char *server)
{
    const struct prom_sample_row *row = prom_vector_find(v, server, NULL);
    return row ? row->value : NAN;
}

/* The 24 h maximum can never be below the current value; the subquery's
 * last step may predate the newest sample by up to a minute. */
static double max_with(double max24, double now)
{
    if (isnan(max24))
        return now;
    if (isnan(now))
        return max24;
    return now > max24 ? now : max24;
}

static void render_chart(const struct report *r, const struct prom_matrix *m, double y_max,
                         const char *unit, const char *empty, struct chart_png *out)
{
    struct chart_line lines[CHART_MAX_LINES];
    size_t n = m->n < CHART_MAX_LINES ? m->n : CHART_MAX_LINES;
    for (size_t i = 0; i < n; i++) {
        lines[i].name = m->series[i].l1;
        lines[i].t = m->series[i].t;
        lines[i].v = m->series[i].v;
        lines[i].n = m->series[i].n;
    }
    struct chart_spec spec = {
        .width = CHART_WIDTH,
        .height = CHART_HEIGHT,
        .t0 = (double)r->at - 86400.0,
        .t1 = (double)r->at,
        .step = CHART_STEP_S,
        .y_max = y_max,
        .y_unit = unit,
        .empty_text = empty,
        .lines = lines,
        .nlines = n,
    };
    char err[ERRSZ];
    if (dr_chart_render_png(&spec, out, err, sizeof(err)) != 0) {
        snprintf(out->why, sizeof(out->why), "%.200s", err);
        log_warn("%s", err);
    }
}

/* Every request of one report: Prometheus' answers may take a while. */
#define PROM_TIMEOUT_S 30L

static int range_query(const struct prom_client *pc, const struct report *r, const char *q,
                       const char *label, struct prom_matrix *m, char *err, size_t errsz)
{
    if (prom_query_range(pc, q, (double)r->at - 86400.0, (double)r->at, CHART_STEP_S, label, m, err,
                         errsz) != 0)
        return -1;
    if (m->n > 1)
        qsort(m->series, m->n, sizeof(*m->series), cmp_series);
    return 0;
}

static void collect_infra(const struct prom_client *pc, struct report *r)
{
    char err[ERRSZ];
    const char *queries[] = {Q_CPU,  Q_MAX_24H(Q_CPU), Q_RAM, Q_MAX_24H(Q_RAM),
                             Q_DISK, Q_MAX_24H(Q_DISK)};
    struct prom_vector up = {0}, v[6];
    memset(v, 0, sizeof(v));
    struct prom_matrix cpu = {0};
    const double at = (double)r->at;

    if (prom_query(pc, Q_UP, at, "server", NULL, &up, err, sizeof(err)) != 0)
        goto fail;
    if (up.n == 0) {
        snprintf(err, sizeof(err), "Prometheus has no up{job=\"node\"} series");
        goto fail;
    }
    for (size_t i = 0; i < 6; i++)
        if (prom_query(pc, queries[i], at, "server", NULL, &v[i], err, sizeof(err)) != 0)
            goto fail;
    if (range_query(pc, r, Q_TOPK(Q_CPU), "server", &cpu, err, sizeof(err)) != 0)
        goto fail;
    for (size_t i = 0; i < 6; i++)
        prom_vector_sort(&v[i]);

    r->servers = calloc(up.n, sizeof(*r->servers));
    if (!r->servers) {
        snprintf(err, sizeof(err), "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < up.n; i++) {
        struct server_row *s = &r->servers[r->nservers];
        s->name = strdup(up.rows[i].l1);
        if (!s->name) {
            snprintf(err, sizeof(err), "out of memory");
            goto fail;
        }
        r->nservers++;
        const char *n = s->name;
        s->up = up.rows[i].value >= 1.0;
        s->cpu = value_for(&v[0], n);
        s->cpu_max = max_with(value_for(&v[1], n), s->cpu);
        s->ram = value_for(&v[2], n);
        s->ram_max = max_with(value_for(&v[3], n), s->ram);
        s->disk = value_for(&v[4], n);
        s->disk_max = max_with(value_for(&v[5], n), s->disk);
    }
    keep_worst_first(r->servers, r->nservers, sizeof(*r->servers), cmp_server_worst);
    qsort(r->servers, r->nservers < REPORT_TABLE_ROWS ? r->nservers : REPORT_TABLE_ROWS,
          sizeof(*r->servers), cmp_server);
    render_chart(r, &cpu, 100.0, "%", "no CPU data in the last 24 h", &r->cpu_chart);
    r->sec[SEC_INFRA].available = 1;
    goto done;
fail:
    dr_report_set_unavailable(r, SEC_INFRA, "%s", err);
    log_warn("infrastructure section unavailable: %s", err);
done:
    prom_vector_free(&up);
    for (size_t i = 0; i < 6; i++)
        prom_vector_free(&v[i]);
    prom_matrix_free(&cpu);
}

static double depth_of(const struct prom_vector *depth, const char *queue, const char *status)
{
    const struct prom_sample_row *row = prom_vector_find(depth, queue, status);
    return row ? row->value : NAN;
}

static void collect_queues(const struct prom_client *pc, struct report *r)
{
    char err[ERRSZ];
    struct prom_vector depth = {0}, stuck = {0}, failed = {0};
    struct prom_matrix chart = {0};
    const double at = (double)r->at;

    if (prom_query(pc, Q_QUEUE_DEPTH, at, "queue", "status", &depth, err, sizeof(err)) != 0 ||
        prom_query(pc, Q_QUEUE_STUCK, at, "queue", NULL, &stuck, err, sizeof(err)) != 0 ||
        prom_query(pc, Q_QUEUE_FAILED, at, "queue", NULL, &failed, err, sizeof(err)) != 0 ||
        range_query(pc, r, Q_TOPK(Q_QUEUE_CHART), "queue", &chart, err, sizeof(err)) != 0)
        goto fail;
    prom_vector_sort(&depth);
    prom_vector_sort(&stuck);
    prom_vector_sort(&failed);
    if (depth.n == 0) {
        snprintf(err, sizeof(err),
                 "Prometheus has no supabase_queue_depth series (is queue-exporter scraped?)");
        goto fail;
    }
    r->queues = calloc(depth.n, sizeof(*r->queues));
    if (!r->queues) {
        snprintf(err, sizeof(err), "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < depth.n; i++) {
        const char *q = depth.rows[i].l1;
        /* Sorted by queue: a queue's statuses are adjacent. */
        if (r->nqueues && strcmp(r->queues[r->nqueues - 1].name, q) == 0)
            continue;
        struct queue_row *row = &r->queues[r->nqueues];
        row->name = strdup(q);
        if (!row->name) {
            snprintf(err, sizeof(err), "out of memory");
            goto fail;
        }
        r->nqueues++;
        row->pending = depth_of(&depth, q, "pending");
        row->processing = depth_of(&depth, q, "processing");
        row->failed = depth_of(&depth, q, "failed");
        row->stuck = value_for(&stuck, q);
        row->failed_24h = value_for(&failed, q);
    }
    keep_worst_first(r->queues, r->nqueues, sizeof(*r->queues), cmp_queue_worst);
    qsort(r->queues, r->nqueues < REPORT_TABLE_ROWS ? r->nqueues : REPORT_TABLE_ROWS,
          sizeof(*r->queues), cmp_queue);
    render_chart(r, &chart, 0, "", "no queue data in the last 24 h", &r->queue_chart);
    r->sec[SEC_QUEUES].available = 1;
    goto done;
fail:
    dr_report_set_unavailable(r, SEC_QUEUES, "%s", err);
    log_warn("queues section unavailable: %s", err);
done:
    prom_vector_free(&depth);
    prom_vector_free(&stuck);
    prom_vector_free(&failed);
    prom_matrix_free(&chart);
}

/* The business figures, built from the schema contract; a figure whose
 * column is missing is blanked alone (r->biz.why) and logged. */
static void collect_business(const struct config *cfg, struct report *r)
{
    char err[ERRSZ];
    struct contract c;
    if (!cfg->contract_file)
        ct_defaults(&c);
    else if (ct_load_file(cfg->contract_file, &c, err, sizeof(err)) != 0) {
        dr_report_set_unavailable(r, SEC_BUSINESS, "REPORT_SCHEMA_CONTRACT: %s", err);
        log_warn("business section unavailable: %s", err);
        return;
    }
    if (dr_business_fetch(cfg->db_dsn, &c, (double)r->at, cfg->db_timeout_s, &r->biz, err,
                          sizeof(err)) != 0) {
        dr_report_set_unavailable(r, SEC_BUSINESS, "%s", err);
        log_warn("business section unavailable: %s", err);
        return;
    }
    r->sec[SEC_BUSINESS].available = 1;
    for (int f = 0; f < DR_NFIGS; f++)
        if (r->biz.why[f][0])
            log_warn("business figure %s %s", dr_fig_key((enum dr_fig)f), r->biz.why[f]);
}

void dr_collect_report(const struct config *cfg, struct report *r)
{
    char err[ERRSZ];
    struct prom_client *pc =
        cfg->prometheus_url ? prom_client_new(cfg->prometheus_url, PROM_TIMEOUT_S, NULL) : NULL;
    if (pc) {
        prom_client_set_limits(pc, REPORT_MAX_BODY, REPORT_MAX_SERIES);
        collect_infra(pc, r);
        collect_queues(pc, r);
        prom_client_free(pc);
    } else if (cfg->prometheus_url) {
        dr_report_set_unavailable(r, SEC_INFRA, "out of memory");
        dr_report_set_unavailable(r, SEC_QUEUES, "out of memory");
    } else {
        dr_report_set_unavailable(r, SEC_INFRA, "PROMETHEUS_URL is not set");
        dr_report_set_unavailable(r, SEC_QUEUES, "PROMETHEUS_URL is not set");
    }

    if (!cfg->db_dsn) {
        dr_report_set_unavailable(r, SEC_BUSINESS, "REPORT_DB_DSN is not set");
    } else {
        collect_business(cfg, r);
    }

    if (!cfg->alertmanager_url) {
        dr_report_set_unavailable(r, SEC_ALERTS, "ALERTMANAGER_URL is not set");
    } else if (dr_am_fetch(cfg->alertmanager_url, &r->alerts, err, sizeof(err)) != 0) {
        dr_report_set_unavailable(r, SEC_ALERTS, "%s", err);
        log_warn("alerts section unavailable: %s", err);
    } else {
        r->sec[SEC_ALERTS].available = 1;
    }
}
