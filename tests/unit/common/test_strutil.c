/* src/common/strutil: prefix, suffix and case-insensitive comparisons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strutil.h"

static void predicates(void **state)
{
    (void)state;
    assert_true(str_starts_with("https://x", "https://"));
    assert_false(str_starts_with("http", "https://"));
    assert_true(str_starts_with("x", ""));
    assert_true(str_ends_with("db.abc.supabase.co", ".supabase.co"));
    assert_false(str_ends_with("co", ".supabase.co"));
    assert_true(str_iequals("NONE", "none"));
    assert_false(str_iequals("none", "non"));
    assert_true(str_icontains("Please CHANGEME now", "changeme"));
    assert_false(str_icontains("change me", "changeme"));
    assert_true(str_icontains("anything", ""));
}

static void strict_utf8(void **state)
{
    (void)state;
    assert_true(str_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    assert_false(str_valid_utf8("caf\xe9"));          /* Latin-1 */
    assert_false(str_valid_utf8("\xc0\xaf"));         /* overlong / */
    assert_false(str_valid_utf8("\xe0\x80\xaf"));     /* overlong */
    assert_false(str_valid_utf8("\xed\xa0\x80"));     /* surrogate */
    assert_false(str_valid_utf8("\xf4\x90\x80\x80")); /* above U+10FFFF */
    assert_false(str_valid_utf8("\xe2\x82"));         /* cut */
    assert_int_equal(str_utf8_seq_len("\xe2\x82\xac", 2), 0);
    assert_int_equal(str_utf8_seq_len("\xe2\x82\xac", 3), 3);
    char out[8];
    assert_true(str_utf8_sanitize("ab\xc3\xa9", out, sizeof(out)));
    assert_string_equal(out, "ab\xc3\xa9");
    assert_false(str_utf8_sanitize("a\xff"
                                   "b",
                                   out, sizeof(out)));
    assert_string_equal(out, "a?b");
    /* 7 bytes of room: "abc" + "..." would split the euro sign: it goes whole */
    assert_false(str_utf8_sanitize("abc\xe2\x82\xac"
                                   "defgh",
                                   out, sizeof(out)));
    assert_string_equal(out, "abc...");
    assert_true(str_valid_utf8(out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(predicates),
        cmocka_unit_test(strict_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
