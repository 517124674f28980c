#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "encode.h"
#include "escape.h"
#include "fmt.h"

#define C_TEXT "#111827"
#define C_MUTED "#6b7280"
#define C_BORDER "#e5e7eb"
#define C_OK "#15803d"
#define C_WARN "#b45309"
#define C_CRIT "#b91c1c"
#define C_INFO "#1d4ed8"

#define TH                                                                                         \
    "padding:6px 8px;text-align:left;font-size:12px;color:" C_MUTED                                \
    ";border-bottom:1px solid " C_BORDER ";"
#define TD "padding:6px 8px;border-bottom:1px solid " C_BORDER ";"
#define TDN TD "text-align:right;white-space:nowrap;"

static const char *level_color(int level)
{
    return level == 2 ? C_CRIT : (level == 1 ? C_WARN : C_TEXT);
}

static void badge(struct strbuf *b, const char *text, const char *bg)
{
    sb_printf(b,
              "<span style=\"display:inline-block;padding:1px 8px;border-radius:10px;"
              "background:%s;color:#ffffff;font-size:12px;font-weight:bold;\">",
              bg);
    dr_sb_append_html(b, text);
    sb_puts(b, "</span>");
}

static void section_open(struct strbuf *b, const char *title, const char *source)
{
    sb_puts(b, "<tr><td style=\"padding:18px 24px 6px 24px;\">"
               "<h2 style=\"margin:0 0 8px 0;font-size:17px;color:" C_TEXT ";\">");
    dr_sb_append_html(b, title);
    sb_puts(b, " <span style=\"font-size:12px;font-weight:normal;color:" C_MUTED ";\">");
    dr_sb_append_html(b, source);
    sb_puts(b, "</span></h2>\n");
}

static void section_close(struct strbuf *b)
{
    sb_puts(b, "</td></tr>\n");
}

/* Returns 1 when the section is available; otherwise writes the notice. */
static int section_available(struct strbuf *b, const struct report *r, enum section_id id)
{
    if (r->sec[id].available)
        return 1;
    sb_puts(b, "<div data-unavailable=\"");
    dr_sb_append_html(b, dr_section_name(id));
    sb_puts(b, "\" style=\"padding:10px 12px;background:#fef3c7;border:1px solid #f59e0b;"
               "color:#78350f;\"><strong>Unavailable.</strong> ");
    dr_sb_append_html(b, r->sec[id].reason);
    sb_puts(b, "</div>\n");
    return 0;
}

/* "and N more servers" under a table cut at REPORT_TABLE_ROWS. */
static void more_rows(struct strbuf *b, const char *what, size_t n, const char *which)
{
    if (n <= REPORT_TABLE_ROWS)
        return;
    sb_printf(b,
              "<p data-more=\"%s\" style=\"margin:6px 0 0 0;color:" C_MUTED ";\">"
              "and %zu more %s not listed (%s).</p>\n",
              what, n - REPORT_TABLE_ROWS, what, which);
}

static void pct_cell(struct strbuf *b, const char *field, double v)
{
    char s[32];
    dr_fmt_pct(v, s, sizeof(s));
    sb_printf(b, "<td data-field=\"%s\" style=\"" TDN "color:%s;\">", field,
              level_color(dr_fmt_pct_level(v)));
    dr_sb_append_html(b, s);
    sb_puts(b, "</td>");
}

static void count_cell(struct strbuf *b, const char *field, double v, int warn_if_positive)
{
    char s[32];
    dr_fmt_count(v, s, sizeof(s));
    const char *color = (warn_if_positive && v > 0) ? C_CRIT : C_TEXT;
    sb_printf(b, "<td data-field=\"%s\" style=\"" TDN "color:%s;\">", field, color);
    dr_sb_append_html(b, s);
    sb_puts(b, "</td>");
}

