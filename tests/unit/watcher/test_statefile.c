/* The state file: round trip, strict parsing, atomic replacement. */
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

#include "statefile.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_wd_state_XXXXXX");
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

static struct wd_state sample(void)
{
    struct wd_state s;
    wd_state_init(&s, 1000);
    s.phase = WD_PHASE_RECOVERING;
    s.last_beat = 1796032772;
    s.outage_since = 1796030000;
    s.outage_seen = 1796030600;
    s.recovering_since = 1796032700;
    s.outage_end = 1796032700;
    s.last_mail = 1796030601;
    s.alert_delivered = true;
    s.pending = WD_MAIL_REMINDER;
    s.reminders = 3;
    return s;
}

static void round_trip(void **state)
{
    (void)state;
    struct wd_state s = sample(), back;
    char err[300];
    assert_int_equal(wd_statefile_save(path, &s, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    wd_state_init(&back, 5);
    assert_int_equal(wd_statefile_load(path, &back, err, sizeof(err)), 1);
    back.watch_since = s.watch_since; /* not persisted: each start sets it */
    assert_memory_equal(&back, &s, sizeof(s));
    /* Replaced, not appended. */
    s.phase = WD_PHASE_OK;
    assert_int_equal(wd_statefile_save(path, &s, err, sizeof(err)), 0);
    assert_int_equal(wd_statefile_load(path, &back, err, sizeof(err)), 1);
    assert_int_equal(back.phase, WD_PHASE_OK);
}

static void missing_file_is_a_first_start(void **state)
{
    (void)state;
    struct wd_state s;
    char err[300];
    wd_state_init(&s, 42);
    assert_int_equal(wd_statefile_load(path, &s, err, sizeof(err)), 0);
    assert_int_equal(s.phase, WD_PHASE_OK);
    assert_int_equal(s.watch_since, 42);
}

static int parse(const char *text, char *err)
{
    struct wd_state s;
    wd_state_init(&s, 1);
    return wd_state_parse(text, &s, err, 300);
}

static void corrupt_files_refused(void **state)
{
    (void)state;
    char err[300];
    struct strbuf b;
    sb_init(&b);
    struct wd_state s = sample();
    wd_state_format(&s, &b);
    const char *good = sb_str(&b);
    assert_int_equal(parse(good, err), 0);
    assert_int_equal(parse("", err), -1);
    assert_int_equal(parse("watcher-state 2\n", err), -1);
    assert_non_null(strstr(err, "line 1"));
    char buf[1024];
    snprintf(buf, sizeof(buf), "%sphase=ok\n", good); /* a key twice */
    assert_int_equal(parse(buf, err), -1);
    assert_non_null(strstr(err, "twice"));
    snprintf(buf, sizeof(buf), "%sfuture=1\n", good);
    assert_int_equal(parse(buf, err), -1);
    assert_non_null(strstr(err, "unknown key"));
    const char *trunc = strstr(good, "last_mail");
    snprintf(buf, sizeof(buf), "%.*s", (int)(trunc - good), good);
    assert_int_equal(parse(buf, err), -1);
    assert_non_null(strstr(err, "missing"));
    const char *edits[][2] = {
        {"phase=recovering", "phase=panic"},        {"pending=reminder", "pending=sms"},
        {"alert_delivered=1", "alert_delivered=2"}, {"last_beat=1796032772", "last_beat=-1"},
        {"last_beat=1796032772", "last_beat=12x"},  {"reminders=3", "reminders"}};
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        const char *at = strstr(good, edits[i][0]);
        assert_non_null(at);
        snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good, edits[i][1],
                 at + strlen(edits[i][0]));
        assert_int_equal(parse(buf, err), -1);
        assert_non_null(strstr(err, "line "));
    }
    sb_free(&b);
    /* A corrupt file on disk: the error names the file and the way out. */
    FILE *f = fopen(path, "w");
    fputs("garbage\n", f);
    fclose(f);
    wd_state_init(&s, 1);
    assert_int_equal(wd_statefile_load(path, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "move the file away"));
}

static void unwritable_directory(void **state)
{
    (void)state;
    struct wd_state s = sample();
    char err[300];
    assert_int_equal(wd_statefile_save("/nonexistent-dir/state", &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/state"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_file_is_a_first_start, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_files_refused, setup, teardown),
        cmocka_unit_test(unwritable_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
