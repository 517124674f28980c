/* src/common/atomicfile: whole replacement, mode of a new file, no
 * temporary left behind, errors naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_atomicfile_XXXXXX");
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

static size_t entries(void)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void replaces_whole_file(void **state)
{
    (void)state;
    char err[256], buf[64] = "";
    assert_int_equal(
        atomic_file_replace(path, "first version, longer\n", 22, 0600, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(atomic_file_replace(path, "second\n", 7, 0600, err, sizeof(err)), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    assert_int_equal(n, 7);
    assert_string_equal(buf, "second\n");
    assert_int_equal(entries(), 1); /* no temporary left */
}

static void errors_name_the_file(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(atomic_file_replace("/nonexistent-dir/state", "x", 1, 0600, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "/nonexistent-dir/state"));
    /* The target is a directory: rename fails, the temporary is removed. */
    char sub[160];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(atomic_file_replace(sub, "x", 1, 0600, err, sizeof(err)), -1);
    assert_non_null(strstr(err, sub));
    assert_int_equal(entries(), 1); /* only sub */
    rmdir(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(replaces_whole_file, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_the_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
