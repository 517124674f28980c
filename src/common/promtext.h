/* Prometheus text exposition format 0.0.4 writer.
 *
 * Usage: a growable buffer; for each metric family call prom_family() once
 * (HELP + TYPE), then prom_sample() per series. Label values are escaped
 * (backslash, double quote, newline) as the format requires; HELP text
 * escapes backslash and newline. Serve with PROM_CONTENT_TYPE. */
#ifndef COMMON_PROMTEXT_H
#define COMMON_PROMTEXT_H

#include <stddef.h>

#include "strbuf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The text is sb.data / sb.len; sb_failed(&b.sb) once an allocation failed
 * (the buffer is then unusable). A wrapper rather than a bare strbuf so the
 * exposition API cannot be handed an unrelated buffer by mistake. */
struct prom_buf {
    struct strbuf sb;
};

struct prom_label {
    const char *name;
    const char *value;
};

void prom_buf_init(struct prom_buf *b);
void prom_buf_free(struct prom_buf *b);
void prom_buf_reset(struct prom_buf *b);

/* type: "gauge", "counter", "untyped", ... */
void prom_family(struct prom_buf *b, const char *name, const char *type, const char *help);
/* Append one sample line; labels may be NULL when nlabels is 0. Non-finite
 * values are written as NaN, +Inf, -Inf. */
void prom_sample(struct prom_buf *b, const char *name, const struct prom_label *labels,
                 size_t nlabels, double value);

/* Appends raw text (already valid exposition). */
void prom_append(struct prom_buf *b, const char *text, size_t len);

/* Escaping helpers, exposed for unit tests. Return bytes written, or the
 * size needed (excluding NUL) when out is NULL. */
size_t prom_escape_label_value(const char *in, char *out, size_t outsz);
size_t prom_escape_help(const char *in, char *out, size_t outsz);

#endif
