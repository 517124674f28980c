#include "db.h"

#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "pgconn.h"
#include "sql.h"

/* The server's statement_timeout should fire first; the client deadline
 * only catches a server or network that stopped answering. */
#define CLIENT_GRACE_S 1.0

struct qe_db {
    const struct qe_config *cfg;
    char *dsn;
    PGconn *conn;
    struct qe_query query; /* built per connection (PQescapeIdentifier needs one) */
    double backoff_s;
    double next_connect_mono;
    unsigned long connects;
    atomic_int stop; /* qe_db_request_stop: abandon the exchange in progress */
    char last_connect_error[256];
};

/* The exporter's connection defaults; the DSN or PG* variables override. */
static int build_params(struct pg_params *p, const char *dsn, double timeout_s, char *err,
                        size_t errsz)
{
    const struct pg_defaults d = {.application_name = "queue-exporter",
                                  .connect_timeout_s = timeout_s};
    return pg_params_build(p, dsn, "QUEUE_EXPORTER_DSN", &d, (env_get_fn)getenv, err, errsz);
}

struct qe_db *qe_db_new(const struct qe_config *cfg, const char *dsn, char *err, size_t errsz)
{
    struct pg_params ci;
    if (build_params(&ci, dsn, cfg->collect_timeout_seconds, err, errsz) != 0)
        return NULL;
    struct qe_db *db = calloc(1, sizeof(*db));
    if (!db || (dsn && !(db->dsn = strdup(dsn)))) {
        free(db);
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    db->cfg = cfg;
    return db;
}

static void drop_connection(struct qe_db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    qe_query_free(&db->query);
}

void qe_db_free(struct qe_db *db)
{
    if (!db)
        return;
    drop_connection(db);
    free(db->dsn);
    free(db);
}

void qe_db_request_stop(struct qe_db *db)
{
    atomic_store(&db->stop, 1);
}

unsigned long qe_db_connects(const struct qe_db *db)
{
    return db->connects;
}

char *qe_db_quote_ident(void *ctx, const char *ident, char *err, size_t errsz)
{
    PGconn *conn = ctx;
    char *q = PQescapeIdentifier(conn, ident, strlen(ident));
    if (!q) {
        char msg[256];
        pg_error_line(PQerrorMessage(conn), PG_ERR_KEEP_WHERE, msg, sizeof(msg));
        snprintf(err, errsz, "cannot quote identifier: %s", msg);
        return NULL;
    }
    char *copy = strdup(q);
    PQfreemem(q);
    if (!copy)
        snprintf(err, errsz, "out of memory");
    return copy;
}

static int stop_requested(void *ctx)
{
    struct qe_db *db = ctx;
    return atomic_load(&db->stop);
}

static int connect_db(struct qe_db *db, double budget_s, char *err, size_t errsz)
{
    double now = qe_mono_now();
    if (now < db->next_connect_mono) {
        snprintf(err, errsz,
                 "database unavailable, next connection attempt in %.1f s (last error: %s)",
                 db->next_connect_mono - now, db->last_connect_error);
        return -1;
    }
    struct pg_params ci;
    if (build_params(&ci, db->dsn, budget_s, err, errsz) != 0)
        return -1;
    /* One deadline for every host and address of the DSN together
     * (libpq's connect_timeout counts per address). */
    const struct pg_deadline dl = {.at = now + budget_s, .stop = stop_requested, .ctx = db};
    char msg[256];
    PGconn *conn = pg_connect_by(&ci, &dl, NULL, msg, sizeof(msg));
    if (!conn) {
        db->backoff_s = db->backoff_s > 0 ? db->backoff_s * 2 : 1;
        if (db->backoff_s > db->cfg->reconnect_max_seconds)
            db->backoff_s = db->cfg->reconnect_max_seconds;
        db->next_connect_mono = qe_mono_now() + db->backoff_s;
        snprintf(db->last_connect_error, sizeof(db->last_connect_error), "%s", msg);
        snprintf(err, errsz, "cannot connect to the database: %s", msg);
        log_warn("cannot connect to the database (next attempt in %.1f s): %s", db->backoff_s, msg);
        return -1;
    }
    if (qe_query_build(&db->query, db->cfg, qe_db_quote_ident, conn, err, errsz) != 0) {
        PQfinish(conn);
        return -1;
    }
    db->conn = conn;
    db->backoff_s = 0;
    db->next_connect_mono = 0;
    db->connects++;
    int ver = PQserverVersion(conn);
    log_info("connected to PostgreSQL %d.%d at host=%s port=%s dbname=%s user=%s ssl=%s",
             ver / 10000, ver % 10000, PQhost(conn), PQport(conn), PQdb(conn), PQuser(conn),
             PQsslInUse(conn) ? "on" : "off");
    return 0;
}

/* pg_await's outcome as run_collection's: -2 when the connection must go. */
static int await_results(struct qe_db *db, double deadline, PGresult **last, char *err,
                         size_t errsz)
{
    const struct pg_deadline dl = {.at = deadline, .stop = stop_requested, .ctx = db};
    int rc = pg_await(db->conn, &dl, last, err, errsz);
    return rc == PG_OK ? 0 : rc == PG_FAILED ? -1 : -2;
}

static int simple(struct qe_db *db, const char *sql, double deadline, char *err, size_t errsz)
{
    if (!PQsendQuery(db->conn, sql)) {
        pg_error_line(PQerrorMessage(db->conn), PG_ERR_KEEP_WHERE, err, errsz);
        return -1;
    }
    return await_results(db, deadline, NULL, err, errsz);
}

int qe_db_parse_result(const struct qe_config *cfg, size_t n_columns, const PGresult *res,
                       struct qe_queue_stats *stats, char *err, size_t errsz)
{
    if (PQntuples(res) != 1 || (size_t)PQnfields(res) != n_columns) {
        snprintf(err, errsz, "unexpected result shape: %d rows, %d columns (expected 1, %zu)",
                 PQntuples(res), PQnfields(res), n_columns);
        return -1;
    }
    int col = 0;
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const struct qe_queue *q = &cfg->queues[i];
        memset(&stats[i], 0, sizeof(stats[i]));
        if (!q->enabled)
            continue;
        double v[QE_MAX_DEPTH_STATUSES + QE_SQL_FIXED_COLUMNS] = {0};
        size_t ncols = qe_query_queue_columns(q);
        for (size_t c = 0; c < ncols; c++, col++) {
            const char *s = PQgetisnull(res, 0, col) ? "0" : PQgetvalue(res, 0, col);
            char *end = NULL;
            v[c] = strtod(s, &end);
            if (end == s || *end != '\0' || !isfinite(v[c])) {
                snprintf(err, errsz, "queue %s: column %d is not a number", q->name, col + 1);
                return -1;
            }
        }
        size_t nd = qe_queue_depth_count(q);
        memcpy(stats[i].depth, v, nd * sizeof(v[0]));
        stats[i].stuck = v[nd];
        stats[i].oldest_pending_age = v[nd + 1];
        stats[i].oldest_processing_age = v[nd + 2];
        stats[i].failed_24h = v[nd + 3];
        stats[i].completed_1h = v[nd + 4];
    }
    return 0;
}

