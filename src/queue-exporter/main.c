/* queue-exporter: Supabase job-queue depths as Prometheus metrics.
 * main() wires the pieces together; the logic lives in the other files. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collector.h"
#include "config.h"
#include "contract.h"
#include "db.h"
#include "envtable.h"
#include "http.h"
#include "listenaddr.h"
#include "log.h"
#include "probe.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

#define PROBE_TIMEOUT_S 3.0

static int db_collect(void *ctx, double budget_s, struct qe_queue_stats *stats, char *err,
                      size_t errsz)
{
    return qe_db_collect(ctx, budget_s, stats, err, errsz);
}

static unsigned long db_connects(void *ctx)
{
    return qe_db_connects(ctx);
}

static void log_queues(const struct qe_config *cfg)
{
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const struct qe_queue *q = &cfg->queues[i];
        if (!q->enabled)
            continue;
        log_info("queue %s: table %s%s%s, status column %s, statuses %s/%s/%s/%s (+%zu extra), "
                 "stuck after %g s",
                 q->name, q->schema, q->schema[0] ? "." : "", q->table, q->status_column,
                 q->pending, q->processing, q->completed, q->failed, q->n_extra,
                 qe_queue_stuck_after(cfg, q));
    }
}

static int run_probe(const struct qe_cli *cli)
{
    char err[QE_ERR_MAX];
    struct listen_addr addr;
    if (listen_addr_parse(cli->listen, &addr, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return 2;
    }
    int status = qe_probe(&addr, cli->probe_path, PROBE_TIMEOUT_S, err, sizeof(err));
    if (status < 0) {
        log_error("probe %s: %s", cli->probe_path, err);
        return 1;
    }
    if (status != 200) {
        log_error("probe %s: HTTP %d", cli->probe_path, status);
        return 1;
    }
    return 0;
}

/* Waits for SIGTERM or SIGINT (blocked in every thread, taken here). */
static void wait_for_stop_signal(const sigset_t *set)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("SIGHUP ignored: restart the exporter to reload its configuration");
            continue;
        }
        log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        return;
    }
}

/* Everything that can be wrong in the setup fails here, before listening.
 * Returns 0, or the exit status. */
static int setup(const struct qe_cli *cli, struct qe_config *cfg, struct listen_addr *addr,
                 struct qe_db **db)
{
    char err[QE_ERR_MAX];
    if (env_table_check(&qe_env_table, (env_get_fn)getenv, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return 1;
    }
    qe_config_defaults(cfg);
    if (cli->contract) {
        /* The contract first, so an INI can still rename or add queues. */
        struct contract c;
        if (ct_load_file(cli->contract, &c, err, sizeof(err)) != 0 ||
            qe_config_apply_contract(cfg, &c, err, sizeof(err)) != 0) {
            log_error("invalid schema contract: %s", err);
            return 1;
        }
    }
    if (cli->config && qe_config_load(cfg, cli->config, err, sizeof(err)) != 0) {
        log_error("invalid configuration: %s", err);
        return 1;
    }
    if (listen_addr_parse(cli->listen, addr, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return 2;
    }
    *db = qe_db_new(cfg, getenv("QUEUE_EXPORTER_DSN"), err, sizeof(err));
    if (!*db) {
        log_error("%s", err);
        return 1;
    }
    return 0;
}

/* Listens and collects until SIGTERM or SIGINT. */
static int serve(const struct qe_config *cfg, const struct listen_addr *addr, struct qe_db *db)
{
    char err[QE_ERR_MAX];
    /* Signals go to sigwait() below, not to whichever thread is running;
     * threads created from now on inherit the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a vanished client or server is an error, not death */

    int rc = 0;
    struct qe_collector *col = qe_collector_new(cfg, db_collect, db_connects, db, VERSION);
    if (!col) {
        log_error("out of memory");
        return 1;
    }
    struct qe_http *http = qe_http_start(cfg, addr, col, err, sizeof(err));
    if (!http) {
        log_error("%s", err);
        rc = 1;
    } else {
        log_info("queue-exporter %s listening on http://%s (%zu queues, cache %g s, collection "
                 "timeout %g s, database from %s)",
                 VERSION, addr->text, qe_config_enabled_queues(cfg), cfg->cache_ttl_seconds,
                 cfg->collect_timeout_seconds,
                 getenv("QUEUE_EXPORTER_DSN") ? "QUEUE_EXPORTER_DSN" : "PG* variables");
        log_queues(cfg);
        /* Scrapes that arrive before this simply wait for the first collection. */
        if (qe_collector_start(col) != 0) {
            log_error("cannot start the collector thread: %s", strerror(errno));
            rc = 1;
        } else {
            wait_for_stop_signal(&set);
        }
    }
    /* Abandon the database exchange in progress, then release waiting
     * scrapes, so the HTTP threads can finish. */
    qe_db_request_stop(db);
    qe_collector_stop(col);
    qe_http_stop(http);
    qe_collector_free(col);
    return rc;
}

int main(int argc, char **argv)
{
    log_init("queue-exporter", LOG_LEVEL_INFO);
    char err[QE_ERR_MAX];
    struct qe_cli cli;
    if (qe_cli_parse(&cli, argc, argv, (qe_cli_getenv_fn)getenv, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return 2;
    }
    log_init("queue-exporter", cli.log_level);
    if (cli.action == QE_HELP) {
        fputs(qe_cli_usage(), stdout);
        return 0;
    }
    if (cli.action == QE_VERSION) {
        printf("queue-exporter %s\n", VERSION);
        return 0;
    }
    if (cli.action == QE_PROBE)
        return run_probe(&cli);
    static struct qe_config cfg; /* large; not on the stack */
    struct listen_addr addr;
    struct qe_db *db = NULL;
    int rc = setup(&cli, &cfg, &addr, &db);
    if (rc != 0)
        return rc;
    if (cli.action == QE_CHECK_CONFIG) {
        log_queues(&cfg);
        printf("configuration OK: %zu queues%s%s%s%s%s\n", qe_config_enabled_queues(&cfg),
               cli.contract ? " from the contract " : "", cli.contract ? cli.contract : "",
               cli.config ? (cli.contract ? " and " : " from ") : "", cli.config ? cli.config : "",
               cli.config || cli.contract ? "" : " (built-in defaults)");
        qe_db_free(db);
        return 0;
    }
    rc = serve(&cfg, &addr, db);
    qe_db_free(db);
    if (rc == 0)
        log_info("stopped");
    return rc;
}
