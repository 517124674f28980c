#include "daemon.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "httpserver.h"
#include "log.h"
#include "notice.h"
#include "selfmetrics.h"
#include "statefile.h"

/* Longest sleep of the loop: a clock step is noticed within this. */
#define MAX_SLEEP_S 30

struct wd_daemon {
    const struct wd_settings *cfg;
    const char *version;
    char hostname[256];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wd_state st;
    struct wd_counters cnt;
    int dirty;
    int stopping;
    enum wd_mail attempt_kind;
    int attempts;
    wd_time next_attempt;
};

/* Read by libcurl's progress callback, which has no context pointer. */
static atomic_int stop_requested;

static int abort_transfer(void *p, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)p, (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&stop_requested);
}

static wd_time now_s(void)
{
    return (wd_time)time(NULL);
}

static void log_change(struct wd_daemon *d, enum wd_change ch)
{
    char when[40], span[40];
    const struct wd_state *s = &d->st;
    wd_utc_text(s->outage_since, when, sizeof(when));
    wd_duration_words(now_s() - s->outage_since, span, sizeof(span));
    switch (ch) {
    case WD_CHANGE_OUTAGE:
        log_warn("no heartbeat since %s (%s): outage, alert mail due", when, span);
        break;
    case WD_CHANGE_RECOVERING:
        log_info("heartbeat after %s of silence: recovering, restored mail once steady", span);
        break;
    case WD_CHANGE_RELAPSE:
        log_warn("silent again while recovering: same outage (no new alert)");
        break;
    case WD_CHANGE_RESTORED:
        log_info("heartbeats steady again: outage since %s over, restored mail due", when);
        break;
    case WD_CHANGE_REMINDER:
        log_warn("still silent since %s (%s): reminder due", when, span);
        break;
    case WD_CHANGE_NONE:
        break;
    }
}

static bool on_authorized(void *ctx, const char *authorization)
{
    struct wd_daemon *d = ctx;
    if (wd_bearer_ok(authorization, d->cfg->token))
        return true;
    pthread_mutex_lock(&d->mu);
    d->cnt.rejected[WD_REJECT_UNAUTHORIZED]++;
    pthread_mutex_unlock(&d->mu);
    log_warn("webhook refused (401): %s bearer token", authorization ? "wrong" : "no");
    return false;
}

static int text_reply(struct http_reply *out, unsigned status, const char *text)
{
    out->status = status;
    out->body = strdup(text);
    out->len = out->body ? strlen(text) : 0;
    return out->body ? 0 : -1;
}

static int on_webhook(void *ctx, const char *body, size_t len, struct http_reply *out)
{
    struct wd_daemon *d = ctx;
    char why[200], msg[240];
    if (wd_webhook_check(body, len, d->cfg->cluster, why, sizeof(why)) != 0) {
        pthread_mutex_lock(&d->mu);
        d->cnt.rejected[WD_REJECT_BAD_REQUEST]++;
        pthread_mutex_unlock(&d->mu);
        log_warn("webhook refused (400): %s", why);
        snprintf(msg, sizeof(msg), "not a heartbeat: %s\n", why);
        return text_reply(out, 400, msg);
    }
    pthread_mutex_lock(&d->mu);
    enum wd_change ch = wd_beat(&d->st, &d->cfg->policy, now_s());
    d->cnt.heartbeats++;
    d->dirty = 1;
    log_change(d, ch);
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    log_debug("heartbeat accepted");
    return text_reply(out, 200, "heartbeat recorded\n");
}

static int on_metrics(void *ctx, double wait_s, struct http_reply *out)
{
    (void)wait_s;
    struct wd_daemon *d = ctx;
    struct prom_buf b;
    prom_buf_init(&b);
    pthread_mutex_lock(&d->mu);
    wd_metrics_render(&d->st, &d->cnt, &d->cfg->policy, d->version, &b);
    pthread_mutex_unlock(&d->mu);
    if (sb_failed(&b.sb)) {
        prom_buf_free(&b);
        return -1;
    }
    out->status = 200;
    out->content_type = PROM_CONTENT_TYPE;
    out->len = b.sb.len;
    out->body = sb_take(&b.sb);
    prom_buf_free(&b);
    return out->body ? 0 : -1;
}

/* Saves when something changed; called with the lock held. A failed save
 * is logged and retried at the next change: the watcher keeps watching. */
static void save_if_dirty(struct wd_daemon *d)
{
    if (!d->dirty)
        return;
    char err[400];
    if (wd_statefile_save(d->cfg->state_file, &d->st, err, sizeof(err)) != 0) {
        log_error("cannot save the state: %s", err);
        return;
    }
    d->dirty = 0;
}

