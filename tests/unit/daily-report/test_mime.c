/* MIME building: header encoding, and the whole multipart/alternative +
 * multipart/related message. (Transfer encodings: test_encode.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daily-report/decoders.h"
#include "encode.h"
#include "mime.h"
#include "schedule.h"
#include "strbuf.h"

/* Decodes QP; CRLF hard breaks become LF, "=\r\n" soft breaks vanish. */

/* ---- headers ---- */
static void header_text_plain_ascii_is_verbatim(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b);
    dr_mime_header_text(&b, "Daily health report 2026-11-26: all clear");
    assert_string_equal(sb_str(&b), "Daily health report 2026-11-26: all clear");
    sb_free(&b);
}

static void header_text_non_ascii_uses_encoded_words(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b);
    /* 60 x "é" = 120 bytes: needs several encoded words */
    char v[200] = "";
    for (int i = 0; i < 60; i++)
        strcat(v, "\xC3\xA9");
    dr_mime_header_text(&b, v);
    const char *s = sb_str(&b);
    assert_lines_at_most(s, 76);
    /* decode every word and glue: must give back v */
    char out[400] = "";
    const char *p = s;
    int words = 0;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        p += 10;
        const char *q = strstr(p, "?=");
        assert_non_null(q);
        char chunk[200];
        memcpy(chunk, p, (size_t)(q - p));
        chunk[q - p] = '\0';
        unsigned char dec[200];
        size_t n = b64_decode(chunk, dec);
        /* each word holds whole characters */
        assert_int_equal(n % 2, 0);
        strncat(out, (char *)dec, n);
        p = q + 2;
        words++;
    }
    assert_true(words >= 3);
    assert_string_equal(out, v);
    sb_free(&b);
}

static void mailbox_forms(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b);
    dr_mime_header_mailbox(&b, "m@x.eu", "m@x.eu");
    assert_string_equal(sb_str(&b), "m@x.eu");
    sb_reset(&b);
    dr_mime_header_mailbox(&b, "Ecotrans Monitoring <m@x.eu>", "m@x.eu");
    assert_string_equal(sb_str(&b), "\"Ecotrans Monitoring\" <m@x.eu>");
    sb_reset(&b);
    dr_mime_header_mailbox(&b, "\"Say \\\"hi\\\"\" <m@x.eu>", "m@x.eu");
    assert_string_equal(sb_str(&b), "\"Say \\\\\\\"hi\\\\\\\"\" <m@x.eu>");
    sb_reset(&b);
    dr_mime_header_mailbox(&b, "Surveillance \xC3\xA9quipe <m@x.eu>", "m@x.eu");
    assert_non_null(strstr(sb_str(&b), "=?UTF-8?B?"));
    assert_non_null(strstr(sb_str(&b), " <m@x.eu>"));
    sb_free(&b);
}

/* ---- whole message ---- */
static const unsigned char PNG1[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 1, 2, 3};

static void build(struct strbuf *out, const char *subject, const char *html, int *rc)
{
    char *to[] = {"ops@example.com", "cto@example.com"};
    struct mime_image img[] = {{"cpu-24h@daily-report", "cpu-24h.png", PNG1, sizeof(PNG1)}};
    struct mime_message m = {
        .from_header = "Monitoring <report@example.com>",
        .from_addr = "report@example.com",
        .to = to,
        .nto = 2,
        .subject = subject,
        .date = 1795762800, /* 2026-11-27 08:00 CET */
        .report_time = 1795762800,
        .text = "Plain text\nwith lines\n",
        .html = html,
        .images = img,
        .nimages = 1,
    };
    char err[256];
    *rc = dr_mime_build(&m, out, err, sizeof(err));
}

static char *part_body(const char *msg, const char *content_type_line)
{
    const char *p = strstr(msg, content_type_line);
    assert_non_null(p);
    p = strstr(p, "\r\n\r\n");
    assert_non_null(p);
    p += 4;
    const char *end = strstr(p, "\r\n--=_");
    assert_non_null(end);
    char *s = malloc((size_t)(end - p) + 1);
    memcpy(s, p, (size_t)(end - p));
    s[end - p] = '\0';
    return s;
}

