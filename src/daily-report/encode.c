#include "encode.h"

#include <string.h>

void dr_encode_base64(struct strbuf *out, const unsigned char *d, size_t len, size_t line_len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t col = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)d[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)d[i + 1] << 8;
        if (i + 2 < len)
            v |= d[i + 2];
        char q[4] = {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63],
                     i + 1 < len ? tbl[(v >> 6) & 63] : '=', i + 2 < len ? tbl[v & 63] : '='};
        sb_append(out, q, 4);
        col += 4;
        if (line_len && col >= line_len && i + 3 < len) {
            sb_append(out, "\r\n", 2);
            col = 0;
        }
    }
}

static void hex_byte(struct strbuf *out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[3] = {'=', hex[c >> 4], hex[c & 15]};
    sb_append(out, e, 3);
}

#define QP_MAX 75 /* characters before the soft-break '=' (76 with it) */

void dr_encode_qp(struct strbuf *out, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c == '\r' && i + 1 < len && p[i + 1] == '\n')
            continue; /* the LF that follows emits the CRLF */
        if (c == '\n') {
            sb_append(out, "\r\n", 2);
            col = 0;
            continue;
        }
        int at_eol = i + 1 == len || p[i + 1] == '\n' ||
                     (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n');
        int encode = c == '=' || c < 32 || c > 126;
        if ((c == ' ' || c == '\t') && at_eol)
            encode = 1;
        if (col == 0 && c == '.')
            encode = 1;
        if (col == 0 && c == 'F' && len - i >= 5 && memcmp(p + i, "From ", 5) == 0)
            encode = 1;
        size_t w = encode ? 3 : 1;
        if (col + w > QP_MAX) {
            sb_append(out, "=\r\n", 3);
            col = 0;
            if (c == '.' || (c == 'F' && len - i >= 5 && memcmp(p + i, "From ", 5) == 0)) {
                encode = 1;
                w = 3;
            }
        }
        if (encode)
            hex_byte(out, c);
        else
            sb_putc(out, (char)c);
        col += w;
    }
}
