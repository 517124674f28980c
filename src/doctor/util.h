/* Allocation, string-buffer and formatting helpers the doctor's checks
 * share. Allocation failures abort here on purpose: a diagnostic tool has
 * nothing useful to report without memory, and every check stays free of
 * out-of-memory paths. */
#ifndef DOCTOR_UTIL_H
#define DOCTOR_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"
#include "strutil.h"

/* The doctor treats an allocation failure as fatal (a diagnostic tool
 * cannot report anything meaningful without memory): these abort. */
char *doc_xstrdup(const char *s);
char *doc_xstrndup(const char *s, size_t n);
char *doc_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *doc_xcalloc(size_t n, size_t size);
void *doc_xrealloc(void *p, size_t n, size_t size);
/* Aborts when b ran out of memory. */
void doc_sb_xcheck(const struct strbuf *b);
/* sb_take() that aborts when the buffer ran out of memory. */
char *doc_sb_xtake(struct strbuf *b);

/* Appends sep first when the buffer is not empty: builds "a, b, c" lists. */
void doc_sb_list_add(struct strbuf *b, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The paths "DIR/NAME" of the entries of dir whose name ends in suffix,
 * sorted, so that output and EXPLAIN order do not depend on the file
 * system. Returns the count, or -1 when dir cannot be read; free the list
 * with doc_free_list(). */
long doc_list_dir(const char *dir, const char *suffix, char ***names);
void doc_free_list(char **names, size_t n);

/* "2d 3h", "3h 12m", "42m", "17s": a short human duration. */
void doc_format_duration(double seconds, char *out, size_t outlen);

#endif