static void message_structure(void **state)
{
    (void)state;
    const char *html =
        "<p style=\"color:red\">=x= caf\xC3\xA9</p>\n<img src=\"cid:cpu-24h@daily-report\">\n";
    struct strbuf b;
    sb_init(&b);
    int rc;
    build(&b, "Daily health report 2026-11-27: all clear", html, &rc);
    assert_int_equal(rc, 0);
    const char *s = sb_str(&b);
    assert_lines_at_most(s, 78);
    /* every line ends with CRLF */
    for (const char *p = s; *p; p++)
        if (*p == '\n')
            assert_true(p > s && p[-1] == '\r');
    assert_true(strncmp(s, "Date: Fri, 27 Nov 2026 08:00:00 +0100\r\n", 39) == 0);
    assert_non_null(strstr(s, "\r\nFrom: \"Monitoring\" <report@example.com>\r\n"));
    assert_non_null(strstr(s, "\r\nTo: ops@example.com,\r\n cto@example.com\r\n"));
    assert_non_null(strstr(s, "\r\nSubject: Daily health report 2026-11-27: all clear\r\n"));
    assert_non_null(strstr(s, "\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(s, "\r\nX-Daily-Report-Time: 1795762800\r\n"));
    assert_non_null(strstr(s, "@example.com>\r\n")); /* Message-ID domain */
    const char *alt = strstr(s, "Content-Type: multipart/alternative;\r\n boundary=\"");
    const char *plain = strstr(s, "Content-Type: text/plain; charset=utf-8");
    const char *rel = strstr(s, "Content-Type: multipart/related;");
    const char *htm = strstr(s, "Content-Type: text/html; charset=utf-8");
    const char *png = strstr(s, "Content-Type: image/png; name=\"cpu-24h.png\"");
    assert_non_null(alt);
    assert_non_null(plain);
    assert_non_null(rel);
    assert_non_null(htm);
    assert_non_null(png);
    /* alternative: plain first, then the related part holding html + image */
    assert_true(alt < plain && plain < rel && rel < htm && htm < png);
    assert_non_null(strstr(rel, "type=\"text/html\""));
    assert_non_null(strstr(png, "Content-ID: <cpu-24h@daily-report>\r\n"));
    assert_non_null(strstr(png, "Content-Disposition: inline; filename=\"cpu-24h.png\""));
    /* the parts decode back to what went in */
    char *t = part_body(s, "Content-Type: text/plain");
    char *td = qp_decode(t);
    assert_string_equal(td, "Plain text\nwith lines\n");
    char *h = part_body(s, "Content-Type: text/html");
    char *hd = qp_decode(h);
    assert_string_equal(hd, html);
    char *p = part_body(s, "Content-Type: image/png");
    unsigned char dec[64];
    assert_int_equal(b64_decode(p, dec), sizeof(PNG1));
    assert_memory_equal(dec, PNG1, sizeof(PNG1));
    /* both closing boundaries, related closed before alternative */
    const char *relb = strstr(rel, "boundary=\"") + 10;
    char rb[64];
    snprintf(rb, sizeof(rb), "\r\n--%.*s--\r\n", (int)(strchr(relb, '"') - relb), relb);
    const char *altb = strstr(alt, "boundary=\"") + 10;
    char ab[64];
    snprintf(ab, sizeof(ab), "\r\n--%.*s--\r\n", (int)(strchr(altb, '"') - altb), altb);
    assert_non_null(strstr(s, rb));
    assert_non_null(strstr(s, ab));
    assert_true(strstr(s, rb) < strstr(s, ab));
    free(t);
    free(td);
    free(h);
    free(hd);
    free(p);
    sb_free(&b);
}

static void header_injection_refused(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b);
    int rc;
    build(&b, "report\r\nBcc: attacker@example.net", "<p>x</p>", &rc);
    assert_int_equal(rc, -1);
    sb_free(&b);
}

int main(void)
{
    dr_schedule_use_tz("Europe/Paris");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_text_plain_ascii_is_verbatim),
        cmocka_unit_test(header_text_non_ascii_uses_encoded_words),
        cmocka_unit_test(mailbox_forms),
        cmocka_unit_test(message_structure),
        cmocka_unit_test(header_injection_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
