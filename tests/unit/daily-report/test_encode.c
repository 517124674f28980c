/* Transfer encodings: base64 (RFC 4648 vectors, 76-character lines) and
 * quoted-printable (vectors, soft line breaks), each round-tripped through
 * an independent decoder. */
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
#include "strbuf.h"

static char *qp(const char *s)
{
    struct strbuf b;
    sb_init(&b);
    dr_encode_qp(&b, s, strlen(s));
    return b.data ? b.data : strdup("");
}

static void base64_rfc4648_vectors(void **state)
{
    (void)state;
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        struct strbuf b;
        sb_init(&b);
        dr_encode_base64(&b, (const unsigned char *)in[i], strlen(in[i]), 0);
        assert_string_equal(sb_str(&b), want[i]);
        sb_free(&b);
    }
}

static void base64_wraps_at_76_and_round_trips(void **state)
{
    (void)state;
    unsigned char data[1000], back[1000];
    for (int i = 0; i < 1000; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    struct strbuf b;
    sb_init(&b);
    dr_encode_base64(&b, data, sizeof(data), 76);
    assert_lines_at_most(sb_str(&b), 76);
    assert_non_null(strstr(sb_str(&b), "\r\n"));
    assert_int_equal(b64_decode(sb_str(&b), back), sizeof(data));
    assert_memory_equal(back, data, sizeof(data));
    sb_free(&b);
}

static void qp_vectors(void **state)
{
    (void)state;
    char *e;
    e = qp("a=b");
    assert_string_equal(e, "a=3Db");
    free(e);
    e = qp("caf\xC3\xA9\n");
    assert_string_equal(e, "caf=C3=A9\r\n");
    free(e);
    e = qp("trailing space \nand tab\t\n");
    assert_string_equal(e, "trailing space=20\r\nand tab=09\r\n");
    free(e);
    e = qp(".dot at start\nFrom here\n"); /* both mangled by some relays */
    assert_string_equal(e, "=2Edot at start\r\n=46rom here\r\n");
    free(e);
    e = qp("crlf\r\nstays\r\n");
    assert_string_equal(e, "crlf\r\nstays\r\n");
    free(e);
    e = qp("bare\rcr");
    assert_string_equal(e, "bare=0Dcr");
    free(e);
}

static void qp_soft_wraps_long_lines_and_round_trips(void **state)
{
    (void)state;
    char text[2000];
    size_t n = 0;
    /* a long line of mixed ASCII, '=' and UTF-8, then short lines */
    for (int i = 0; i < 150; i++) {
        const char *piece = (i % 3 == 0) ? "\xE2\x82\xAC" : (i % 3 == 1 ? "x=" : "ab ");
        memcpy(text + n, piece, strlen(piece));
        n += strlen(piece);
    }
    memcpy(text + n, "\nshort\n", 8);
    char *e = qp(text);
    assert_lines_at_most(e, 76);
    char *d = qp_decode(e);
    assert_string_equal(d, text);
    free(e);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64_rfc4648_vectors),
        cmocka_unit_test(base64_wraps_at_76_and_round_trips),
        cmocka_unit_test(qp_vectors),
        cmocka_unit_test(qp_soft_wraps_long_lines_and_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
