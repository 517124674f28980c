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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(predicates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
