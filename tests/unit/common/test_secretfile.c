/* src/common/secretfile: content without the trailing newline, and every
 * refusal naming the setting and the file but never the content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secretfile.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/test_secretfile_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void put(const char *data, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void reads_and_trims(void **state)
{
    (void)state;
    char out[32], err[256];
    put("s3cret-value\r\n", 14);
    assert_int_equal(secret_file_read("X_FILE", path, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "s3cret-value");
    put("with inner\nline", 15); /* only the trailing newline goes */
    assert_int_equal(secret_file_read("X_FILE", path, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "with inner\nline");
}

static void refusals(void **state)
{
    (void)state;
    char out[16], err[256];
    put("\n", 1);
    assert_int_equal(secret_file_read("X_FILE", path, out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "X_FILE"));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "empty"));
    put("0123456789abcdefXYZ", 19); /* longer than out allows */
    assert_int_equal(secret_file_read("X_FILE", path, out, sizeof(out), err, sizeof(err)), -1);
    assert_null(strstr(err, "0123"));
    assert_string_equal(out, "");
    put("ab\0cd", 5);
    assert_int_equal(secret_file_read("X_FILE", path, out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NUL"));
    assert_int_equal(
        secret_file_read("X_FILE", "/nonexistent/secret", out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/secret"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reads_and_trims, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
