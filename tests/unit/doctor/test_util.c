/* The doctor's shared helpers: "a, b, c" lists, short human durations and
 * the aborting allocators (which must return usable memory). */
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

#include "util.h"

static void list_add_separates_only_between_items(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b);
    doc_sb_list_add(&b, ", ", "%s", "GRAFANA_DOMAIN");
    assert_string_equal(sb_str(&b), "GRAFANA_DOMAIN");
    doc_sb_list_add(&b, ", ", "%s=%d", "SMTP_PORT", 25);
    doc_sb_list_add(&b, "; ", "%s", "third");
    assert_string_equal(sb_str(&b), "GRAFANA_DOMAIN, SMTP_PORT=25; third");
    sb_free(&b);
}

static void durations_read_like_a_person_would_say_them(void **state)
{
    (void)state;
    char out[32];
    doc_format_duration(0, out, sizeof(out));
    assert_string_equal(out, "0s");
    doc_format_duration(17.9, out, sizeof(out));
    assert_string_equal(out, "17s");
    doc_format_duration(59, out, sizeof(out));
    assert_string_equal(out, "59s");
    doc_format_duration(60, out, sizeof(out));
    assert_string_equal(out, "1m");
    doc_format_duration(42 * 60 + 30, out, sizeof(out));
    assert_string_equal(out, "42m");
    doc_format_duration(3 * 3600 + 12 * 60 + 5, out, sizeof(out));
    assert_string_equal(out, "3h 12m");
    doc_format_duration(3600, out, sizeof(out));
    assert_string_equal(out, "1h 0m");
    doc_format_duration(2 * 86400 + 3 * 3600 + 59 * 60, out, sizeof(out));
    assert_string_equal(out, "2d 3h");
    /* A clock running backwards (upload "in the future") is not negative. */
    doc_format_duration(-30, out, sizeof(out));
    assert_string_equal(out, "0s");
    /* A short buffer truncates rather than overflowing. */
    char tiny[4];
    doc_format_duration(2 * 86400 + 3600, tiny, sizeof(tiny));
    assert_string_equal(tiny, "2d ");
}

static void allocators_return_usable_memory(void **state)
{
    (void)state;
    char *s = doc_xstrdup("SUPABASE_DB_HOST");
    assert_string_equal(s, "SUPABASE_DB_HOST");
    free(s);
    s = doc_xstrndup("WASABI_BUCKET=x", 13);
    assert_string_equal(s, "WASABI_BUCKET");
    free(s);
    s = doc_xasprintf("%s:%d", "127.0.0.1", 9100);
    assert_string_equal(s, "127.0.0.1:9100");
    free(s);
    /* Zero-sized requests still give a pointer the caller may free. */
    int *z = doc_xcalloc(0, sizeof(int));
    assert_non_null(z);
    z = doc_xrealloc(z, 4, sizeof(int));
    for (int i = 0; i < 4; i++)
        z[i] = i * 7;
    z = doc_xrealloc(z, 1000, sizeof(int));
    assert_int_equal(z[3], 21);
    free(z);
    int *c = doc_xcalloc(8, sizeof(int));
    for (int i = 0; i < 8; i++)
        assert_int_equal(c[i], 0);
    free(c);
}

static void sb_take_hands_over_the_text(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b);
    sb_printf(&b, "%d exporters", 7);
    char *s = doc_sb_xtake(&b);
    assert_string_equal(s, "7 exporters");
    free(s);
    /* An empty buffer hands over an empty string, not NULL. */
    sb_init(&b);
    s = doc_sb_xtake(&b);
    assert_string_equal(s, "");
    free(s);
}

static void touch(const char *dir, const char *name)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
}

static void list_dir_gives_sorted_paths_with_the_suffix(void **state)
{
    (void)state;
    char dir[] = "/tmp/doc-listdir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    touch(dir, "b.json");
    touch(dir, "a.json");
    touch(dir, "notes.txt");
    touch(dir, ".json"); /* only the suffix: not a dashboard */
    char **names;
    long n = doc_list_dir(dir, ".json", &names);
    assert_int_equal(n, 2);
    char want[128];
    snprintf(want, sizeof(want), "%s/a.json", dir);
    assert_string_equal(names[0], want);
    snprintf(want, sizeof(want), "%s/b.json", dir);
    assert_string_equal(names[1], want);
    doc_free_list(names, (size_t)n);
    const char *all[] = {"a.json", "b.json", "notes.txt", ".json"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(want, sizeof(want), "%s/%s", dir, all[i]);
        assert_int_equal(unlink(want), 0);
    }
    assert_int_equal(doc_list_dir(dir, ".json", &names), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(doc_list_dir(dir, ".json", &names), -1);
    assert_null(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_add_separates_only_between_items),
        cmocka_unit_test(durations_read_like_a_person_would_say_them),
        cmocka_unit_test(allocators_return_usable_memory),
        cmocka_unit_test(sb_take_hands_over_the_text),
        cmocka_unit_test(list_dir_gives_sorted_paths_with_the_suffix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