static void chart_img(struct strbuf *b, const struct chart_png *c, enum img_mode mode,
                      const char *cid, const char *alt, const char *field)
{
    if (!c->data) {
        sb_printf(b, "<p data-chart-missing=\"%s\" style=\"color:" C_MUTED ";\">Chart not drawn: ",
                  field);
        dr_sb_append_html(b, c->why);
        sb_puts(b, "</p>\n");
        return;
    }
    sb_printf(b, "<p style=\"margin:12px 0 0 0;\"><img data-chart=\"%s\" src=\"", field);
    if (mode == IMG_CID) {
        sb_printf(b, "cid:%s", cid);
    } else {
        sb_puts(b, "data:image/png;base64,");
        dr_encode_base64(b, c->data, c->len, 0);
    }
    sb_printf(b, "\" width=\"%d\" height=\"%d\" alt=\"", c->width, c->height);
    dr_sb_append_html(b, alt);
    sb_puts(b, "\" style=\"display:block;max-width:100%;height:auto;border:0;\"></p>\n");
}

static void infra(struct strbuf *b, const struct report *r, enum img_mode mode)
{
    section_open(b, "Infrastructure", "Prometheus");
    if (section_available(b, r, SEC_INFRA)) {
        sb_puts(b, "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
                   "cellspacing=\"0\" style=\"border-collapse:collapse;font-size:13px;\">\n<tr>"
                   "<th style=\"" TH "\">Server</th><th style=\"" TH "\">Status</th>"
                   "<th style=\"" TH "text-align:right;\">CPU</th>"
                   "<th style=\"" TH "text-align:right;\">CPU 24 h max</th>"
                   "<th style=\"" TH "text-align:right;\">RAM</th>"
                   "<th style=\"" TH "text-align:right;\">RAM 24 h max</th>"
                   "<th style=\"" TH "text-align:right;\">Disk</th>"
                   "<th style=\"" TH "text-align:right;\">Disk 24 h max</th></tr>\n");
        for (size_t i = 0; i < r->nservers && i < REPORT_TABLE_ROWS; i++) {
            const struct server_row *s = &r->servers[i];
            sb_puts(b, "<tr data-server=\"");
            dr_sb_append_html(b, s->name);
            sb_puts(b, "\"><td data-field=\"name\" style=\"" TD "font-weight:bold;\">");
            dr_sb_append_html(b, s->name[0] ? s->name : "(no server label)");
            sb_puts(b, "</td><td data-field=\"status\" style=\"" TD "\">");
            badge(b, s->up ? "UP" : "DOWN", s->up ? C_OK : C_CRIT);
            sb_puts(b, "</td>");
            pct_cell(b, "cpu", s->cpu);
            pct_cell(b, "cpu_max", s->cpu_max);
            pct_cell(b, "ram", s->ram);
            pct_cell(b, "ram_max", s->ram_max);
            pct_cell(b, "disk", s->disk);
            pct_cell(b, "disk_max", s->disk_max);
            sb_puts(b, "</tr>\n");
        }
        sb_puts(b, "</table>\n");
        more_rows(b, "servers", r->nservers, "those shown are the ones down or most used");
        sb_puts(b, "<p style=\"margin:6px 0 0 0;font-size:12px;color:" C_MUTED ";\">"
                   "CPU: 5-minute average. Disk: the fullest real filesystem.</p>\n");
        chart_img(b, &r->cpu_chart, mode, CID_CPU_CHART, "CPU per server, last 24 hours", "cpu");
    }
    section_close(b);
}

static void queues(struct strbuf *b, const struct report *r, enum img_mode mode)
{
    section_open(b, "Processing queues", "Prometheus, queue-exporter");
    if (section_available(b, r, SEC_QUEUES)) {
        sb_puts(b, "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
                   "cellspacing=\"0\" style=\"border-collapse:collapse;font-size:13px;\">\n<tr>"
                   "<th style=\"" TH "\">Queue</th>"
                   "<th style=\"" TH "text-align:right;\">Pending</th>"
                   "<th style=\"" TH "text-align:right;\">Processing</th>"
                   "<th style=\"" TH "text-align:right;\">Failed</th>"
                   "<th style=\"" TH "text-align:right;\">Stuck &gt; 35 min</th>"
                   "<th style=\"" TH "text-align:right;\">Failed, last 24 h</th></tr>\n");
        for (size_t i = 0; i < r->nqueues && i < REPORT_TABLE_ROWS; i++) {
            const struct queue_row *q = &r->queues[i];
            sb_puts(b, "<tr data-queue=\"");
            dr_sb_append_html(b, q->name);
            sb_puts(b, "\"><td data-field=\"name\" style=\"" TD "font-weight:bold;\">");
            dr_sb_append_html(b, q->name);
            sb_puts(b, "</td>");
            count_cell(b, "pending", q->pending, 0);
            count_cell(b, "processing", q->processing, 0);
            count_cell(b, "failed", q->failed, 0);
            count_cell(b, "stuck", q->stuck, 1);
            count_cell(b, "failed_24h", q->failed_24h, 1);
            sb_puts(b, "</tr>\n");
        }
        sb_puts(b, "</table>\n");
        more_rows(b, "queues", r->nqueues,
                  "those shown have the most stuck, failed or pending jobs");
        chart_img(b, &r->queue_chart, mode, CID_QUEUE_CHART,
                  "Pending jobs per queue, last 24 hours", "queue");
    }
    section_close(b);
}

