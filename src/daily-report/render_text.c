#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "fmt.h"

static int section(struct strbuf *b, const struct report *r, enum section_id id, const char *title)
{
    sb_printf(b, "\n%s\n", title);
    if (r->sec[id].available)
        return 1;
    sb_puts(b, "  UNAVAILABLE: ");
    dr_sb_append_text(b, r->sec[id].reason);
    sb_puts(b, "\n");
    return 0;
}

static void more_rows(struct strbuf *b, const char *what, size_t n)
{
    if (n > REPORT_TABLE_ROWS)
        sb_printf(b, "  ... and %zu more %s not listed.\n", n - REPORT_TABLE_ROWS, what);
}

static void infra(struct strbuf *b, const struct report *r)
{
    if (!section(b, r, SEC_INFRA, "INFRASTRUCTURE (Prometheus)"))
        return;
    for (size_t i = 0; i < r->nservers && i < REPORT_TABLE_ROWS; i++) {
        const struct server_row *s = &r->servers[i];
        char c[32], cm[32], m[32], mm[32], d[32], dm[32];
        dr_fmt_pct(s->cpu, c, sizeof(c));
        dr_fmt_pct(s->cpu_max, cm, sizeof(cm));
        dr_fmt_pct(s->ram, m, sizeof(m));
        dr_fmt_pct(s->ram_max, mm, sizeof(mm));
        dr_fmt_pct(s->disk, d, sizeof(d));
        dr_fmt_pct(s->disk_max, dm, sizeof(dm));
        sb_puts(b, "  ");
        dr_sb_append_text(b, s->name[0] ? s->name : "(no server label)");
        sb_printf(b, ": %s, CPU %s (24 h max %s), RAM %s (24 h max %s), disk %s (24 h max %s)\n",
                  s->up ? "UP" : "DOWN", c, cm, m, mm, d, dm);
    }
    more_rows(b, "servers", r->nservers);
}

static void queues(struct strbuf *b, const struct report *r)
{
    if (!section(b, r, SEC_QUEUES, "PROCESSING QUEUES (Prometheus, queue-exporter)"))
        return;
    for (size_t i = 0; i < r->nqueues && i < REPORT_TABLE_ROWS; i++) {
        const struct queue_row *q = &r->queues[i];
        char p[32], pr[32], f[32], s[32], f24[32];
        dr_fmt_count(q->pending, p, sizeof(p));
        dr_fmt_count(q->processing, pr, sizeof(pr));
        dr_fmt_count(q->failed, f, sizeof(f));
        dr_fmt_count(q->stuck, s, sizeof(s));
        dr_fmt_count(q->failed_24h, f24, sizeof(f24));
        sb_puts(b, "  ");
        dr_sb_append_text(b, q->name);
        sb_printf(b,
                  ": pending %s, processing %s, failed %s, stuck > 35 min %s, "
                  "failed in the last 24 h %s\n",
                  p, pr, f, s, f24);
    }
    more_rows(b, "queues", r->nqueues);
}

/* One business figure: its count, or why it is unavailable. */
static const char *fig(const struct business *z, enum dr_fig f, long v, char *buf, size_t bufsz)
{
    if (z->why[f][0])
        snprintf(buf, bufsz, "%s", z->why[f]);
    else
        snprintf(buf, bufsz, "%ld", v);
    return buf;
}

static void business(struct strbuf *b, const struct report *r)
{
    if (!section(b, r, SEC_BUSINESS, "BUSINESS (Supabase)"))
        return;
    const struct business *z = &r->biz;
    char a1[DR_WHY_MAX], a2[DR_WHY_MAX], a3[DR_WHY_MAX], a4[DR_WHY_MAX];
    sb_printf(b, "  Incidents, last 24 h: %s (critical %s, major %s, minor %s)\n",
              fig(z, DR_FIG_INCIDENTS_24H, z->incidents_24h, a1, sizeof(a1)),
              fig(z, DR_FIG_INCIDENTS_CRITICAL, z->incidents_24h_critical, a2, sizeof(a2)),
              fig(z, DR_FIG_INCIDENTS_MAJOR, z->incidents_24h_major, a3, sizeof(a3)),
              fig(z, DR_FIG_INCIDENTS_MINOR, z->incidents_24h_minor, a4, sizeof(a4)));
    sb_printf(b, "  Incidents, previous 24 h: %s\n",
              fig(z, DR_FIG_INCIDENTS_PREV_24H, z->incidents_prev_24h, a1, sizeof(a1)));
    char pct[32];
    bool cov_ok = !z->why[DR_FIG_FLEET_TOTAL][0] && !z->why[DR_FIG_FLEET_REPORTING][0];
    dr_fmt_pct(cov_ok && z->fleet_total > 0
                   ? 100.0 * (double)z->fleet_reporting / (double)z->fleet_total
                   : NAN,
               pct, sizeof(pct));
    sb_printf(b, "  GPS coverage: %s of %s vehicles reported in the last 10 min (%s)\n",
              fig(z, DR_FIG_FLEET_REPORTING, z->fleet_reporting, a1, sizeof(a1)),
              fig(z, DR_FIG_FLEET_TOTAL, z->fleet_total, a2, sizeof(a2)), pct);
    sb_printf(
        b, "  Failed transcriptions: %s in the last 24 h, %s in total\n",
        fig(z, DR_FIG_TRANSCRIPTIONS_FAILED_24H, z->transcriptions_failed_24h, a1, sizeof(a1)),
        fig(z, DR_FIG_TRANSCRIPTIONS_FAILED_TOTAL, z->transcriptions_failed_total, a2, sizeof(a2)));
    sb_printf(b, "  Failed PDF jobs: %s in the last 24 h, %s in total\n",
              fig(z, DR_FIG_PDF_FAILED_24H, z->pdf_failed_24h, a1, sizeof(a1)),
              fig(z, DR_FIG_PDF_FAILED_TOTAL, z->pdf_failed_total, a2, sizeof(a2)));
}

