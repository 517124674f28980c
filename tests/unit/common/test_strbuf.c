/* The shared growable string buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void appends_and_formats(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b);
    assert_string_equal(sb_str(&b), "");
    sb_puts(&b, "a");
    sb_puts(&b, NULL);
    sb_putc(&b, 'b');
    sb_append(&b, "cde", 2);
    sb_printf(&b, "-%d-%s", 42, "x");
    assert_string_equal(sb_str(&b), "abcd-42-x");
    assert_int_equal(b.len, 9);
    /* Growth past the first allocation keeps what was there. */
    for (int i = 0; i < 1000; i++)
        sb_printf(&b, "%03d", i % 1000);
    assert_int_equal(b.len, 9 + 3000);
    assert_memory_equal(b.data + 9 + 3 * 999, "999", 4);
    assert_false(sb_failed(&b));
    sb_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(sb_str(&b), "");
    sb_free(&b);
}

static void take_hands_over_and_resets(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b);
    char *s = sb_take(&b);
    assert_string_equal(s, ""); /* never NULL for an empty buffer */
    free(s);
    sb_puts(&b, "hello");
    s = sb_take(&b);
    assert_string_equal(s, "hello");
    free(s);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* A failed buffer yields NULL rather than a truncated string. */
    sb_puts(&b, "x");
    b.failed = 1;
    sb_puts(&b, "y");
    assert_int_equal(b.len, 1);
    assert_null(sb_take(&b));
    assert_false(sb_failed(&b));
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_and_formats),
        cmocka_unit_test(take_hands_over_and_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
