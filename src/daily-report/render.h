/* The report as an email: subject, HTML part, plain-text part.
 *
 * The HTML is built for mail clients: tables for layout, inline styles,
 * no scripts, no external resources; every value from a source goes
 * through dr_sb_append_html. Cells carry data-* attributes naming what they
 * show, so tests (and anyone scripting against the report) can read the
 * values back without scraping the wording. */
#ifndef DAILY_REPORT_RENDER_H
#define DAILY_REPORT_RENDER_H

#include <stddef.h>

#include "report.h"
#include "strbuf.h"

#define CID_CPU_CHART "cpu-24h@daily-report"
#define CID_QUEUE_CHART "queue-depth-24h@daily-report"

enum img_mode {
    IMG_CID,      /* <img src="cid:..."> for multipart/related */
    IMG_DATA_URI, /* <img src="data:image/png;base64,..."> for a standalone file */
};

void dr_render_html(const struct report *r, enum img_mode mode, struct strbuf *out);
void dr_render_text(const struct report *r, struct strbuf *out);
/* ASCII subject with the day and a one-line verdict. */
void dr_render_subject(const struct report *r, char *out, size_t outsz);

#endif
