/* Escapers for remote text: markup characters become entities, control
 * characters are dropped, invalid UTF-8 is repaired. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "strbuf.h"

static char *html_of(const char *in)
{
    struct strbuf b;
    sb_init(&b);
    dr_sb_append_html(&b, in);
    return b.data ? b.data : strdup("");
}

static void escapes_markup_characters(void **state)
{
    (void)state;
    char *s = html_of("<script>alert('x')</script> & \"q\"");
    assert_string_equal(s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    free(s);
}

static void drops_controls_and_repairs_utf8(void **state)
{
    (void)state;
    char *s = html_of("a\x01\x1b[31mb\tc\nd\x7f");
    assert_string_equal(s, "a[31mb\tc\nd");
    free(s);
    /* valid UTF-8 kept; a lone continuation byte, a truncated sequence, an
     * overlong '/' and a UTF-16 surrogate become U+FFFD */
    s = html_of("caf\xC3\xA9 \x80 \xE2\x82 \xC0\xAF \xED\xA0\x80 \xF0\x9F\x98\x80");
    assert_string_equal(s, "caf\xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD "
                           "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
                           "\xF0\x9F\x98\x80");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes_markup_characters),
        cmocka_unit_test(drops_controls_and_repairs_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
