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
    struct qe_query query;      /* built per connection (PQescapeIdentifier needs one) */
    struct qe_query *per_queue; /* cfg->n_queues entries: the fallback, one queue each */
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
    if (db->per_queue)
        for (size_t i = 0; i < db->cfg->n_queues; i++)
            qe_query_free(&db->per_queue[i]);
    free(db->per_queue);
    db->per_queue = NULL;
}

/* The query of every queue and the one-queue queries, for conn. */
static int build_queries(struct qe_db *db, PGconn *conn, char *err, size_t errsz)
{
    if (qe_query_build(&db->query, db->cfg, qe_db_quote_ident, conn, err, errsz) != 0)
        return -1;
    db->per_queue = calloc(db->cfg->n_queues ? db->cfg->n_queues : 1, sizeof(*db->per_queue));
    if (!db->per_queue) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < db->cfg->n_queues; i++)
        if (db->cfg->queues[i].enabled &&
            qe_query_build_queue(&db->per_queue[i], db->cfg, i, qe_db_quote_ident, conn, err,
                                 errsz) != 0)
            return -1;
    return 0;
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
    db->conn = conn;
    if (build_queries(db, conn, err, errsz) != 0) {
        drop_connection(db);
        return -1;
    }
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

/* The columns of queue q from res's one row, starting at *col. */
static int parse_queue(const struct qe_queue *q, const PGresult *res, int *col,
                       struct qe_queue_stats *st, char *err, size_t errsz)
{
    double v[QE_MAX_DEPTH_STATUSES + QE_SQL_FIXED_COLUMNS] = {0};
    size_t ncols = qe_query_queue_columns(q);
    for (size_t c = 0; c < ncols; c++, (*col)++) {
        const char *s = PQgetisnull(res, 0, *col) ? "0" : PQgetvalue(res, 0, *col);
        char *end = NULL;
        v[c] = strtod(s, &end);
        if (end == s || *end != '\0' || !isfinite(v[c])) {
            snprintf(err, errsz, "queue %s: column %d is not a number", q->name, *col + 1);
            return -1;
        }
    }
    memset(st, 0, sizeof(*st));
    size_t nd = qe_queue_depth_count(q);
    memcpy(st->depth, v, nd * sizeof(v[0]));
    st->stuck = v[nd];
    st->oldest_pending_age = v[nd + 1];
    st->oldest_processing_age = v[nd + 2];
    st->failed_24h = v[nd + 3];
    st->completed_1h = v[nd + 4];
    return 0;
}

static int check_shape(const PGresult *res, size_t n_columns, char *err, size_t errsz)
{
    if (PQntuples(res) != 1 || (size_t)PQnfields(res) != n_columns) {
        snprintf(err, errsz, "unexpected result shape: %d rows, %d columns (expected 1, %zu)",
                 PQntuples(res), PQnfields(res), n_columns);
        return -1;
    }
    return 0;
}

int qe_db_parse_result(const struct qe_config *cfg, size_t n_columns, const PGresult *res,
                       struct qe_queue_stats *stats, char *err, size_t errsz)
{
    if (check_shape(res, n_columns, err, errsz) != 0)
        return -1;
    int col = 0;
    for (size_t i = 0; i < cfg->n_queues; i++) {
        memset(&stats[i], 0, sizeof(stats[i]));
        if (cfg->queues[i].enabled &&
            parse_queue(&cfg->queues[i], res, &col, &stats[i], err, errsz) != 0)
            return -1;
    }
    return 0;
}

/* Sends query q and waits for its one row. -1: the statement failed (the
 * transaction is aborted, the connection usable); -2: connection gone. */
static int run_query(struct qe_db *db, const struct qe_query *q, double deadline, PGresult **res,
                     char *err, size_t errsz)
{
    *res = NULL;
    if (!PQsendQueryParams(db->conn, q->text, (int)q->n_params, NULL, q->params, NULL, NULL, 0)) {
        pg_error_line(PQerrorMessage(db->conn), PG_ERR_KEEP_WHERE, err, errsz);
        return -1;
    }
    int rc = await_results(db, deadline, res, err, errsz);
    if (rc == 0 && !*res) {
        snprintf(err, errsz, "the collection query returned no rows");
        rc = -1;
    }
    if (rc == 0)
        rc = check_shape(*res, q->n_columns, err, errsz);
    return rc;
}

/* After the query of every queue failed: each enabled queue alone, each
 * after ROLLBACK TO the savepoint taken before it, with what is left of
 * the budget as its statement_timeout. A queue whose query fails is marked
 * failed; the others get their values. Returns 0 (every queue read), 1
 * (some failed, err names the first), -1 (none could be tried), -2
 * (connection gone). */
