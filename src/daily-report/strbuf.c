#include "strbuf.h"

#include <stdarg.h>
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

static int reserve(struct strbuf *b, size_t extra)
{
    if (b->failed)
        return -1;
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

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 when the
 * bytes there are not one (overlongs, surrogates and > U+10FFFF included). */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned int cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static void append_clean(struct strbuf *b, const char *s, int html)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        switch (html ? *p : 0) {
        case '&':
            sb_puts(b, "&amp;");
            p++;
            continue;
        case '<':
            sb_puts(b, "&lt;");
            p++;
            continue;
        case '>':
            sb_puts(b, "&gt;");
            p++;
            continue;
        case '"':
            sb_puts(b, "&quot;");
            p++;
            continue;
        case '\'':
            sb_puts(b, "&#39;");
            p++;
            continue;
        default:
            break;
        }
        if (*p < 0x20 || *p == 0x7F) {
            if (*p == '\t' || *p == '\n')
                sb_putc(b, (char)*p);
            p++;
            continue;
        }
        size_t n = utf8_seq_len(p);
        if (n == 0) {
            sb_puts(b, "\xEF\xBF\xBD"); /* U+FFFD REPLACEMENT CHARACTER */
            p++;
            continue;
        }
        sb_append(b, p, n);
        p += n;
    }
}

void sb_append_html(struct strbuf *b, const char *s)
{
    append_clean(b, s, 1);
}

void sb_append_text(struct strbuf *b, const char *s)
{
    append_clean(b, s, 0);
}
