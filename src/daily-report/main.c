/* daily-report: the 08:00 health email of the monitoring stack.
 * Modes: daemon (default), --once, --dry-run --out FILE.html, --healthcheck.
 * See docs/daily-report.md. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cancel.h"
#include "chart.h"
#include "cli.h"
#include "fmt.h"
#include "httpclient.h"
#include "listenaddr.h"
#include "log.h"
#include "run.h"
#include "schedule.h"
#include "selfmetrics.h"
#include "settings.h"
#include "smtpsend.h"
#include "state.h"

static sigset_t g_sigs; /* signals the daemon takes synchronously */
static int g_daemon;    /* signals are blocked and taken with sigtimedwait */
static int g_stop;      /* SIGTERM/SIGINT received */
static int g_run_now;   /* SIGUSR1 received */

/* Waits up to `seconds`, returning early on a signal. Returns 1 when the
 * program must stop. */
static int wait_or_signal(int seconds)
{
    if (!g_daemon) {
        struct timespec ts = {seconds, 0};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        return 0;
    }
    struct timespec ts = {seconds, 0};
    siginfo_t si;
    int sig = sigtimedwait(&g_sigs, &si, &ts);
    if (sig == SIGTERM || sig == SIGINT) {
        log_info("received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        g_stop = 1;
    } else if (sig == SIGUSR1) {
        g_run_now = 1;
    }
    return g_stop;
}

/* Cancellation check for long transfers: a SIGTERM/SIGINT waiting in the
 * blocked set means stop (see cancel.h). */
static int stop_pending(void)
{
    sigset_t pending;
    if (!g_stop && sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1)) {
        log_info("stop requested, abandoning the run");
        g_stop = 1;
    }
    return g_stop;
}

/* Retry backoff: sleeps through SIGUSR1 (a run is already under way). */
static int retry_sleep(int seconds)
{
    time_t end = time(NULL) + seconds;
    while (!g_stop) {
        time_t now = time(NULL);
        if (now >= end)
            break;
        wait_or_signal((int)(end - now));
    }
    g_run_now = 0;
    return g_stop;
}

static void record(struct metrics *m, const struct run_outcome *o, enum run_status st,
                   const char *state_file)
{
    pthread_mutex_lock(&m->mu);
    m->runs_total++;
    m->last_attempt = (double)o->at;
    m->last_duration = o->duration;
    m->have_sections = 1;
    for (int i = 0; i < SEC_COUNT; i++)
        m->section_unavailable[i] = o->section_unavailable[i];
    if (st == RUN_NOT_SENT)
        m->failures_total++;
    else
        m->last_success = (double)time(NULL);
    double ls = m->last_success;
    pthread_mutex_unlock(&m->mu);
    if (st != RUN_NOT_SENT) {
        char err[512];
        if (dr_state_save(state_file, (time_t)ls, err, sizeof(err)) != 0)
            log_error("%s (the last-success time will read 0 after a restart)", err);
    }
}

static enum run_status once(const struct config *c)
{
    struct run_outcome o;
    enum run_status st = dr_run_send(c, retry_sleep, &o);
    if (st != RUN_NOT_SENT) {
        char err[512];
        if (dr_state_save(c->state_file, time(NULL), err, sizeof(err)) != 0)
            log_warn("%s", err);
    }
    return st;
}

static void log_sources(const struct config *c)
{
    char p[512] = "(unset)", a[512] = "(unset)";
    if (c->prometheus_url)
        http_redact_url(c->prometheus_url, p, sizeof(p));
    if (c->alertmanager_url)
        http_redact_url(c->alertmanager_url, a, sizeof(a));
    log_info("sources: prometheus=%s alertmanager=%s database=%s", p, a,
             c->db_dsn ? "(set)" : "(unset)");
    log_info("delivery: %s:%d tls=%s auth=%s from=%s recipients=%zu attempts=%d backoff=%ds",
             c->smtp_host, c->smtp_port, smtp_tls_name(c->smtp_tls), c->smtp_user ? "yes" : "no",
             c->from_addr, c->nrcpt, c->smtp_attempts, c->smtp_backoff_s);
}

/* Sleeps until the next REPORT_TIME or SIGUSR1; false when stopping (or
 * the next run time cannot be computed). */
static bool wait_for_next_run(const struct config *c, struct metrics *m)
{
    char when[64];
    time_t next = dr_schedule_next(time(NULL), c->hour, c->minute);
    if (next == (time_t)-1) {
        log_error("cannot compute the next run time");
        return false;
    }
    pthread_mutex_lock(&m->mu);
    m->next_run = (double)next;
    pthread_mutex_unlock(&m->mu);
    dr_fmt_local(next, when, sizeof(when));
    log_info("next report at %s", when);
    /* Short waits, re-reading the clock, so a suspended VM or a clock step
     * does not make us miss the time. */
    while (!g_stop && !g_run_now) {
        time_t now = time(NULL);
        if (now >= next)
            break;
        wait_or_signal(next - now > 60 ? 60 : (int)(next - now));
    }
    if (g_stop)
        return false;
    if (g_run_now)
        log_info("SIGUSR1: sending a report now");
    return true;
}