/* One transaction on an open connection. -1: failed, the connection is
 * still usable; -2: the connection must be dropped. */
static int run_collection(struct qe_db *db, double budget_s, struct qe_queue_stats *stats,
                          char *err, size_t errsz)
{
    PGconn *conn = db->conn;
    double deadline = qe_mono_now() + budget_s + CLIENT_GRACE_S;
    long timeout_ms = lround(budget_s * 1000);
    char begin[96];
    /* SET LOCAL: the limit ends with the transaction, so a pooled server
     * connection is handed back unchanged (session SET would leak). */
    snprintf(begin, sizeof(begin), "BEGIN READ ONLY; SET LOCAL statement_timeout = %ld",
             timeout_ms < 1 ? 1 : timeout_ms);
    int rc = simple(db, begin, deadline, err, errsz);
    PGresult *res = NULL;
    if (rc == 0) {
        if (!PQsendQueryParams(conn, db->query.text, (int)db->query.n_params, NULL,
                               db->query.params, NULL, NULL, 0)) {
            pg_error_line(PQerrorMessage(conn), PG_ERR_KEEP_WHERE, err, errsz);
            rc = -1;
        } else {
            rc = await_results(db, deadline, &res, err, errsz);
        }
    }
    if (rc == 0 && !res) {
        snprintf(err, errsz, "the collection query returned no rows");
        rc = -1;
    }
    if (rc == 0)
        rc = qe_db_parse_result(db->cfg, db->query.n_columns, res, stats, err, errsz);
    PQclear(res);
    if (rc == -2 || PQstatus(conn) != CONNECTION_OK)
        return -2;

    /* End the transaction either way; COMMIT of a failed one rolls back. */
    char end_err[256];
    int erc = simple(db, rc == 0 ? "COMMIT" : "ROLLBACK", deadline, end_err, sizeof(end_err));
    if (erc != 0 && rc == 0) {
        snprintf(err, errsz, "%s", end_err);
        rc = -1;
    }
    if (erc != 0 || PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE)
        return -2;
    return rc;
}

int qe_db_collect(struct qe_db *db, double budget_s, struct qe_queue_stats *stats, char *err,
                  size_t errsz)
{
    double start = qe_mono_now();
    int fresh = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        double left = budget_s - (qe_mono_now() - start);
        if (left <= 0.05) {
            if (attempt == 0)
                snprintf(err, errsz, "no time left for the collection");
            return -1;
        }
        if (!db->conn) {
            if (connect_db(db, left, err, errsz) != 0)
                return -1;
            fresh = 1;
            left = budget_s - (qe_mono_now() - start);
            if (left <= 0.05) {
                snprintf(err, errsz, "connecting used up the collection's time budget");
                return -1;
            }
        }
        int rc = run_collection(db, left, stats, err, errsz);
        if (rc == 0)
            return 0;
        if (rc == -1)
            return -1;
        /* The connection is gone (server restarted, network, deadline):
         * reopen it now, once, unless it was opened in this collection. */
        log_warn("database connection lost: %s", err);
        drop_connection(db);
        if (fresh)
            return -1;
    }
    return -1;
}
