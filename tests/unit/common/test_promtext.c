/* Exposition-format writer: escaping and line layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "promtext.h"

static void label_values_escape_backslash_quote_newline(void **state)
{
    (void)state;
    char out[64];
    prom_escape_label_value("a\\b\"c\nd", out, sizeof(out));
    assert_string_equal(out, "a\\\\b\\\"c\\nd");
}

static void help_escapes_backslash_and_newline_but_not_quote(void **state)
{
    (void)state;
    char out[64];
    prom_escape_help("x\\y\n\"z\"", out, sizeof(out));
    assert_string_equal(out, "x\\\\y\\n\"z\"");
}

static void escape_reports_needed_size_and_truncates_safely(void **state)
{
    (void)state;
    char out[4];
    size_t need = prom_escape_label_value("\"\"\"", out, sizeof(out));
    assert_int_equal(need, 6);
    assert_int_equal(strlen(out), 3);
}

static void family_and_samples_render_exactly(void **state)
{
    (void)state;
    struct prom_buf b;
    prom_buf_init(&b);
    prom_family(&b, "supabase_queue_depth", "gauge", "Rows per status.");
    struct prom_label l[] = {{"queue", "pending_pdf_processing"}, {"status", "pen\"ding"}};
    prom_sample(&b, "supabase_queue_depth", l, 2, 42);
    prom_sample(&b, "up", NULL, 0, 0.25);
    prom_sample(&b, "x", NULL, 0, NAN);
    prom_sample(&b, "y", NULL, 0, -INFINITY);
    assert_false(sb_failed(&b.sb));
    assert_string_equal(b.sb.data, "# HELP supabase_queue_depth Rows per status.\n"
                                   "# TYPE supabase_queue_depth gauge\n"
                                   "supabase_queue_depth{queue=\"pending_pdf_processing\","
                                   "status=\"pen\\\"ding\"} 42\n"
                                   "up 0.25\n"
                                   "x NaN\n"
                                   "y -Inf\n");
    prom_buf_reset(&b);
    assert_int_equal(b.sb.len, 0);
    prom_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(label_values_escape_backslash_quote_newline),
        cmocka_unit_test(help_escapes_backslash_and_newline_but_not_quote),
        cmocka_unit_test(escape_reports_needed_size_and_truncates_safely),
        cmocka_unit_test(family_and_samples_render_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