static int daemon_loop(const struct config *c)
{
    char err[512];
    time_t last_success = 0;
    if (dr_state_load(c->state_file, &last_success, err, sizeof(err)) != 0)
        log_warn("%s; starting from 0", err);
    struct metrics m;
    dr_metrics_init(&m, (double)time(NULL), (double)last_success);
    m.run_limit_s = dr_run_limit_s(c);

    /* Block the signals before MHD starts its thread, so they are only
     * ever taken here with sigtimedwait. */
    sigemptyset(&g_sigs);
    sigaddset(&g_sigs, SIGTERM);
    sigaddset(&g_sigs, SIGINT);
    sigaddset(&g_sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &g_sigs, NULL);
    g_daemon = 1;
    dr_cancel_set_check(stop_pending);

    struct metrics_server *srv = dr_metrics_server_start(c->metrics_listen, &m, err, sizeof(err));
    if (!srv) {
        log_error("%s", err);
        dr_metrics_destroy(&m);
        return 1;
    }
    char when[64];
    log_info("daily-report " VERSION " daemon: report every day at %02d:%02d %s; metrics on "
             "http://%s/metrics; state in %s",
             c->hour, c->minute, c->tz, c->metrics_listen, c->state_file);
    log_sources(c);
    if (last_success > 0) {
        dr_fmt_local(last_success, when, sizeof(when));
        log_info("last successful report: %s", when);
    }

    time_t now = time(NULL);
    time_t prev = dr_schedule_catchup(now, last_success, c->hour, c->minute, c->catchup_minutes);
    pthread_mutex_lock(&m.mu);
    m.next_run = (double)dr_schedule_next(now, c->hour, c->minute);
    pthread_mutex_unlock(&m.mu);
    /* A restart shortly after REPORT_TIME must not skip the day's report. */
    if (prev != 0) {
        dr_fmt_local(prev, when, sizeof(when));
        log_info("the report due at %s was not sent; sending it now", when);
        g_run_now = 1;
    }
    while (!g_stop) {
        if (!g_run_now && !wait_for_next_run(c, &m))
            break;
        g_run_now = 0;
        struct run_outcome o;
        dr_metrics_run_begin(&m, (double)time(NULL));
        enum run_status st = dr_run_send(c, retry_sleep, &o);
        dr_metrics_run_end(&m);
        if (g_stop && st == RUN_NOT_SENT)
            break; /* abandoned for the stop: not a delivery failure */
        record(&m, &o, st, c->state_file);
        /* Past REPORT_TIME now, so dr_schedule_next() moves to tomorrow. */
    }
    dr_metrics_server_stop(srv);
    dr_metrics_destroy(&m);
    log_info("stopped");
    return 0;
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

static int healthcheck(const char *listen)
{
    struct listen_addr bound, a;
    char url[256], err[512];
    if (listen_addr_parse(listen, &bound, err, sizeof(err)) != 0) {
        fprintf(stderr, "daily-report: --metrics-listen: %s\n", err);
        return RUN_CONFIG_ERROR;
    }
    listen_addr_connectable(&bound, &a);
    snprintf(url, sizeof(url), "http://%s/-/healthy", a.text);
    struct http_response r;
    if (http_get(url, 5L, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "daily-report: unhealthy: %s\n", err);
        return 1;
    }
    long status = r.status;
    http_response_free(&r);
    if (status != 200) {
        fprintf(stderr, "daily-report: unhealthy: %s answered HTTP %ld\n", url, status);
        return 1;
    }
    return 0;
}

/* Returns -1 to go on, or the exit status (--help, --version, errors). */
static int parse_cli(int argc, char **argv, struct dr_cli *c)
{
    char err[256];
    switch (dr_cli_parse(argc, argv, c, err, sizeof(err))) {
    case DR_CLI_RUN:
        return -1;
    case DR_CLI_HELP:
        dr_cli_usage(stdout);
        return 0;
    case DR_CLI_VERSION:
        printf("daily-report %s\n", VERSION);
        return 0;
    case DR_CLI_USAGE:
        if (err[0])
            fprintf(stderr, "daily-report: %s\n", err);
        dr_cli_usage(stderr);
        return RUN_CONFIG_ERROR;
    case DR_CLI_ERROR:
        break;
    }
    fprintf(stderr, "daily-report: %s\n", err);
    return RUN_CONFIG_ERROR;
}

/* The chosen mode, once the configuration is loaded. */
static int run_mode(const struct dr_cli *cli, struct config *cfg)
{
    char err[1024];
    if (cli->health)
        return healthcheck(cfg->metrics_listen);
    if (dr_schedule_use_tz(cfg->tz) != 0) {
        log_error("REPORT_TZ: cannot set the time zone");
        return RUN_CONFIG_ERROR;
    }
    if (cli->dry) {
        struct run_outcome ro;
        return dr_run_dry(cfg, cli->out, &ro);
    }
    if (dr_config_load_delivery(cfg, env_get, err, sizeof(err)) != 0) {
        log_error("configuration: %s", err);
        return RUN_CONFIG_ERROR;
    }
    if (!cli->once)
        return daemon_loop(cfg);
    log_sources(cfg);
    return once(cfg);
}

int main(int argc, char **argv)
{
    log_init("daily-report", LOG_LEVEL_INFO);
    struct dr_cli cli;
    int rc = parse_cli(argc, argv, &cli);
    if (rc >= 0)
        return rc;
    struct config cfg;
    char err[1024];
    if (dr_config_load(&cfg, env_get, err, sizeof(err)) != 0) {
        log_error("configuration: %s", err);
        return RUN_CONFIG_ERROR;
    }
    if (cli.listen)
        cfg.metrics_listen = cli.listen;
    if (cli.state_file)
        cfg.state_file = cli.state_file;
    if (http_global_init("daily-report/" VERSION, dr_cancel_xferinfo) != 0) {
        log_error("cannot initialise libcurl");
        dr_config_free(&cfg);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    rc = run_mode(&cli, &cfg);
    dr_config_free(&cfg);
    http_global_cleanup();
    dr_chart_global_cleanup();
    return rc;
}
