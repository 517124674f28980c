/* Group watcher: the watcher at WATCHER_URL answers /healthz, takes
 * WATCHER_TOKEN and refuses a wrong token. The watcher is played by a
 * loopback peer this test controls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctorfix.h"

#define TOKEN "w4tcher-t0ken-0123456789abcdef"
#define R200 "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
#define R400 "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#define R401 "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#define R404 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

/* The real watcher: 400 for a probe with the right token, 401 otherwise. */
static const char *watcher(const char *rq)
{
    if (!strncmp(rq, "GET /healthz ", 13))
        return R200;
    if (!strncmp(rq, "POST /webhook ", 14))
        return strstr(rq, "Bearer " TOKEN "\r\n") ? R400 : R401;
    return R404;
}

/* A watcher that takes any token. */
static const char *lax_watcher(const char *rq)
{
    return !strncmp(rq, "GET /healthz ", 13) ? R200 : R400;
}

static void run(struct fix *f, struct peer *p, const char *token)
{
    char env[512];
    snprintf(env, sizeof(env), "WATCHER_URL=http://127.0.0.1:%d/webhook\nWATCHER_TOKEN=%s\n",
             p->port, token);
    fix_init(f, env);
    doc_check_watcher(&f->d);
}

static void a_real_watcher_passes_both_checks(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_REPLY, R404);
    p.route = watcher;
    struct fix f;
    run(&f, &p, TOKEN);
    char want[128];
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/healthz answers", p.port);
    assert_string_equal(fix_expect(&f, "watcher.answers", CHECK_PASS)->detail, want);
    assert_contains(fix_expect(&f, "watcher.token", CHECK_PASS)->detail,
                    "accepts WATCHER_TOKEN and refuses a wrong one");
    fix_free(&f);
    peer_stop(&p);
}

static void a_wrong_token_says_where_to_put_the_same_one(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_REPLY, R404);
    p.route = watcher;
    struct fix f;
    run(&f, &p, "an0ther-t0ken-0123456789abcdef");
    const struct check_result *c = fix_expect(&f, "watcher.token", CHECK_FAIL);
    assert_string_equal(c->detail, "the watcher refuses WATCHER_TOKEN (HTTP 401)");
    assert_contains(c->fix, "WATCHER_TOKEN (.env) and the watcher's token file");
    /* The token is a secret: it never appears in any result. */
    char *json = doc_report_json(&f.rep, "x.env", "0");
    assert_null(strstr(json, "an0ther-t0ken"));
    free(json);
    fix_free(&f);
    peer_stop(&p);
}

static void a_watcher_taking_any_token_is_caught(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_REPLY, R404);
    p.route = lax_watcher;
    struct fix f;
    run(&f, &p, TOKEN);
    const struct check_result *c = fix_expect(&f, "watcher.token", CHECK_FAIL);
    assert_string_equal(c->detail, "the watcher does not refuse a wrong token (HTTP 400)");
    fix_free(&f);
    peer_stop(&p);
}

static void another_service_on_the_port_is_named(void **state)
{
    (void)state;
    struct peer p;
    peer_start(&p, PEER_REPLY, R404);
    struct fix f;
    run(&f, &p, TOKEN);
    const struct check_result *c = fix_expect(&f, "watcher.answers", CHECK_FAIL);
    assert_contains(c->detail, "/healthz answered HTTP 404: not the watcher?");
    assert_string_equal(c->fix, "check WATCHER_URL (host and port)");
    c = fix_expect(&f, "watcher.token", CHECK_FAIL);
    assert_contains(c->detail, "answered HTTP 404, not the watcher's 400 for a probe");
    fix_free(&f);
    peer_stop(&p);
}

static void nothing_listening_points_at_the_firewall(void **state)
{
    (void)state;
    int hold;
    struct peer p = {.port = refused_port(&hold)};
    struct fix f;
    run(&f, &p, TOKEN);
    const struct check_result *c = fix_expect(&f, "watcher.answers", CHECK_FAIL);
    assert_contains(c->fix, "systemctl status watcher");
    assert_contains(fix_expect(&f, "watcher.token", CHECK_FAIL)->fix, "see watcher.answers");
    fix_free(&f);
    close(hold);
}

static void another_receiver_skips_the_group_and_missing_inputs_are_named(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "WATCHDOG_RECEIVER=healthchecks\n");
    doc_check_watcher(&f.d);
    assert_string_equal(fix_expect(&f, "watcher", CHECK_SKIP)->detail,
                        "WATCHDOG_RECEIVER=healthchecks: the Watchdog does not go to the watcher");
    fix_free(&f);
    fix_init(&f, "WATCHDOG_RECEIVER=watchdog-watcher\nWATCHER_URL=http://127.0.0.1:1/webhook\n");
    doc_check_watcher(&f.d);
    const struct check_result *c = fix_expect(&f, "watcher.answers", CHECK_FAIL);
    assert_string_equal(c->detail,
                        "cannot check: WATCHER_TOKEN is not set in /nonexistent/doctor-unit.env");
    assert_int_equal(f.rep.n, 1);
    fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_real_watcher_passes_both_checks),
        cmocka_unit_test(a_wrong_token_says_where_to_put_the_same_one),
        cmocka_unit_test(a_watcher_taking_any_token_is_caught),
        cmocka_unit_test(another_service_on_the_port_is_named),
        cmocka_unit_test(nothing_listening_points_at_the_firewall),
        cmocka_unit_test(another_receiver_skips_the_group_and_missing_inputs_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
