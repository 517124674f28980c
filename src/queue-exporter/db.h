/* The exporter's one persistent PostgreSQL connection and the collection
 * that runs on it. Used by the collector thread only (not thread-safe).
 *
 * A collection is: BEGIN READ ONLY; SET LOCAL statement_timeout; SAVEPOINT;
 * the query of sql.h through PQsendQueryParams (unnamed statement, so
 * transaction-mode poolers work); COMMIT. When that query fails with time
 * left (a queue's table is missing, a column errors, permission denied),
 * each queue is queried alone after ROLLBACK TO the savepoint, with the
 * rest of the same budget: a broken queue costs only its own values. The
 * whole exchange also has one client-side deadline.
 * A lost connection is reopened at once (a restarted server is back in one
 * collection); a failed connect waits 1, 2, 4 ... reconnect_max seconds
 * before the next attempt. */
#ifndef QE_DB_H
#define QE_DB_H

#include <libpq-fe.h>
#include <stddef.h>

#include "config.h"
#include "metrics.h"

struct qe_db;

/* dsn: QUEUE_EXPORTER_DSN or NULL (PG* variables). Checks the DSN's syntax
 * now, so a typo fails at startup. */
struct qe_db *qe_db_new(const struct qe_config *cfg, const char *dsn, char *err, size_t errsz);
void qe_db_free(struct qe_db *db);

/* One collection within budget_s seconds. stats has cfg->n_queues entries.
 * Returns 0 (every queue read), 1 (some queues failed: stats[i].failed is
 * set for them, err names the first), or -1 with a message in err. */
int qe_db_collect(struct qe_db *db, double budget_s, struct qe_queue_stats *stats, char *err,
                  size_t errsz);

/* The collection query's one row (n_columns columns, in the order sql.h
 * builds them: each enabled queue's depths, then its fixed columns) into
 * stats. NULL counts as 0; anything else that is not a finite number is an
 * error naming the queue and the column. Pure: reads only res. */
int qe_db_parse_result(const struct qe_config *cfg, size_t n_columns, const PGresult *res,
                       struct qe_queue_stats *stats, char *err, size_t errsz);

/* A qe_quote_fn (sql.h) backed by PQescapeIdentifier; ctx is a PGconn *
 * (its client encoding decides how multibyte names are checked). */
char *qe_db_quote_ident(void *ctx, const char *ident, char *err, size_t errsz);

/* Makes the collection in progress (connecting or querying) give up
 * within 200 ms, and every later one fail at once; any thread may call it.
 * SIGTERM then ends the process within Docker's grace whatever the
 * database does. */
void qe_db_request_stop(struct qe_db *db);

/* Connections opened successfully so far. */
unsigned long qe_db_connects(const struct qe_db *db);

#endif