/* One business figure: its count, or why it is unavailable (escaped). */
static void fig(struct strbuf *o, const struct business *z, enum dr_fig f, long v)
{
    const char *why = z->why[f];
    if (!why[0]) {
        sb_printf(o, "<span data-field=\"%s\">%ld</span>", dr_fig_key(f), v);
        return;
    }
    sb_printf(o,
              "<span data-field=\"%s\" data-figure-unavailable=\"%s\" style=\"color:" C_MUTED
              ";font-weight:normal;\">",
              dr_fig_key(f), dr_fig_key(f));
    dr_sb_append_html(o, why);
    sb_puts(o, "</span>");
}

/* value_html and extra_html are built by fig() and from numbers only. */
static void kv_row(struct strbuf *b, const char *label, const char *value_html,
                   const char *extra_html)
{
    sb_puts(b, "<tr><td style=\"" TD "\">");
    dr_sb_append_html(b, label);
    sb_printf(b, "</td><td style=\"" TDN "font-weight:bold;\">%s</td>", value_html);
    sb_puts(b, "<td style=\"" TD "color:" C_MUTED ";\">");
    sb_puts(b, extra_html);
    sb_puts(b, "</td></tr>\n");
}

static void business_rows(struct strbuf *b, const struct business *z)
{
    struct strbuf v, x;
    sb_init(&v);
    sb_init(&x);
    fig(&v, z, DR_FIG_INCIDENTS_24H, z->incidents_24h);
    sb_puts(&x, "critical ");
    fig(&x, z, DR_FIG_INCIDENTS_CRITICAL, z->incidents_24h_critical);
    sb_puts(&x, ", major ");
    fig(&x, z, DR_FIG_INCIDENTS_MAJOR, z->incidents_24h_major);
    sb_puts(&x, ", minor ");
    fig(&x, z, DR_FIG_INCIDENTS_MINOR, z->incidents_24h_minor);
    kv_row(b, "Incidents, last 24 h", sb_str(&v), sb_str(&x));
    sb_reset(&v);
    sb_reset(&x);
    fig(&v, z, DR_FIG_INCIDENTS_PREV_24H, z->incidents_prev_24h);
    if (!z->why[DR_FIG_INCIDENTS_24H][0] && !z->why[DR_FIG_INCIDENTS_PREV_24H][0]) {
        long d = z->incidents_24h - z->incidents_prev_24h;
        sb_printf(&x, "last 24 h: %s%ld vs the day before", d > 0 ? "+" : "", d);
    }
    kv_row(b, "Incidents, previous 24 h", sb_str(&v), sb_str(&x));
    sb_reset(&v);
    sb_reset(&x);
    bool cov_ok = !z->why[DR_FIG_FLEET_TOTAL][0] && !z->why[DR_FIG_FLEET_REPORTING][0];
    char pct[32];
    dr_fmt_pct(cov_ok && z->fleet_total > 0
                   ? 100.0 * (double)z->fleet_reporting / (double)z->fleet_total
                   : NAN,
               pct, sizeof(pct));
    fig(&v, z, DR_FIG_FLEET_REPORTING, z->fleet_reporting);
    sb_puts(&x, "of ");
    fig(&x, z, DR_FIG_FLEET_TOTAL, z->fleet_total);
    sb_printf(&x,
              " vehicles reported a position in the last 10 min (<span "
              "data-field=\"gps_coverage\">%s</span>)",
              pct);
    kv_row(b, "GPS coverage", sb_str(&v), sb_str(&x));
    sb_reset(&v);
    sb_reset(&x);
    fig(&v, z, DR_FIG_TRANSCRIPTIONS_FAILED_24H, z->transcriptions_failed_24h);
    fig(&x, z, DR_FIG_TRANSCRIPTIONS_FAILED_TOTAL, z->transcriptions_failed_total);
    sb_puts(&x, " failed in total");
    kv_row(b, "Failed transcriptions, last 24 h", sb_str(&v), sb_str(&x));
    sb_reset(&v);
    sb_reset(&x);
    fig(&v, z, DR_FIG_PDF_FAILED_24H, z->pdf_failed_24h);
    fig(&x, z, DR_FIG_PDF_FAILED_TOTAL, z->pdf_failed_total);
    sb_puts(&x, " failed in total");
    kv_row(b, "Failed PDF jobs, last 24 h", sb_str(&v), sb_str(&x));
    sb_free(&v);
    sb_free(&x);
}

