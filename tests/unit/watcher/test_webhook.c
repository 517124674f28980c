/* What counts as a heartbeat: bearer tokens and Alertmanager bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

#define TOKEN "s3cr3t-t0ken-0123456789"

/* A body shaped like Alertmanager 0.25's webhook for the Watchdog. */
static const char *const watchdog =
    "{\"receiver\":\"watchdog-watcher\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
    "\"labels\":{\"alertname\":\"Watchdog\",\"cluster\":\"ecotrans-prod\",\"replica\":\"0\","
    "\"severity\":\"none\"},\"annotations\":{\"summary\":\"The alerting pipeline works\"},"
    "\"startsAt\":\"2026-11-30T09:00:00.000Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
    "\"generatorURL\":\"http://prometheus:9090/graph\",\"fingerprint\":\"e5d1f6d4a4a0b1c2\"}],"
    "\"groupLabels\":{\"alertname\":\"Watchdog\"},\"commonLabels\":{\"alertname\":\"Watchdog\"},"
    "\"commonAnnotations\":{},\"externalURL\":\"http://127.0.0.1:9093\",\"version\":\"4\","
    "\"groupKey\":\"{}/{alertname=\\\"Watchdog\\\"}:{alertname=\\\"Watchdog\\\"}\","
    "\"truncatedAlerts\":0}\n";

static int check(const char *body, char *why)
{
    return wd_webhook_check(body, strlen(body), "ecotrans-prod", why, 200);
}

static void bearer(void **state)
{
    (void)state;
    assert_true(wd_bearer_ok("Bearer " TOKEN, TOKEN));
    assert_true(wd_bearer_ok("bearer " TOKEN, TOKEN));
    assert_false(wd_bearer_ok(NULL, TOKEN));
    assert_false(wd_bearer_ok("", TOKEN));
    assert_false(wd_bearer_ok("Bearer ", TOKEN));
    assert_false(wd_bearer_ok("Basic " TOKEN, TOKEN));
    assert_false(wd_bearer_ok(TOKEN, TOKEN));
    assert_false(wd_bearer_ok("Bearer " TOKEN "x", TOKEN));
    assert_false(wd_bearer_ok("Bearer s3cr3t-t0ken-012345678", TOKEN));
    assert_false(wd_bearer_ok("Bearer S3cr3t-t0ken-0123456789", TOKEN));
    assert_false(wd_bearer_ok("Bearer " TOKEN, ""));
}

static void watchdog_is_a_heartbeat(void **state)
{
    (void)state;
    char why[200] = "";
    assert_int_equal(check(watchdog, why), 0);
}

/* The Watchdog body with one substring replaced. */
static int check_variant(const char *from, const char *to, char *why)
{
    char body[4096];
    const char *at = strstr(watchdog, from);
    assert_non_null(at);
    snprintf(body, sizeof(body), "%.*s%s%s", (int)(at - watchdog), watchdog, to, at + strlen(from));
    return check(body, why);
}

static void not_heartbeats(void **state)
{
    (void)state;
    char why[200];
    assert_int_equal(check_variant("\"alerts\":[{\"status\":\"firing\"",
                                   "\"alerts\":[{\"status\":\"resolved\"", why),
                     -1);
    assert_non_null(strstr(why, "no firing Watchdog"));
    assert_int_equal(check_variant("\"alertname\":\"Watchdog\",\"cluster\"",
                                   "\"alertname\":\"InstanceDown\",\"cluster\"", why),
                     -1);
    assert_int_equal(check_variant("ecotrans-prod", "ecotrans-test", why), -1);
    assert_non_null(strstr(why, "another cluster"));
    assert_int_equal(check_variant("\"cluster\":\"ecotrans-prod\",", "", why), -1);
    assert_int_equal(check_variant("\"version\":\"4\"", "\"version\":\"3\"", why), -1);
    assert_int_equal(check_variant("\"alerts\":[{", "\"alerts\":{\"x\":{", why), -1);
}

static void junk_refused(void **state)
{
    (void)state;
    char why[200];
    const char *junk[] = {"",
                          "{",
                          "null",
                          "[]",
                          "\"Watchdog\"",
                          "{}",
                          "{\"version\":\"4\"}",
                          "{\"version\":\"4\",\"alerts\":[]}",
                          "{\"version\":\"4\",\"alerts\":[1]}",
                          "{\"version\":\"4\",\"alerts\":[{\"labels\":{}}]}",
                          "\xff\xfe garbage",
                          "version=4&alertname=Watchdog"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        assert_int_equal(check(junk[i], why), -1);
    /* A valid body followed by more. */
    char two[4096];
    snprintf(two, sizeof(two), "%s%s", watchdog, watchdog);
    assert_int_equal(check(two, why), -1);
    assert_non_null(strstr(why, "after the JSON"));
    /* An embedded NUL. */
    size_t n = strlen(watchdog);
    char *nul = malloc(n + 1);
    memcpy(nul, watchdog, n + 1);
    nul[5] = '\0';
    assert_int_equal(wd_webhook_check(nul, n, "ecotrans-prod", why, sizeof(why)), -1);
    free(nul);
}

static void size_bounded(void **state)
{
    (void)state;
    char why[200];
    size_t n = WD_WEBHOOK_MAX_BODY + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = '\0';
    memcpy(big, watchdog, strlen(watchdog));
    assert_int_equal(wd_webhook_check(big, n, "ecotrans-prod", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "larger"));
    free(big);
}

static void deep_nesting_does_not_crash(void **state)
{
    (void)state;
    char why[200];
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    assert_int_equal(check(deep, why), -1);
    free(deep);
}

static void token_files(void **state)
{
    (void)state;
    char why[200];
    char ok[] = "  " TOKEN "\n";
    assert_int_equal(wd_token_clean(ok, why, sizeof(why)), 0);
    assert_string_equal(ok, TOKEN);
    char shortt[] = "short\n";
    assert_int_equal(wd_token_clean(shortt, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "16"));
    assert_null(strstr(why, "short")); /* never quotes the token */
    char inner[] = "abcdefgh ijklmnopqrstuvwxyz";
    assert_int_equal(wd_token_clean(inner, why, sizeof(why)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bearer),         cmocka_unit_test(watchdog_is_a_heartbeat),
        cmocka_unit_test(not_heartbeats), cmocka_unit_test(junk_refused),
        cmocka_unit_test(size_bounded),   cmocka_unit_test(deep_nesting_does_not_crash),
        cmocka_unit_test(token_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