/* Sends the pending mail with the lock released; returns with it held. */
static void deliver(struct wd_daemon *d)
{
    enum wd_mail kind = d->st.pending;
    struct wd_state snap = d->st;
    const struct wd_settings *c = d->cfg;
    pthread_mutex_unlock(&d->mu);
    struct wd_notice_ctx nc = {
        c->from, c->to, c->watched, c->cluster, d->hostname, c->policy.grace_s, c->policy.remind_s};
    struct strbuf msg;
    sb_init(&msg);
    wd_time t0 = now_s();
    wd_notice_compose(kind, &snap, &nc, t0, &msg);
    char err[512] = "out of memory";
    enum smtp_result r = SMTP_TEMPORARY;
    if (!sb_failed(&msg))
        r = smtp_send(&c->smtp, c->from_addr, c->rcpt, c->nrcpt, msg.data, msg.len, err,
                      sizeof(err));
    sb_free(&msg);
    pthread_mutex_lock(&d->mu);
    if (r == SMTP_OK) {
        d->cnt.sent[kind]++;
        wd_mail_delivered(&d->st, kind, now_s());
        d->attempts = 0;
        d->next_attempt = 0;
        d->dirty = 1;
        log_info("%s mail delivered to %s", wd_mail_name(kind), c->to);
        return;
    }
    d->cnt.failed[kind]++;
    d->attempts++;
    int delay = smtp_backoff_delay(c->backoff_s, d->attempts + 1);
    d->next_attempt = now_s() + delay;
    log_error("%s mail not delivered (attempt %d, %s): %s; next attempt in %d s",
              wd_mail_name(kind), d->attempts, r == SMTP_PERMANENT ? "refused" : "temporary", err,
              delay);
}

static void wait_until(struct wd_daemon *d, wd_time when)
{
    wd_time now = now_s();
    if (when == 0 || when > now + MAX_SLEEP_S)
        when = now + MAX_SLEEP_S;
    if (when <= now)
        return;
    struct timespec ts = {.tv_sec = (time_t)when, .tv_nsec = 0};
    pthread_cond_timedwait(&d->cv, &d->mu, &ts);
}

static void loop(struct wd_daemon *d)
{
    const struct wd_policy *p = &d->cfg->policy;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        enum wd_change ch = wd_tick(&d->st, p, now_s());
        if (ch != WD_CHANGE_NONE) {
            log_change(d, ch);
            d->dirty = 1;
        }
        save_if_dirty(d);
        if (d->st.pending != d->attempt_kind) { /* a new mail: attempt it now */
            d->attempt_kind = d->st.pending;
            d->attempts = 0;
            d->next_attempt = 0;
        }
        if (d->st.pending != WD_MAIL_NONE && now_s() >= d->next_attempt) {
            deliver(d);
            continue;
        }
        wd_time next = wd_next_deadline(&d->st, p);
        if (d->st.pending != WD_MAIL_NONE && (next == 0 || d->next_attempt < next))
            next = d->next_attempt;
        wait_until(d, next);
    }
    save_if_dirty(d);
    pthread_mutex_unlock(&d->mu);
}

static void *signal_thread(void *arg)
{
    struct wd_daemon *d = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("SIGHUP ignored: restart the watcher to reload its settings");
            continue;
        }
        log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        atomic_store(&stop_requested, 1);
        pthread_mutex_lock(&d->mu);
        d->stopping = 1;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
        return NULL;
    }
}

static int load_state(struct wd_daemon *d)
{
    char err[600], when[40];
    wd_time now = now_s();
    wd_state_init(&d->st, now);
    int rc = wd_statefile_load(d->cfg->state_file, &d->st, err, sizeof(err));
    if (rc < 0) {
        log_error("%s", err);
        return -1;
    }
    wd_start(&d->st, now);
    wd_utc_text(d->st.last_beat, when, sizeof(when));
    log_info("%s: phase %s, last heartbeat %s, pending mail %s", d->cfg->state_file,
             rc == 0 ? "none yet (first start)" : wd_phase_name(d->st.phase), when,
             wd_mail_name(d->st.pending));
    /* Save now, before serving, not at the first heartbeat: a state file that
     * cannot be written shows in the log at start, and anything that sees
     * /healthz answer also sees the file. */
    d->dirty = 1;
    save_if_dirty(d);
    return 0;
}

int wd_daemon_run(struct wd_settings *cfg, const char *version)
{
    static struct wd_daemon d; /* static: the signal thread may outlive a stack frame */
    memset(&d, 0, sizeof(d));
    d.cfg = cfg;
    d.version = version;
    if (gethostname(d.hostname, sizeof(d.hostname) - 1) != 0)
        snprintf(d.hostname, sizeof(d.hostname), "watcher");
    pthread_mutex_init(&d.mu, NULL);
    pthread_cond_init(&d.cv, NULL);
    if (load_state(&d) != 0)
        return 1;
    cfg->smtp.progress = abort_transfer; /* a stop request aborts a transfer */

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct http_endpoints ep = {.ctx = &d,
                                .metrics = on_metrics,
                                .default_wait_s = 5,
                                .post_path = "/webhook",
                                .post_max_body = WD_WEBHOOK_MAX_BODY,
                                .authorized = on_authorized,
                                .post = on_webhook};
    struct http_limits lim = {
        .threads = 2, .max_connections = 64, .max_connections_per_ip = 16, .idle_timeout_s = 10};
    char err[400];
    struct http_server *srv = http_server_start(&cfg->listen, &lim, &ep, err, sizeof(err));
    if (!srv) {
        log_error("%s", err);
        return 1;
    }
    char grace[40];
    wd_duration_words(cfg->policy.grace_s, grace, sizeof(grace));
    log_info("watcher %s listening on http://%s (POST /webhook, /metrics, /healthz); watching "
             "cluster %s, grace %s, mail via %s:%d to %s",
             version, cfg->listen.text, cfg->cluster, grace, cfg->smtp.host, cfg->smtp.port,
             cfg->to);
    pthread_t sig;
    if (pthread_create(&sig, NULL, signal_thread, &d) != 0) {
        log_error("cannot start the signal thread: %s", strerror(errno));
        http_server_stop(srv);
        return 1;
    }
    loop(&d);
    pthread_join(sig, NULL);
    http_server_stop(srv);
    return 0;
}
