/* src/common/log: one line per event on stderr, "TIME program level:
 * message", levels below the minimum dropped, newlines flattened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void lines_and_levels(void **state)
{
    (void)state;
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    log_init("tester", LOG_LEVEL_WARN);
    log_info("not shown %d", 1);
    log_warn("disk %d%% full", 91);
    log_error("two\nlines\rhere");
    log_debug("not shown either");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char text[1024] = "";
    rewind(tmp);
    size_t n = fread(text, 1, sizeof(text) - 1, tmp);
    text[n] = '\0';
    fclose(tmp);
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z tester warn: "
                             "disk 91% full\n"
                             "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z tester error: "
                             "two lines here\n$",
                             REG_EXTENDED),
                     0);
    if (regexec(&re, text, 0, NULL, 0) != 0)
        fail_msg("unexpected log output:\n%s", text);
    regfree(&re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_and_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
