/* Value syntax, endpoint regions and placeholder detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "validate.h"

static void hostnames_and_addresses(void **state)
{
    (void)state;
    assert_true(valid_hostname("monitoring.ecotrans.eu"));
    assert_true(valid_hostname("localhost"));
    assert_false(valid_hostname("-bad.example"));
    assert_false(valid_hostname("bad-.eu"));
    assert_false(valid_hostname("a..b"));
    assert_false(valid_hostname("under_score.eu"));
    assert_false(valid_hostname(""));
    assert_true(valid_ipv4("51.91.0.10"));
    assert_false(valid_ipv4("51.91.0"));
    assert_true(valid_ipv6("2001:db8::1"));
    assert_true(valid_host_port("s3.eu-central-1.wasabisys.com"));
    assert_true(valid_host_port("127.0.0.1:9000"));
    assert_true(valid_host_port("[::1]:5432"));
    assert_false(valid_host_port("host:99999"));
    assert_false(valid_host_port("host:"));
    int p = 0;
    assert_true(valid_port("587", &p));
    assert_int_equal(p, 587);
    assert_false(valid_port("0", NULL));
    assert_false(valid_port("58x", NULL));
    assert_false(valid_port("65536", NULL));
}

static void email_addresses(void **state)
{
    (void)state;
    assert_true(valid_email("ops@ecotrans.eu", false));
    assert_true(valid_email("Ecotrans Monitoring <monitoring@mg.ecotrans.eu>", true));
    assert_false(valid_email("Ecotrans <monitoring@mg.ecotrans.eu>", false));
    assert_false(valid_email("monitoring", true));
    assert_false(valid_email("a@localhost", false)); /* no dotted domain */
    assert_true(valid_email_list("a@x.eu, b@y.eu,c@z.eu"));
    assert_false(valid_email_list("a@x.eu,"));
    assert_false(valid_email_list("a@x.eu,,b@y.eu"));
    assert_false(valid_email_list(""));
}

static void buckets_regions_times_zones(void **state)
{
    (void)state;
    assert_true(valid_bucket_name("ecotrans-monitoring-test"));
    assert_false(valid_bucket_name("Ecotrans"));
    assert_false(valid_bucket_name("ab"));
    assert_false(valid_bucket_name("a..b"));
    assert_false(valid_bucket_name("192.168.1.1"));
    assert_false(valid_bucket_name("-abc"));
    assert_true(valid_region("eu-central-1"));
    assert_true(valid_region("ap-northeast-2"));
    assert_false(valid_region("eu-central"));
    assert_false(valid_region("EU-central-1"));
    assert_false(valid_region("eu-central-1-x"));
}

static void endpoint_regions(void **state)
{
    (void)state;
    char r[64];
    assert_true(endpoint_region("s3.eu-central-1.wasabisys.com", r, sizeof(r)));
    assert_string_equal(r, "eu-central-1");
    assert_true(endpoint_region("S3.EU-West-1.wasabisys.com:443", r, sizeof(r)));
    assert_string_equal(r, "eu-west-1");
    assert_true(endpoint_region("s3.wasabisys.com", r, sizeof(r)));
    assert_string_equal(r, "us-east-1");
    assert_true(endpoint_region("s3.dualstack.eu-west-3.amazonaws.com", r, sizeof(r)));
    assert_string_equal(r, "eu-west-3");
    assert_true(endpoint_region("s3-eu-west-1.amazonaws.com", r, sizeof(r)));
    assert_string_equal(r, "eu-west-1");
    assert_false(endpoint_region("s3.localhost:9000", r, sizeof(r)));
    assert_false(endpoint_region("127.0.0.1:9000", r, sizeof(r)));
    assert_false(endpoint_region("minio.wasabisys.com", r, sizeof(r)));
}

static void placeholders(void **state)
{
    (void)state;
    assert_string_equal(placeholder_kind("https://<project-ref>.supabase.co"), "<...>");
    assert_null(placeholder_kind("Ecotrans Monitoring <monitoring@mg.ecotrans.eu>"));
    assert_string_equal(placeholder_kind("ChangeMe"), "changeme");
    assert_string_equal(placeholder_kind("xxxx"), "xxx");
    assert_string_equal(placeholder_kind("AKIAxxxxxxxx"), "xxx");
    assert_string_equal(placeholder_kind("..."), "...");
    assert_string_equal(placeholder_kind("your-password"), "your-...");
    assert_string_equal(placeholder_kind("user@example.com"), "example");
    assert_string_equal(placeholder_kind("TODO"), "a placeholder word");
    assert_string_equal(placeholder_kind("203.0.113.7"), "documentation address (RFC 5737)");
    assert_null(placeholder_kind(""));
    assert_null(placeholder_kind("51.91.0.10"));
    assert_null(placeholder_kind("s3.eu-central-1.wasabisys.com"));
    assert_null(placeholder_kind("kX9$2mPq7Lr4"));
}

static void supabase_urls(void **state)
{
    (void)state;
    char ref[64];
    assert_true(supabase_url_ref("https://abcdefghijklmnopqrst.supabase.co", ref, sizeof(ref)));
    assert_string_equal(ref, "abcdefghijklmnopqrst");
    assert_true(supabase_url_ref("https://abc.supabase.co/", ref, sizeof(ref)));
    assert_false(supabase_url_ref("http://abc.supabase.co", ref, sizeof(ref)));
    assert_false(supabase_url_ref("https://abc.supabase.com", ref, sizeof(ref)));
    assert_false(supabase_url_ref("https://abc.supabase.co/rest/v1", ref, sizeof(ref)));
    assert_false(supabase_url_ref("https://<project-ref>.supabase.co", ref, sizeof(ref)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hostnames_and_addresses),
        cmocka_unit_test(email_addresses),
        cmocka_unit_test(buckets_regions_times_zones),
        cmocka_unit_test(endpoint_regions),
        cmocka_unit_test(placeholders),
        cmocka_unit_test(supabase_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