static void business(struct strbuf *b, const struct report *r)
{
    section_open(b, "Business", "Supabase");
    if (section_available(b, r, SEC_BUSINESS)) {
        sb_puts(b, "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
                   "cellspacing=\"0\" style=\"border-collapse:collapse;font-size:13px;\">\n");
        business_rows(b, &r->biz);
        sb_puts(b, "</table>\n");
    }
    section_close(b);
}

static const char *severity_color(const char *s)
{
    if (strcmp(s, "critical") == 0)
        return C_CRIT;
    if (strcmp(s, "warning") == 0)
        return C_WARN;
    if (strcmp(s, "info") == 0)
        return C_INFO;
    return C_MUTED;
}

static void alerts(struct strbuf *b, const struct report *r)
{
    section_open(b, "Active alerts", "Alertmanager");
    if (section_available(b, r, SEC_ALERTS)) {
        if (r->alerts.watchdog)
            sb_puts(b, "<p data-field=\"watchdog\" data-watchdog=\"1\" style=\"margin:0 0 8px "
                       "0;font-size:12px;color:" C_MUTED ";\">Alerting pipeline: alive (the "
                       "Watchdog alert reaches Alertmanager).</p>\n");
        else
            sb_puts(b, "<p data-field=\"watchdog\" data-watchdog=\"0\" style=\"margin:0 0 8px "
                       "0;color:" C_CRIT ";\"><strong>The Watchdog alert is missing:</strong> "
                       "Prometheus is not evaluating rules or cannot reach Alertmanager, so "
                       "other alerts may be missing too.</p>\n");
        if (r->alerts.n == 0) {
            sb_puts(b, "<p data-field=\"no_alerts\" style=\"margin:0;color:" C_OK ";\">"
                       "No active alerts.</p>\n");
        } else {
            sb_puts(b, "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
                       "cellspacing=\"0\" style=\"border-collapse:collapse;font-size:13px;\">\n"
                       "<tr><th style=\"" TH "\">Severity</th><th style=\"" TH "\">Alert</th>"
                       "<th style=\"" TH "\">Server</th><th style=\"" TH "\">Since</th></tr>\n");
            for (size_t i = 0; i < r->alerts.n && i < REPORT_TABLE_ROWS; i++) {
                const struct am_alert *a = &r->alerts.items[i];
                char since[64], dur[32];
                dr_fmt_local(a->since, since, sizeof(since));
                dr_fmt_duration((long)(r->at - a->since), dur, sizeof(dur));
                sb_puts(b, "<tr data-alert=\"\"><td data-field=\"severity\" style=\"" TD "\">");
                badge(b, a->severity[0] ? a->severity : "none", severity_color(a->severity));
                sb_puts(b, "</td><td style=\"" TD "\"><strong data-field=\"alertname\">");
                dr_sb_append_html(b, a->name);
                sb_puts(b, "</strong>");
                if (a->summary[0]) {
                    sb_puts(b, "<br><span data-field=\"summary\" style=\"color:" C_MUTED
                               ";font-size:12px;\">");
                    dr_sb_append_html(b, a->summary);
                    sb_puts(b, "</span>");
                }
                sb_puts(b, "</td><td data-field=\"server\" style=\"" TD "\">");
                dr_sb_append_html(b, a->server);
                sb_printf(b,
                          "</td><td data-field=\"since\" data-since=\"%lld\" style=\"" TD
                          "white-space:nowrap;\">",
                          (long long)a->since);
                dr_sb_append_html(b, since);
                sb_puts(b, "<br><span style=\"color:" C_MUTED ";font-size:12px;\">for ");
                dr_sb_append_html(b, dur);
                sb_puts(b, "</span></td></tr>\n");
            }
            sb_puts(b, "</table>\n");
            more_rows(b, "alerts", r->alerts.n, "those shown are the most severe");
        }
    }
    section_close(b);
}

