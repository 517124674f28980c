/* doc_read_file: the cap, the error texts, what is kept. */
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

#include "readfile.h"

/* Writes len bytes of 'x' to a fresh temporary file; the caller unlinks it. */
static void write_temp(char *path, size_t pathlen, size_t len)
{
    snprintf(path, pathlen, "/tmp/test_readfile.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < len; i++)
        fputc('x', f);
    assert_int_equal(fclose(f), 0);
}

static void reads_up_to_the_cap(void **state)
{
    (void)state;
    char path[64], err[256] = "";
    struct strbuf b;
    sb_init(&b);
    /* Exactly the cap, across several chunks, is not too large. */
    write_temp(path, sizeof(path), 20000);
    assert_int_equal(doc_read_file(path, 20000, &b, err, sizeof(err)), READ_FILE_OK);
    assert_int_equal(b.len, 20000);
    sb_reset(&b);
    /* One byte more is, and the first max_bytes are kept. */
    assert_int_equal(doc_read_file(path, 19999, &b, err, sizeof(err)), READ_FILE_TOO_LARGE);
    assert_int_equal(b.len, 19999);
    sb_reset(&b);
    assert_int_equal(doc_read_file(path, 0, &b, err, sizeof(err)), READ_FILE_TOO_LARGE);
    assert_int_equal(b.len, 0);
    unlink(path);
    sb_reset(&b);
    write_temp(path, sizeof(path), 0);
    assert_int_equal(doc_read_file(path, 0, &b, err, sizeof(err)), READ_FILE_OK);
    assert_string_equal(sb_str(&b), "");
    unlink(path);
    sb_free(&b);
}

static void errors(void **state)
{
    (void)state;
    char err[256] = "";
    struct strbuf b;
    sb_init(&b);
    assert_int_equal(doc_read_file("/nonexistent/x.env", 100, &b, err, sizeof(err)),
                     READ_FILE_CANNOT_OPEN);
    assert_string_equal(err, "cannot read /nonexistent/x.env: No such file or directory");
    /* Only regular files: a directory, and a FIFO (which blocked for ever,
     * issue 14), are refused at once. */
    assert_int_equal(doc_read_file("/tmp", 100, &b, err, sizeof(err)), READ_FILE_CANNOT_OPEN);
    assert_string_equal(err, "cannot read /tmp: not a regular file");
    char fifo[] = "/tmp/test_readfile_fifo.XXXXXX";
    int fd = mkstemp(fifo);
    assert_true(fd >= 0);
    close(fd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(doc_read_file(fifo, 100, &b, err, sizeof(err)), READ_FILE_CANNOT_OPEN);
    assert_non_null(strstr(err, "not a regular file"));
    unlink(fifo);
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_up_to_the_cap),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