static void alerts(struct strbuf *b, const struct report *r)
{
    if (!section(b, r, SEC_ALERTS, "ACTIVE ALERTS (Alertmanager)"))
        return;
    if (r->alerts.watchdog)
        sb_puts(b, "  Alerting pipeline: alive (the Watchdog alert reaches Alertmanager).\n");
    else
        sb_puts(b, "  WARNING: the Watchdog alert is missing: Prometheus is not evaluating rules\n"
                   "  or cannot reach Alertmanager, so other alerts may be missing too.\n");
    if (r->alerts.n == 0)
        sb_puts(b, "  No active alerts.\n");
    for (size_t i = 0; i < r->alerts.n && i < REPORT_TABLE_ROWS; i++) {
        const struct am_alert *a = &r->alerts.items[i];
        char since[64], dur[32];
        dr_fmt_local(a->since, since, sizeof(since));
        dr_fmt_duration((long)(r->at - a->since), dur, sizeof(dur));
        sb_puts(b, "  [");
        dr_sb_append_text(b, a->severity[0] ? a->severity : "none");
        sb_puts(b, "] ");
        dr_sb_append_text(b, a->name);
        if (a->server[0]) {
            sb_puts(b, " on ");
            dr_sb_append_text(b, a->server);
        }
        sb_printf(b, " since %s (for %s)", since, dur);
        if (a->summary[0]) {
            sb_puts(b, ": ");
            dr_sb_append_text(b, a->summary);
        }
        sb_puts(b, "\n");
    }
    more_rows(b, "alerts", r->alerts.n);
}

void dr_render_text(const struct report *r, struct strbuf *b)
{
    char when[96];
    dr_fmt_local_long(r->at, when, sizeof(when));
    sb_printf(b, "Daily health report - %s\n", when);
    infra(b, r);
    queues(b, r);
    business(b, r);
    alerts(b, r);
    sb_puts(b, "\nThe charts (CPU per server and pending jobs per queue over the last 24 h)\n"
               "are in the HTML version of this message.\n");
    if (r->grafana_url) {
        sb_puts(b, "Dashboards: ");
        dr_sb_append_text(b, r->grafana_url);
        sb_puts(b, "\n");
    }
    sb_puts(b, "-- \nSent by daily-report " VERSION " on the monitoring server.\n");
}

void dr_render_subject(const struct report *r, char *out, size_t outsz)
{
    char day[32];
    struct tm tm;
    if (!localtime_r(&r->at, &tm) || strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
        snprintf(day, sizeof(day), "today");
    char parts[160] = "";
    size_t down = 0;
    for (size_t i = 0; r->sec[SEC_INFRA].available && i < r->nservers; i++)
        down += r->servers[i].up ? 0 : 1;
    int unav = dr_report_unavailable_count(r);
    size_t len = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        int n_ = snprintf(parts + len, sizeof(parts) - len, "%s", len ? ", " : "");                \
        if (n_ > 0 && (size_t)n_ < sizeof(parts) - len)                                            \
            len += (size_t)n_;                                                                     \
        n_ = snprintf(parts + len, sizeof(parts) - len, __VA_ARGS__);                              \
        if (n_ > 0 && (size_t)n_ < sizeof(parts) - len)                                            \
            len += (size_t)n_;                                                                     \
    } while (0)
    if (down)
        ADD("%zu of %zu servers DOWN", down, r->nservers);
    if (r->sec[SEC_ALERTS].available && r->alerts.n)
        ADD("%zu active alert%s", r->alerts.n, r->alerts.n == 1 ? "" : "s");
    if (unav)
        ADD("%d section%s unavailable", unav, unav == 1 ? "" : "s");
#undef ADD
    snprintf(out, outsz, "Daily health report %s: %s", day, len ? parts : "all clear");
}
