/* The checklist: line format, skip selection, redaction, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checklist.h"

static void text_lines_and_counts(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct report r;
    doc_report_init(&r, f);
    doc_report_pass(&r, "env.file", "read %d variables", 3);
    doc_report_fail(&r, "env.permissions", "chmod 600 .env", "mode %04o", 0644);
    doc_report_skip(&r, "dns.grafana-domain", "no %s", "domain");
    doc_report_fail(&r, "x.multi", "fix\nwith newline", "two\nlines");
    fclose(f);
    assert_string_equal(buf, "\u2713 env.file                   read 3 variables\n"
                             "\u2717 env.permissions            mode 0644\n"
                             "                             fix: chmod 600 .env\n"
                             "\u2014 dns.grafana-domain         no domain\n"
                             "\u2717 x.multi                    two lines\n"
                             "                             fix: fix with newline\n");
    assert_int_equal(r.passed, 1);
    assert_int_equal(r.failed, 2);
    assert_int_equal(r.skipped, 1);
    doc_report_free(&r);
    free(buf);
}

static void redaction_hides_every_secret_longest_first(void **state)
{
    (void)state;
    struct report r;
    doc_report_init(&r, NULL);
    doc_report_add_secret(&r, "hunter2");
    doc_report_add_secret(&r, "hunter2-long");
    doc_report_add_secret(&r, "abc"); /* too short to redact */
    char *s = doc_report_redact(&r, "a hunter2-long b hunter2 c abc");
    assert_string_equal(s, "a *** b *** c abc");
    free(s);
    doc_report_fail(&r, "smtp.auth", "password hunter2 wrong", "server said hunter2");
    assert_string_equal(r.items[0].detail, "server said ***");
    assert_string_equal(r.items[0].fix, "password *** wrong");
    /* issue 14: escapes reached the terminal, invalid UTF-8 the JSON */
    doc_report_fail(&r, "env.x", "fix\x1b[2J",
                    "value \x1b[31mred\x1b]0;t\x07 \xff\xfe caf\xc3\xa9");
    assert_string_equal(r.items[1].detail, "value ?[31mred?]0;t? ?? caf\xc3\xa9");
    assert_string_equal(r.items[1].fix, "fix?[2J");
    doc_report_free(&r);
}

static void skip_list_selects_ids_groups_and_prefixes(void **state)
{
    (void)state;
    struct report r;
    doc_report_init(&r, NULL);
    r.skip = "dns,s3.probe,targets.B.*";
    assert_true(doc_report_skipped(&r, "dns"));
    assert_true(doc_report_skipped(&r, "dns.grafana-domain"));
    assert_true(doc_report_skipped(&r, "s3.probe"));
    assert_false(doc_report_skipped(&r, "s3.probe-extra"));
    assert_false(doc_report_skipped(&r, "s3.bucket"));
    assert_true(doc_report_skipped(&r, "targets.B.node"));
    assert_false(doc_report_skipped(&r, "targets.BB.node"));
    doc_report_fail(&r, "s3.probe", "fix", "failed");
    assert_int_equal(r.items[0].status, CHECK_SKIP);
    assert_string_equal(r.items[0].detail, "skipped by --skip");
    assert_null(r.items[0].fix);
    assert_int_equal(r.failed, 0);
    doc_report_free(&r);
}

static void json_document(void **state)
{
    (void)state;
    struct report r;
    doc_report_init(&r, NULL);
    doc_report_pass(&r, "env.file", "ok");
    doc_report_fail(&r, "s3.bucket", "create it", "missing \"bucket\"");
    char *js = doc_report_json(&r, "./.env", "1.2.3");
    cJSON *root = cJSON_Parse(js);
    assert_non_null(root);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "ok")));
    assert_string_equal(cJSON_GetObjectItem(root, "doctor_version")->valuestring, "1.2.3");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "summary"), "failed")->valueint,
                     1);
    cJSON *c1 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "checks"), 1);
    assert_string_equal(cJSON_GetObjectItem(c1, "group")->valuestring, "s3");
    assert_string_equal(cJSON_GetObjectItem(c1, "status")->valuestring, "fail");
    assert_string_equal(cJSON_GetObjectItem(c1, "detail")->valuestring, "missing \"bucket\"");
    assert_string_equal(cJSON_GetObjectItem(c1, "fix")->valuestring, "create it");
    cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "checks"), 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(c0, "fix")));
    cJSON_Delete(root);
    free(js);
    doc_report_free(&r);
}

/* Issue 14 item 11: 100k secret values (a 1 MiB .env of *_KEY variables)
 * made registration and redaction quadratic. Sorted, deduplicated, and
 * still longest-first: overlapping and prefix-sharing secrets. */
static void many_secrets_redact_correctly(void **state)
{
    (void)state;
    struct report r;
    doc_report_init(&r, NULL);
    char v[16];
    for (int i = 0; i < 100000; i++) {
        snprintf(v, sizeof(v), "%05d", i);
        doc_report_add_secret(&r, v);
        doc_report_add_secret(&r, v); /* duplicates are dropped */
    }
    doc_report_add_secret(&r, "0000123");
    char *s = doc_report_redact(&r, "a 00042 b 0000123 c 1234 d 99999x 000");
    assert_string_equal(s, "a *** b *** c 1234 d ***x 000");
    free(s);
    assert_int_equal(r.nsecrets, 100001);
    doc_report_add_secret(&r, "0004"); /* added after a redaction: sorted in again */
    s = doc_report_redact(&r, "0004 00041");
    assert_string_equal(s, "*** ***");
    free(s);
    doc_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_lines_and_counts),
        cmocka_unit_test(redaction_hides_every_secret_longest_first),
        cmocka_unit_test(many_secrets_redact_correctly),
        cmocka_unit_test(skip_list_selects_ids_groups_and_prefixes),
        cmocka_unit_test(json_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