static int per_queue_fallback(struct qe_db *db, double budget_end, double deadline,
                              struct qe_queue_stats *stats, char *err, size_t errsz)
{
    size_t failed = 0, tried = 0;
    char first[256] = "";
    for (size_t i = 0; i < db->cfg->n_queues; i++) {
        const struct qe_queue *q = &db->cfg->queues[i];
        memset(&stats[i], 0, sizeof(stats[i]));
        if (!q->enabled)
            continue;
        char qerr[256] = "";
        double left = budget_end - qe_mono_now();
        int rc = -1;
        if (left <= 0.05) {
            snprintf(qerr, sizeof(qerr), "no time left in the collection's budget");
        } else {
            char sql[128];
            snprintf(sql, sizeof(sql),
                     "ROLLBACK TO SAVEPOINT qe_all; SET LOCAL statement_timeout = %ld",
                     lround(left * 1000) < 1 ? 1 : lround(left * 1000));
            rc = simple(db, sql, deadline, qerr, sizeof(qerr));
            PGresult *res = NULL;
            if (rc == 0)
                rc = run_query(db, &db->per_queue[i], deadline, &res, qerr, sizeof(qerr));
            int col = 0;
            if (rc == 0)
                rc = parse_queue(q, res, &col, &stats[i], qerr, sizeof(qerr));
            PQclear(res);
            if (rc == -2)
                return -2;
            tried++;
        }
        if (rc != 0) {
            stats[i].failed = 1;
            if (!failed++)
                snprintf(first, sizeof(first), "%s", qerr);
            log_warn("queue %s: cannot read its table: %s", q->name, qerr);
        }
    }
    if (!failed)
        return 0;
    if (!tried) {
        snprintf(err, errsz, "%s", first);
        return -1;
    }
    snprintf(err, errsz, "%zu of %zu queues could not be read; first: %s", failed,
             qe_config_enabled_queues(db->cfg), first);
    return 1;
}

/* One transaction on an open connection: the query of every queue, and
 * when it fails (not for lack of time) the per-queue fallback. Returns 0,
 * 1 (some queues failed, marked in stats), -1: failed, the connection is
 * still usable; -2: the connection must be dropped. */
static int run_collection(struct qe_db *db, double budget_s, struct qe_queue_stats *stats,
                          char *err, size_t errsz)
{
    PGconn *conn = db->conn;
    double budget_end = qe_mono_now() + budget_s;
    double deadline = budget_end + CLIENT_GRACE_S;
    long timeout_ms = lround(budget_s * 1000);
    char begin[128];
    /* SET LOCAL: the limit ends with the transaction, so a pooled server
     * connection is handed back unchanged (session SET would leak). The
     * savepoint lets the fallback go on after the first query failed. */
    snprintf(begin, sizeof(begin),
             "BEGIN READ ONLY; SET LOCAL statement_timeout = %ld; SAVEPOINT qe_all",
             timeout_ms < 1 ? 1 : timeout_ms);
    int rc = simple(db, begin, deadline, err, errsz);
    PGresult *res = NULL;
    if (rc == 0)
        rc = run_query(db, &db->query, deadline, &res, err, errsz);
    if (rc == 0)
        rc = qe_db_parse_result(db->cfg, db->query.n_columns, res, stats, err, errsz);
    PQclear(res);
    if (rc == -1 && PQstatus(conn) == CONNECTION_OK && budget_end - qe_mono_now() > 0.05 &&
        PQtransactionStatus(conn) == PQTRANS_INERROR) {
        /* One queue's table may be broken: find which, keep the others. */
        char whole[256];
        snprintf(whole, sizeof(whole), "%s", err);
        rc = per_queue_fallback(db, budget_end, deadline, stats, err, errsz);
        if (rc == -1 && !err[0])
            snprintf(err, errsz, "%s", whole);
    }
    if (rc == -2 || PQstatus(conn) != CONNECTION_OK)
        return -2;

    /* End the transaction either way; COMMIT of a failed one rolls back. */
    char end_err[256];
    int erc = simple(db, rc == 0 ? "COMMIT" : "ROLLBACK", deadline, end_err, sizeof(end_err));
    if (erc != 0 && rc >= 0) {
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
        if (rc >= -1)
            return rc;
        /* The connection is gone (server restarted, network, deadline):
         * reopen it now, once, unless it was opened in this collection. */
        log_warn("database connection lost: %s", err);
        drop_connection(db);
        if (fresh)
            return -1;
    }
    return -1;
}
