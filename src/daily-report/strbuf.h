/* Growable NUL-terminated byte buffer for building HTML, text and MIME.
 *
 * Appends never fail loudly: after the first allocation failure the buffer
 * is marked failed and later appends are no-ops, so callers build a whole
 * document and check sb_failed() once at the end. */
#ifndef DAILY_REPORT_STRBUF_H
#define DAILY_REPORT_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *data; /* always NUL-terminated once something was appended */
    size_t len;
    size_t cap;
    int failed;
};

void sb_init(struct strbuf *b);
void sb_free(struct strbuf *b);
void sb_reset(struct strbuf *b);
int sb_failed(const struct strbuf *b);
/* Contents, never NULL ("" when empty). */
const char *sb_str(const struct strbuf *b);

void sb_append(struct strbuf *b, const void *data, size_t len);
void sb_puts(struct strbuf *b, const char *s);
void sb_putc(struct strbuf *b, char c);
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s as HTML text/attribute content: & < > " ' become entities,
 * ASCII control characters other than tab and newline are dropped, and
 * bytes that are not valid UTF-8 become U+FFFD, so no value from a remote
 * API can inject markup or produce an invalid document. NULL appends "". */
void sb_append_html(struct strbuf *b, const char *s);
/* The same cleaning (controls dropped, invalid UTF-8 replaced) without
 * entities: for the plain-text part and for log-safe strings. */
void sb_append_text(struct strbuf *b, const char *s);

#endif
