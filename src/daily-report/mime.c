#include "mime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "encode.h"

static int is_plain_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7E)
            return 0;
    return 1;
}

void dr_mime_header_text(struct strbuf *out, const char *v)
{
    if (is_plain_ascii(v) && strstr(v, "=?") == NULL) {
        sb_puts(out, v);
        return;
    }
    /* "=?UTF-8?B?" + base64 of up to 45 bytes (60 chars) + "?=" = 72 chars.
     * Chunks end on UTF-8 character boundaries, as RFC 2047 requires. */
    size_t len = strlen(v), i = 0;
    int first = 1;
    while (i < len) {
        size_t n = len - i > 45 ? 45 : len - i;
        while (n > 0 && i + n < len && ((unsigned char)v[i + n] & 0xC0) == 0x80)
            n--;
        if (n == 0)
            n = len - i > 45 ? 45 : len - i;
        if (!first)
            sb_puts(out, "\r\n ");
        sb_puts(out, "=?UTF-8?B?");
        dr_encode_base64(out, (const unsigned char *)v + i, n, 0);
        sb_puts(out, "?=");
        first = 0;
        i += n;
    }
}

int dr_mime_header_mailbox(struct strbuf *out, const char *from_header, const char *addr)
{
    const char *lt = strrchr(from_header, '<');
    if (!lt) {
        sb_puts(out, addr);
        return 0;
    }
    const char *s = from_header, *e = lt;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    if (e - s >= 2 && *s == '"' && e[-1] == '"') {
        s++;
        e--;
    }
    char name[256];
    size_t n = (size_t)(e - s) < sizeof(name) - 1 ? (size_t)(e - s) : sizeof(name) - 1;
    memcpy(name, s, n);
    name[n] = '\0';
    if (n == 0) {
        sb_puts(out, addr);
        return 0;
    }
    if (is_plain_ascii(name)) {
        sb_putc(out, '"');
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\')
                sb_putc(out, '\\');
            sb_putc(out, *p);
        }
        sb_putc(out, '"');
    } else {
        dr_mime_header_text(out, name);
    }
    sb_printf(out, " <%s>", addr);
    return 0;
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char r[16];
    if (nbytes > sizeof(r))
        nbytes = sizeof(r);
    if (getrandom(r, nbytes, 0) != (ssize_t)nbytes) {
        /* Uniqueness, not secrecy, is what matters here. */
        unsigned long x = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
        for (size_t i = 0; i < nbytes; i++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            r[i] = (unsigned char)(x >> 33);
        }
    }
    for (size_t i = 0; i < nbytes; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static int has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

int dr_mime_build(const struct mime_message *m, struct strbuf *out, char *err, size_t errsz)
{
    if (has_crlf(m->from_header) || has_crlf(m->from_addr) || has_crlf(m->subject)) {
        snprintf(err, errsz, "a mail header value contains a line break");
        return -1;
    }
    for (size_t i = 0; i < m->nto; i++)
        if (has_crlf(m->to[i])) {
            snprintf(err, errsz, "a recipient contains a line break");
            return -1;
        }
    char rnd[33];
    random_hex(rnd, 16);
    /* "=_" cannot occur in quoted-printable or base64 output, so these
     * boundaries never collide with part content. */
    char alt[64], rel[64];
    snprintf(alt, sizeof(alt), "=_alt_%.16s", rnd);
    snprintf(rel, sizeof(rel), "=_rel_%.16s", rnd + 16);

    char date[64];
    struct tm tm;
    if (!localtime_r(&m->date, &tm) ||
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0) {
        snprintf(err, errsz, "cannot format the Date header");
        return -1;
    }
    const char *domain = strchr(m->from_addr, '@');
    domain = domain ? domain + 1 : "localhost";

    sb_printf(out, "Date: %s\r\n", date);
    sb_puts(out, "From: ");
    dr_mime_header_mailbox(out, m->from_header, m->from_addr);
    sb_puts(out, "\r\nTo: ");
    for (size_t i = 0; i < m->nto; i++)
        sb_printf(out, "%s%s", i ? ",\r\n " : "", m->to[i]);
    sb_puts(out, "\r\nSubject: ");
    dr_mime_header_text(out, m->subject);
    char mid[17];
    random_hex(mid, 8);
    sb_printf(out, "\r\nMessage-ID: <%lld.%s.daily-report@%s>\r\n", (long long)m->date, mid,
              domain);
    sb_puts(out, "MIME-Version: 1.0\r\n"
                 "Auto-Submitted: auto-generated\r\n"); /* RFC 3834: no auto-replies */
    sb_printf(out, "X-Daily-Report-Time: %lld\r\n", m->report_time);
    sb_printf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", alt);
    sb_puts(out, "This is a multi-part message in MIME format.\r\n");

    sb_printf(out, "\r\n--%s\r\n", alt);
    sb_puts(out, "Content-Type: text/plain; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    dr_encode_qp(out, m->text, strlen(m->text));

    sb_printf(out, "\r\n--%s\r\n", alt);
    sb_printf(out,
              "Content-Type: multipart/related;\r\n boundary=\"%s\";\r\n type=\"text/html\"\r\n",
              rel);
    sb_printf(out, "\r\n--%s\r\n", rel);
    sb_puts(out, "Content-Type: text/html; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    dr_encode_qp(out, m->html, strlen(m->html));
    for (size_t i = 0; i < m->nimages; i++) {
        const struct mime_image *im = &m->images[i];
        if (has_crlf(im->cid) || has_crlf(im->filename) || strchr(im->filename, '"')) {
            snprintf(err, errsz, "bad image name");
            return -1;
        }
        sb_printf(out, "\r\n--%s\r\n", rel);
        sb_printf(out,
                  "Content-Type: image/png; name=\"%s\"\r\n"
                  "Content-Transfer-Encoding: base64\r\n"
                  "Content-ID: <%s>\r\n"
                  "Content-Disposition: inline; filename=\"%s\"\r\n\r\n",
                  im->filename, im->cid, im->filename);
        dr_encode_base64(out, im->data, im->len, 76);
    }
    sb_printf(out, "\r\n--%s--\r\n", rel);
    sb_printf(out, "\r\n--%s--\r\n", alt);
    if (sb_failed(out)) {
        snprintf(err, errsz, "out of memory building the message");
        return -1;
    }
    return 0;
}
