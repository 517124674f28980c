#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
    fputs("doctor: out of memory\n", stderr);
    abort();
}

void *doc_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *doc_xrealloc(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        oom();
    size_t total = n * size;
    void *q = realloc(p, total ? total : 1);
    if (!q)
        oom();
    return q;
}

char *doc_xstrndup(const char *s, size_t n)
{
    char *p = doc_xcalloc(n + 1, 1);
    memcpy(p, s, n);
    return p;
}

char *doc_xstrdup(const char *s)
{
    return doc_xstrndup(s, strlen(s));
}

void doc_sb_xcheck(const struct strbuf *b)
{
    if (sb_failed(b))
        oom();
}

char *doc_sb_xtake(struct strbuf *b)
{
    doc_sb_xcheck(b);
    char *s = sb_take(b);
    if (!s)
        oom();
    return s;
}

void doc_sb_list_add(struct strbuf *b, const char *sep, const char *fmt, ...)
{
    if (b->len)
        sb_puts(b, sep);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

char *doc_xasprintf(const char *fmt, ...)
{
    struct strbuf b;
    sb_init(&b);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&b, fmt, ap);
    va_end(ap);
    return doc_sb_xtake(&b);
}

void doc_format_duration(double seconds, char *out, size_t outlen)
{
    if (seconds < 0)
        seconds = 0;
    long s = (long)seconds;
    long d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60;
    if (d > 0)
        snprintf(out, outlen, "%ldd %ldh", d, h);
    else if (h > 0)
        snprintf(out, outlen, "%ldh %ldm", h, m);
    else if (m > 0)
        snprintf(out, outlen, "%ldm", m);
    else
        snprintf(out, outlen, "%lds", s);
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

long doc_list_dir(const char *dir, const char *suffix, char ***names)
{
    *names = NULL;
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    size_t n = 0, slen = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len > slen && !strcmp(e->d_name + len - slen, suffix)) {
            *names = doc_xrealloc(*names, n + 1, sizeof(**names));
            (*names)[n++] = doc_xasprintf("%s/%s", dir, e->d_name);
        }
    }
    closedir(dp);
    if (n)
        qsort(*names, n, sizeof(**names), cmp_path);
    return (long)n;
}

void doc_free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
