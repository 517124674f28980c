#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(struct strbuf *b)
{
    memset(b, 0, sizeof(*b));
}

void sb_free(struct strbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void sb_reset(struct strbuf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

int sb_failed(const struct strbuf *b)
{
    return b->failed;
}

const char *sb_str(const struct strbuf *b)
{
    return b->data ? b->data : "";
}

char *sb_take(struct strbuf *b)
{
    char *s = NULL;
    if (!b->failed)
        s = b->data ? b->data : strdup("");
    if (!s)
        free(b->data);
    memset(b, 0, sizeof(*b));
    return s;
}

static int reserve(struct strbuf *b, size_t extra)
{
    if (b->failed)
        return -1;
    /* Doubling below must not overflow size_t. */
    if (extra > (size_t)-1 / 2 - b->len - 1) {
        b->failed = 1;
        return -1;
    }
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void sb_append(struct strbuf *b, const void *data, size_t len)
{
    if (reserve(b, len) != 0)
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void sb_puts(struct strbuf *b, const char *s)
{
    if (s)
        sb_append(b, s, strlen(s));
}

void sb_putc(struct strbuf *b, char c)
{
    sb_append(b, &c, 1);
}

void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap)
{
    /* The first pass consumes its own copy: ap is needed again to write. */
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}
