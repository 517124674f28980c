/* Growable NUL-terminated byte buffer shared by every program (HTML, MIME,
 * Prometheus text, doctor messages).
 *
 * Appends never fail loudly: after the first allocation failure the buffer
 * is marked failed and later appends are no-ops, so callers build a whole
 * document and check sb_failed() once at the end. */
#ifndef COMMON_STRBUF_H
#define COMMON_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *data; /* always NUL-terminated once something was appended */
    size_t len;
    size_t cap;
    int failed;
};

void sb_init(struct strbuf *b);
void sb_free(struct strbuf *b);
/* Empties the buffer and clears the failure flag; keeps the allocation. */
void sb_reset(struct strbuf *b);
int sb_failed(const struct strbuf *b);
/* Contents, never NULL ("" when empty). */
const char *sb_str(const struct strbuf *b);
/* Hands the heap string to the caller ("" when empty) and resets the buffer
 * to its initial state; NULL when the buffer failed or memory ran out. */
char *sb_take(struct strbuf *b);

void sb_append(struct strbuf *b, const void *data, size_t len);
/* NULL appends nothing. */
void sb_puts(struct strbuf *b, const char *s);
void sb_putc(struct strbuf *b, char c);
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
