/* Cleaning escapers for text that comes from remote APIs (alert
 * summaries, server and queue names) on its way into the HTML and text
 * parts of the report: HTML-escaped, control characters dropped, invalid
 * UTF-8 replaced. Appended to a strbuf. */
#ifndef DAILY_REPORT_ESCAPE_H
#define DAILY_REPORT_ESCAPE_H

#include "strbuf.h"

/* Appends s as HTML text/attribute content: & < > " ' become entities,
 * ASCII control characters other than tab and newline are dropped, and
 * bytes that are not valid UTF-8 become U+FFFD, so no value from a remote
 * API can inject markup or produce an invalid document. NULL appends "". */
void dr_sb_append_html(struct strbuf *b, const char *s);
/* The same cleaning (controls dropped, invalid UTF-8 replaced) without
 * entities: for the plain-text part and for log-safe strings. */
void dr_sb_append_text(struct strbuf *b, const char *s);

#endif
