/* A growable string buffer and a few string helpers the checks share. */
#ifndef DOCTOR_SBUF_H
#define DOCTOR_SBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct sbuf {
    char *s; /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
/* Appends; on allocation failure the process aborts (a diagnostic tool
 * cannot report anything meaningful without memory). */
void sbuf_append(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends sep first when the buffer is not empty: builds "a, b, c" lists. */
void sbuf_list_add(struct sbuf *b, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The contents ("" when nothing was appended). */
const char *sbuf_str(const struct sbuf *b);
/* Hands the heap string to the caller and resets the buffer. */
char *sbuf_take(struct sbuf *b);

char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n, size_t size);

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
bool str_iequals(const char *a, const char *b);
/* Case-insensitive substring search. */
bool str_icontains(const char *haystack, const char *needle);
/* "2d 3h", "3h 12m", "42m", "17s": a short human duration. */
void format_duration(double seconds, char *out, size_t outlen);

#endif
