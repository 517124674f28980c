/* doc_scram_password_line: what counts as the password in a file or on stdin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "scram.h"

static long line(const char *s, char *err)
{
    return doc_scram_password_line(s, strlen(s), err, 128);
}

static void test_trailing_newline_dropped(void **state)
{
    (void)state;
    char err[128] = "";
    assert_int_equal(line("s3cret\n", err), 6);
    assert_int_equal(line("s3cret\r\n", err), 6);
    assert_int_equal(line("s3cret", err), 6);
    /* Spaces are part of a password. */
    assert_int_equal(line(" a b \n", err), 5);
}

static void test_refused(void **state)
{
    (void)state;
    char err[128] = "";
    assert_int_equal(line("\n", err), -1);
    assert_string_equal(err, "the password is empty");
    assert_int_equal(line("", err), -1);
    assert_int_equal(line("one\ntwo\n", err), -1);
    assert_string_equal(err, "the password spans several lines (one line expected)");
    assert_int_equal(doc_scram_password_line("a\0b\n", 4, err, sizeof(err)), -1);
    assert_string_equal(err, "the password holds a NUL byte");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trailing_newline_dropped),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
