#include "sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb {
    char *data;
    size_t len, cap;
    int failed;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n =
            vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->data && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
}

size_t qe_query_queue_columns(const struct qe_queue *q)
{
    return qe_queue_depth_count(q) + QE_SQL_FIXED_COLUMNS;
}

void qe_query_free(struct qe_query *q)
{
    free(q->text);
    free(q->params);
    free(q->numbuf);
    memset(q, 0, sizeof(*q));
}

/* Quoted identifiers of one queue, freed together. */
struct quoted {
    char *from; /* "schema"."table" or "table" */
    char *status, *created, *updated;
};

static void quoted_free(struct quoted *qd)
{
    free(qd->from);
    free(qd->status);
    free(qd->created);
    free(qd->updated);
}

static int quote_queue(const struct qe_queue *q, qe_quote_fn quote, void *quote_ctx,
                       struct quoted *qd, char *err, size_t errsz)
{
    memset(qd, 0, sizeof(*qd));
    char *table = quote(quote_ctx, q->table, err, errsz);
    char *schema = q->schema[0] ? quote(quote_ctx, q->schema, err, errsz) : NULL;
    qd->status = quote(quote_ctx, q->status_column, err, errsz);
    qd->created = quote(quote_ctx, q->created_column, err, errsz);
    qd->updated = quote(quote_ctx, q->updated_column, err, errsz);
    int ok = table && (schema || !q->schema[0]) && qd->status && qd->created && qd->updated;
    if (ok) {
        size_t n = strlen(table) + (schema ? strlen(schema) + 1 : 0) + 1;
        qd->from = malloc(n);
        if (qd->from)
            snprintf(qd->from, n, "%s%s%s", schema ? schema : "", schema ? "." : "", table);
        else
            snprintf(err, errsz, "out of memory");
        ok = qd->from != NULL;
    }
    free(table);
    free(schema);
    if (!ok)
        quoted_free(qd);
    return ok ? 0 : -1;
}

/* Whether queue i belongs in a query for `only` (QE_QUERY_ALL: every
 * enabled queue). */
static int selected(const struct qe_config *cfg, size_t i, size_t only)
{
    return cfg->queues[i].enabled && (only == QE_QUERY_ALL || only == i);
}

static int build(struct qe_query *out, const struct qe_config *cfg, size_t only, qe_quote_fn quote,
                 void *quote_ctx, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    size_t n_params = 0;
    for (size_t i = 0; i < cfg->n_queues; i++)
        if (selected(cfg, i, only))
            n_params += qe_queue_depth_count(&cfg->queues[i]) + 2; /* + completed, stuck */
    out->params = calloc(n_params ? n_params : 1, sizeof(*out->params));
    out->numbuf = calloc(cfg->n_queues ? cfg->n_queues : 1, sizeof(*out->numbuf));
    if (!out->params || !out->numbuf) {
        snprintf(err, errsz, "out of memory");
        qe_query_free(out);
        return -1;
    }

    /* The leading comment names the statement in pg_stat_statements and logs. */
    struct sb b = {0};
    if (only == QE_QUERY_ALL)
        sb_printf(&b, "/* queue-exporter collection */ SELECT");
    else /* the name is a config value: the comment shows only its index */
        sb_printf(&b, "/* queue-exporter per-queue collection, queue %zu */ SELECT", only + 1);
    size_t p = 0; /* parameters used so far; $n is 1-based */
    const char *sep = " ";
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const struct qe_queue *q = &cfg->queues[i];
        if (!selected(cfg, i, only))
            continue;
        struct quoted qd;
        if (quote_queue(q, quote, quote_ctx, &qd, err, errsz) != 0) {
            free(b.data);
            qe_query_free(out);
            return -1;
        }
        size_t ndepth = qe_queue_depth_count(q);
        size_t base = p + 1;
        for (size_t d = 0; d < ndepth; d++) {
            out->params[p++] = qe_queue_depth_status(q, d);
            sb_printf(&b, "%s\n  (SELECT count(*) FROM %s WHERE %s = $%zu)", sep, qd.from,
                      qd.status, base + d);
            sep = ",";
        }
        size_t pend = base, proc = base + 1, failed = base + 2;
        size_t completed = p + 1, stuck = p + 2;
        out->params[p++] = q->completed;
        snprintf(out->numbuf[i], sizeof(out->numbuf[i]), "%.3f", qe_queue_stuck_after(cfg, q));
        out->params[p++] = out->numbuf[i];
        sb_printf(&b,
                  ",\n  (SELECT count(*) FROM %s WHERE %s = $%zu AND %s < now() - $%zu::float8 * "
                  "interval '1 second')",
                  qd.from, qd.status, proc, qd.updated, stuck);
        /* Empty status -> 0 (documented); GREATEST hides clock skew. Only
         * finite timestamps: now() - '-infinity' is an error that would
         * fail the whole collection. A range condition (not FILTER) keeps
         * min() an index scan. */
        sb_printf(&b,
                  ",\n  (SELECT COALESCE(GREATEST(EXTRACT(EPOCH FROM now() - min(%s)), 0), 0) "
                  "FROM %s WHERE %s = $%zu AND %s > '-infinity' AND %s < 'infinity')",
                  qd.created, qd.from, qd.status, pend, qd.created, qd.created);
        sb_printf(&b,
                  ",\n  (SELECT COALESCE(GREATEST(EXTRACT(EPOCH FROM now() - min(%s)), 0), 0) "
                  "FROM %s WHERE %s = $%zu AND %s > '-infinity' AND %s < 'infinity')",
                  qd.updated, qd.from, qd.status, proc, qd.updated, qd.updated);
        sb_printf(&b,
                  ",\n  (SELECT count(*) FROM %s WHERE %s = $%zu AND %s >= now() - interval '24 "
                  "hours')",
                  qd.from, qd.status, failed, qd.updated);
        sb_printf(&b,
                  ",\n  (SELECT count(*) FROM %s WHERE %s = $%zu AND %s >= now() - interval '1 "
                  "hour')",
                  qd.from, qd.status, completed, qd.updated);
        out->n_columns += ndepth + QE_SQL_FIXED_COLUMNS;
        quoted_free(&qd);
    }
    if (b.failed) {
        free(b.data);
        snprintf(err, errsz, "out of memory building the query");
        qe_query_free(out);
        return -1;
    }
    out->text = b.data;
    out->n_params = p;
    return 0;
}

int qe_query_build(struct qe_query *q, const struct qe_config *cfg, qe_quote_fn quote,
                   void *quote_ctx, char *err, size_t errsz)
{
    return build(q, cfg, QE_QUERY_ALL, quote, quote_ctx, err, errsz);
}

int qe_query_build_queue(struct qe_query *q, const struct qe_config *cfg, size_t index,
                         qe_quote_fn quote, void *quote_ctx, char *err, size_t errsz)
{
    if (index >= cfg->n_queues || !cfg->queues[index].enabled) {
        snprintf(err, errsz, "queue %zu is not an enabled queue", index + 1);
        return -1;
    }
    return build(q, cfg, index, quote, quote_ctx, err, errsz);
}
