/* S3 error answers: XML extraction and classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "s3.h"

static void xml_tags_with_attributes_and_empty_elements(void **state)
{
    (void)state;
    char out[64];
    assert_true(doc_xml_tag("<a><Code>NoSuchBucket</Code></a>", "Code", out, sizeof(out)));
    assert_string_equal(out, "NoSuchBucket");
    assert_true(
        doc_xml_tag("<LocationConstraint xmlns=\"http://s3\">eu-central-1</LocationConstraint>",
                    "LocationConstraint", out, sizeof(out)));
    assert_string_equal(out, "eu-central-1");
    assert_true(
        doc_xml_tag("<LocationConstraint xmlns=\"x\"/>", "LocationConstraint", out, sizeof(out)));
    assert_string_equal(out, "");
    /* <CodeX> is not <Code>. */
    assert_true(doc_xml_tag("<CodeX>no</CodeX><Code>yes</Code>", "Code", out, sizeof(out)));
    assert_string_equal(out, "yes");
    assert_false(doc_xml_tag("<Message>m</Message>", "Code", out, sizeof(out)));
    assert_false(doc_xml_tag("<Code>unterminated", "Code", out, sizeof(out)));
}

static enum s3_kind kind(long status, const char *body, const char *region_hdr)
{
    struct s3_outcome o;
    doc_s3_classify(status, body, region_hdr, &o);
    return o.kind;
}

static void classification(void **state)
{
    (void)state;
    assert_int_equal(kind(200, "", NULL), S3_OK);
    assert_int_equal(kind(204, NULL, NULL), S3_OK);
    assert_int_equal(kind(404, "<Error><Code>NoSuchBucket</Code></Error>", NULL), S3_NO_BUCKET);
    assert_int_equal(kind(404, "<Error><Code>NoSuchKey</Code></Error>", NULL), S3_NO_KEY);
    assert_int_equal(kind(404, "", NULL), S3_NO_KEY);
    assert_int_equal(kind(403, "<Error><Code>InvalidAccessKeyId</Code></Error>", NULL), S3_BAD_KEY);
    assert_int_equal(kind(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>", NULL),
                     S3_BAD_SECRET);
    assert_int_equal(kind(403, "<Error><Code>AccessDenied</Code></Error>", NULL), S3_DENIED);
    assert_int_equal(kind(403, "", NULL), S3_DENIED);
    assert_int_equal(kind(403, "<Error><Code>RequestTimeTooSkewed</Code></Error>", NULL),
                     S3_TIME_SKEW);
    assert_int_equal(kind(301, "<Error><Code>PermanentRedirect</Code></Error>", NULL), S3_REDIRECT);
    assert_int_equal(kind(301, "", "eu-west-1"), S3_REDIRECT);
    assert_int_equal(kind(500, "<Error><Code>InternalError</Code></Error>", NULL), S3_OTHER);
}

static void wrong_region_carries_the_expected_one(void **state)
{
    (void)state;
    struct s3_outcome o;
    doc_s3_classify(
        400,
        "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'eu-west-1' "
        "is wrong; expecting 'eu-central-1'</Message><Region>eu-central-1</Region></Error>",
        NULL, &o);
    assert_int_equal(o.kind, S3_WRONG_REGION);
    assert_string_equal(o.region, "eu-central-1");
    char text[300];
    doc_s3_outcome_text(&o, text, sizeof(text));
    assert_string_equal(text, "HTTP 400 AuthorizationHeaderMalformed: the region 'eu-west-1' is "
                              "wrong; expecting 'eu-central-1'");
    doc_s3_classify(301,
                    "<Error><Code>PermanentRedirect</Code><Endpoint>s3.eu-west-1.wasabisys.com"
                    "</Endpoint></Error>",
                    "eu-west-1", &o);
    assert_string_equal(o.endpoint, "s3.eu-west-1.wasabisys.com");
    assert_string_equal(o.region, "eu-west-1");
    doc_s3_classify(404, "", NULL, &o);
    doc_s3_outcome_text(&o, text, sizeof(text));
    assert_string_equal(text, "HTTP 404");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xml_tags_with_attributes_and_empty_elements),
        cmocka_unit_test(classification),
        cmocka_unit_test(wrong_region_carries_the_expected_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
