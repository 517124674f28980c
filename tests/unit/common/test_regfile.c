/* src/common/regfile: configuration files are opened only when they are
 * regular files. A FIFO nobody writes to is refused at once (the old
 * fopen() blocked forever), as are directories and devices; a missing
 * file or a bad path gives strerror's text. The caller names the file. */
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

#include "regfile.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_regfile_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof(p), "%s/conf", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/fifo", dir);
    unlink(p);
    rmdir(dir);
    return 0;
}

static void regular_file_is_read_from_the_start(void **state)
{
    (void)state;
    char p[128], err[200] = "";
    snprintf(p, sizeof(p), "%s/conf", dir);
    FILE *w = fopen(p, "w");
    assert_non_null(w);
    fputs("LISTEN=127.0.0.1:9200\nsecond line\n", w);
    fclose(w);
    FILE *f = regfile_open(p, err, sizeof(err));
    assert_non_null(f);
    assert_string_equal(err, "");
    char line[64];
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, "LISTEN=127.0.0.1:9200\n");
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, "second line\n");
    assert_null(fgets(line, sizeof(line), f));
    fclose(f);
}

/* Without O_NONBLOCK on the open, this test itself would hang. */
static void fifo_is_refused_without_blocking(void **state)
{
    (void)state;
    char p[128], err[200] = "";
    snprintf(p, sizeof(p), "%s/fifo", dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_null(regfile_open(p, err, sizeof(err)));
    assert_string_equal(err, "not a regular file");
}

static void directory_and_device_are_refused(void **state)
{
    (void)state;
    char err[200] = "";
    assert_null(regfile_open(dir, err, sizeof(err)));
    assert_string_equal(err, "not a regular file");
    err[0] = '\0';
    assert_null(regfile_open("/dev/zero", err, sizeof(err)));
    assert_string_equal(err, "not a regular file");
}

static void missing_file_says_why(void **state)
{
    (void)state;
    char p[128], err[200] = "";
    snprintf(p, sizeof(p), "%s/absent.env", dir);
    assert_null(regfile_open(p, err, sizeof(err)));
    assert_string_equal(err, "No such file or directory");
}

/* A path through a file (root reads mode-000 files, so EACCES cannot be
 * shown to every user; ENOTDIR can). */
static void path_through_a_file_says_why(void **state)
{
    (void)state;
    char p[128], err[200] = "";
    snprintf(p, sizeof(p), "%s/conf", dir);
    FILE *w = fopen(p, "w");
    assert_non_null(w);
    fclose(w);
    snprintf(p, sizeof(p), "%s/conf/inventory.yml", dir);
    assert_null(regfile_open(p, err, sizeof(err)));
    assert_string_equal(err, "Not a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regular_file_is_read_from_the_start),
        cmocka_unit_test(fifo_is_refused_without_blocking),
        cmocka_unit_test(directory_and_device_are_refused),
        cmocka_unit_test(missing_file_says_why),
        cmocka_unit_test(path_through_a_file_says_why),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
