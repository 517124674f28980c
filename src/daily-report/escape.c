#include "escape.h"

#include <stddef.h>

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

void dr_sb_append_html(struct strbuf *b, const char *s)
{
    append_clean(b, s, 1);
}

void dr_sb_append_text(struct strbuf *b, const char *s)
{
    append_clean(b, s, 0);
}
