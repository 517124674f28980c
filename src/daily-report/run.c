#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "cancel.h"
#include "collect.h"
#include "log.h"
#include "mime.h"
#include "render.h"
#include "strbuf.h"

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

double dr_run_limit_s(const struct config *c)
{
    double limit = 12 * 30.0 + c->db_timeout_s + 60;
    for (int a = 1; a <= c->smtp_attempts; a++)
        limit += 120 + (a > 1 ? smtp_backoff_delay(c->smtp_backoff_s, a) : 0);
    return limit;
}

static void build(const struct config *c, struct report *r, struct run_outcome *o)
{
    memset(o, 0, sizeof(*o));
    dr_report_init(r, time(NULL));
    o->at = r->at;
    r->grafana_url = c->grafana_url;
    dr_collect_report(c, r);
    o->unavailable = dr_report_unavailable_count(r);
    for (int i = 0; i < SEC_COUNT; i++)
        o->section_unavailable[i] = !r->sec[i].available;
}

enum run_status dr_run_send(const struct config *c, dr_sleep_fn sleep_fn, struct run_outcome *o)
{
    double t0 = now_s();
    struct report r;
    build(c, &r, o);

    struct strbuf text, html, msg;
    sb_init(&text);
    sb_init(&html);
    sb_init(&msg);
    char subject[200], err[1024];
    dr_render_subject(&r, subject, sizeof(subject));
    dr_render_text(&r, &text);
    dr_render_html(&r, IMG_CID, &html);

    struct mime_image imgs[2];
    size_t nimg = 0;
    if (r.cpu_chart.data)
        imgs[nimg++] =
            (struct mime_image){CID_CPU_CHART, "cpu-24h.png", r.cpu_chart.data, r.cpu_chart.len};
    if (r.queue_chart.data)
        imgs[nimg++] = (struct mime_image){CID_QUEUE_CHART, "queue-depth-24h.png",
                                           r.queue_chart.data, r.queue_chart.len};
    struct mime_message m = {
        .from_header = c->from_header,
        .from_addr = c->from_addr,
        .to = c->rcpt,
        .nto = c->nrcpt,
        .subject = subject,
        .date = time(NULL),
        .report_time = (long long)r.at,
        .text = sb_str(&text),
        .html = sb_str(&html),
        .images = imgs,
        .nimages = nimg,
    };
    enum run_status st = RUN_NOT_SENT;
    if (dr_cancel_requested()) {
        log_warn("stop requested; the report is not sent");
        goto done;
    }
    if (sb_failed(&text) || sb_failed(&html)) {
        log_error("out of memory rendering the report");
        goto done;
    }
    if (dr_mime_build(&m, &msg, err, sizeof(err)) != 0) {
        log_error("cannot build the message: %s", err);
        goto done;
    }
    log_info("sending \"%s\" (%zu bytes, %d section(s) unavailable) to %zu recipient(s) via %s:%d",
             subject, msg.len, o->unavailable, c->nrcpt, c->smtp_host, c->smtp_port);
    if (dr_send_with_retry(c, msg.data, msg.len, sleep_fn, &o->attempts, err, sizeof(err)) != 0) {
        log_error("report not sent after %d attempt(s): %s", o->attempts, err);
        goto done;
    }
    o->delivered = 1;
    log_info("report delivered (attempt %d)", o->attempts);
    st = o->unavailable ? RUN_DEGRADED : RUN_OK;
done:
    sb_free(&text);
    sb_free(&html);
    sb_free(&msg);
    dr_report_free(&r);
    o->duration = now_s() - t0;
    return st;
}

enum run_status dr_run_dry(const struct config *c, const char *path, struct run_outcome *o)
{
    double t0 = now_s();
    struct report r;
    build(c, &r, o);
    struct strbuf html;
    sb_init(&html);
    dr_render_html(&r, IMG_DATA_URI, &html);
    enum run_status st = RUN_NOT_SENT;
    if (sb_failed(&html)) {
        log_error("out of memory rendering the report");
        goto done;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        log_error("--out %s: %s", path, strerror(errno));
        goto done;
    }
    size_t w = fwrite(html.data, 1, html.len, f);
    if (fclose(f) != 0 || w != html.len) {
        log_error("--out %s: write failed", path);
        goto done;
    }
    o->delivered = 1;
    log_info("report written to %s (%zu bytes, %d section(s) unavailable)", path, html.len,
             o->unavailable);
    st = o->unavailable ? RUN_DEGRADED : RUN_OK;
done:
    sb_free(&html);
    dr_report_free(&r);
    o->duration = now_s() - t0;
    return st;
}
