/* The collection query: one statement for every enabled queue, returning one
 * row. Identifiers are quoted by a caller-supplied function (libpq's
 * PQescapeIdentifier in production); status values and thresholds are bind
 * parameters, never text in the statement.
 *
 * Per queue, in this column order:
 *   depth of each depth status (pending, processing, failed, extras...),
 *   stuck jobs, oldest pending age (s), oldest processing age (s),
 *   failed in the last 24 h, completed in the last hour.
 * Every aggregate filters on one status value, so the planner can answer it
 * from the partial indexes of sql/indexes.sql (cost grows with the active
 * jobs, not with the table's history). */
#ifndef QE_SQL_H
#define QE_SQL_H

#include <stddef.h>

#include "config.h"

/* Columns per queue after the depth columns. */
#define QE_SQL_FIXED_COLUMNS 5

/* Returns a malloc'ed quoted identifier, or NULL with a message in err. */
typedef char *(*qe_quote_fn)(void *ctx, const char *ident, char *err, size_t errsz);

struct qe_query {
    char *text;
    /* Parameter values (pointers into the configuration, or into numbuf). */
    const char **params;
    size_t n_params;
    size_t n_columns;
    char (*numbuf)[32];
};

/* Builds the query for cfg's enabled queues. Returns 0, or -1 with err. */
int qe_query_build(struct qe_query *q, const struct qe_config *cfg, qe_quote_fn quote,
                   void *quote_ctx, char *err, size_t errsz);
/* The same columns for the one enabled queue cfg->queues[index] only: the
 * collection falls back to these, one per queue, when the query of every
 * queue fails, so that one broken queue table costs only its own values. */
#define QE_QUERY_ALL ((size_t)-1)
int qe_query_build_queue(struct qe_query *q, const struct qe_config *cfg, size_t index,
                         qe_quote_fn quote, void *quote_ctx, char *err, size_t errsz);
void qe_query_free(struct qe_query *q);

/* Columns the query returns for one queue. */
size_t qe_query_queue_columns(const struct qe_queue *q);

#endif
