/* Small decoders for the daily report's MIME tests, independent of the
 * encoders under test (test_encode.c, test_mime.c). Static: each test
 * program includes its own copy. */
#ifndef TESTS_DAILY_REPORT_DECODERS_H
#define TESTS_DAILY_REPORT_DECODERS_H

#include <stdlib.h>
#include <string.h>

static int b64val(char c)
{
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(t, c);
    return (p && c) ? (int)(p - t) : -1;
}

static size_t b64_decode(const char *in, unsigned char *out)
{
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *in; in++) {
        if (*in == '\r' || *in == '\n' || *in == '=')
            continue;
        int v = b64val(*in);
        assert_true(v >= 0);
        acc = ((acc << 6) | (unsigned)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)((acc >> bits) & 0xFF);
        }
    }
    return n;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *qp_decode(const char *in)
{
    char *out = malloc(strlen(in) + 1), *o = out;
    for (const char *p = in; *p;) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 3;
        } else if (p[0] == '=') {
            assert_true(hexv(p[1]) >= 0 && hexv(p[2]) >= 0);
            *o++ = (char)(hexv(p[1]) * 16 + hexv(p[2]));
            p += 3;
        } else if (p[0] == '\r' && p[1] == '\n') {
            *o++ = '\n';
            p += 2;
        } else {
            assert_true(*p != '\r' && *p != '\n'); /* no bare CR or LF */
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static void assert_lines_at_most(const char *s, size_t max)
{
    const char *line = s;
    for (const char *p = s;; p++) {
        if (*p == '\n' || *p == '\0') {
            size_t len = (size_t)(p - line);
            if (len > 0 && line[len - 1] == '\r')
                len--;
            if (len > max)
                fail_msg("line of %zu characters: %.*s", len, (int)len, line);
            if (!*p)
                break;
            line = p + 1;
        }
    }
}

#endif
