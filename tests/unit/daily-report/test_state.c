/* The persisted last-success timestamp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_state_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/state", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void missing_file_is_zero_not_error(void **state)
{
    (void)state;
    time_t t = 123;
    char err[256];
    unlink(path);
    assert_int_equal(dr_state_load(path, &t, err, sizeof(err)), 0);
    assert_int_equal(t, 0);
}

static void round_trip_and_replace(void **state)
{
    (void)state;
    time_t t = 0;
    char err[256];
    assert_int_equal(dr_state_save(path, 1795762800, err, sizeof(err)), 0);
    assert_int_equal(dr_state_load(path, &t, err, sizeof(err)), 0);
    assert_int_equal(t, 1795762800);
    assert_int_equal(dr_state_save(path, 1795849200, err, sizeof(err)), 0);
    assert_int_equal(dr_state_load(path, &t, err, sizeof(err)), 0);
    assert_int_equal(t, 1795849200);
    /* no temporary file left behind */
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
}

static void corrupt_file_is_an_error_and_zero(void **state)
{
    (void)state;
    time_t t = 5;
    char err[256];
    write_file("last_success_timestamp_seconds yesterday\n");
    assert_int_equal(dr_state_load(path, &t, err, sizeof(err)), -1);
    assert_int_equal(t, 0);
    assert_non_null(strstr(err, path));
    write_file("");
    assert_int_equal(dr_state_load(path, &t, err, sizeof(err)), -1);
    write_file("# comment\n\nlast_success_timestamp_seconds 42\n");
    assert_int_equal(dr_state_load(path, &t, err, sizeof(err)), 0);
    assert_int_equal(t, 42);
}

static void unwritable_directory_reports_error(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(dr_state_save("/nonexistent-dir/state", 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/state"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_file_is_zero_not_error),
        cmocka_unit_test(round_trip_and_replace),
        cmocka_unit_test(corrupt_file_is_an_error_and_zero),
        cmocka_unit_test(unwritable_directory_reports_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