static void summary_line(struct strbuf *b, const struct report *r)
{
    sb_puts(b, "<p style=\"margin:10px 0 0 0;\">");
    if (r->sec[SEC_INFRA].available) {
        size_t up = 0;
        for (size_t i = 0; i < r->nservers; i++)
            up += r->servers[i].up ? 1 : 0;
        badge(b, up == r->nservers ? "ALL SERVERS UP" : "SERVERS DOWN",
              up == r->nservers ? C_OK : C_CRIT);
        sb_printf(b,
                  " <span data-field=\"servers_up\">%zu</span> of "
                  "<span data-field=\"servers_total\">%zu</span> servers up. ",
                  up, r->nservers);
    }
    if (r->sec[SEC_ALERTS].available)
        sb_printf(b, "<span data-field=\"alerts_active\">%zu</span> active alert%s. ", r->alerts.n,
                  r->alerts.n == 1 ? "" : "s");
    int unav = dr_report_unavailable_count(r);
    if (unav)
        sb_printf(b,
                  "<span style=\"color:" C_WARN ";\"><span data-field=\"sections_unavailable\">"
                  "%d</span> section%s unavailable.</span>",
                  unav, unav == 1 ? "" : "s");
    sb_puts(b, "</p>\n");
}

void dr_render_html(const struct report *r, enum img_mode mode, struct strbuf *b)
{
    char when[96], subject[200];
    dr_fmt_local_long(r->at, when, sizeof(when));
    dr_render_subject(r, subject, sizeof(subject));
    sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>");
    dr_sb_append_html(b, subject);
    sb_printf(b,
              "</title></head>\n<body data-report-time=\"%lld\" style=\"margin:0;padding:0;"
              "background:#f3f4f6;\">\n",
              (long long)r->at);
    sb_puts(b,
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" "
            "style=\"background:#f3f4f6;\"><tr><td align=\"center\" style=\"padding:16px;\">\n"
            "<table role=\"presentation\" width=\"700\" cellpadding=\"0\" cellspacing=\"0\" "
            "style=\"width:100%;max-width:700px;background:#ffffff;border:1px solid " C_BORDER
            ";font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.4;color:" C_TEXT
            ";\">\n<tr><td style=\"padding:20px 24px 14px 24px;border-bottom:3px solid "
            "#1f2937;\"><h1 style=\"margin:0;font-size:21px;\">Daily health report</h1>"
            "<div style=\"color:" C_MUTED ";font-size:13px;\">");
    dr_sb_append_html(b, when);
    sb_puts(b, "</div>\n");
    summary_line(b, r);
    sb_puts(b, "</td></tr>\n");
    infra(b, r, mode);
    queues(b, r, mode);
    business(b, r);
    alerts(b, r);
    sb_puts(b, "<tr><td style=\"padding:16px 24px 20px 24px;font-size:11px;color:" C_MUTED ";\">"
               "Sent by daily-report " VERSION " on the monitoring server.");
    if (r->grafana_url) {
        sb_puts(b, " Details: <a data-field=\"grafana_url\" href=\"");
        dr_sb_append_html(b, r->grafana_url);
        sb_puts(b, "\" style=\"color:" C_INFO ";\">");
        dr_sb_append_html(b, r->grafana_url);
        sb_puts(b, "</a>");
    }
    sb_puts(b, "</td></tr>\n</table>\n</td></tr></table>\n</body></html>\n");
}
