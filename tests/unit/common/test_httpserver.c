/* src/common/httpserver: the skeleton on an ephemeral loopback port, with
 * a program's two callbacks: every route, the ready/not-ready answers, the
 * scrape-timeout header reaching the metrics callback, 404, 405, a body
 * refused, and a clean stop; the malloc arena cap's choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpclient.h"
#include "httpserver.h"

struct fake {
    double last_wait;
    bool ready;
};

static int metrics(void *ctx, double wait_s, struct http_reply *out)
{
    struct fake *f = ctx;
    f->last_wait = wait_s;
    out->content_type = "text/plain; version=0.0.4; charset=utf-8";
    out->body = strdup("up 1\n");
    out->len = 5;
    return out->body ? 0 : -1;
}

static int ready(void *ctx, bool *is_ready, char *why, size_t whysz)
{
    struct fake *f = ctx;
    *is_ready = f->ready;
    snprintf(why, whysz, "%s", f->ready ? "the database answered" : "connection refused");
    return 0;
}

/* method, path, extra header or NULL, body or NULL -> status and body */
static long request(unsigned port, const char *method, const char *path, const char *header,
                    const char *body, char *out, size_t outsz)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    struct curl_slist *h = header ? curl_slist_append(NULL, header) : NULL;
    const struct http_request rq = {.method = method,
                                    .url = url,
                                    .headers = h,
                                    .body = body,
                                    .body_len = body ? strlen(body) : 0,
                                    .timeout = 10};
    struct http_response rs;
    http_response_init(&rs);
    assert_int_equal(http_perform(&rq, &rs), CURLE_OK);
    snprintf(out, outsz, "%s", sb_str(&rs.body));
    long status = rs.status;
    http_response_free(&rs);
    curl_slist_free_all(h);
    return status;
}

static void serves_the_routes(void **state)
{
    (void)state;
    struct fake f = {.ready = false};
    const struct http_endpoints ep = {
        .ctx = &f, .metrics = metrics, .ready = ready, .default_wait_s = 7.5};
    const struct http_limits lim = {
        .threads = 2, .max_connections = 16, .max_connections_per_ip = 8, .idle_timeout_s = 5};
    struct listen_addr a;
    char err[256], body[256];
    assert_int_equal(listen_addr_parse("127.0.0.1:1", &a, err, sizeof(err)), 0);
    ((struct sockaddr_in *)&a.ss)->sin_port = 0; /* the kernel picks */
    struct http_server *s = http_server_start(&a, &lim, &ep, err, sizeof(err));
    assert_non_null(s);
    unsigned port = http_server_port(s);
    assert_true(port > 0);
    assert_int_equal(http_global_init("test/1", NULL), 0);

    assert_int_equal(request(port, NULL, "/metrics", NULL, NULL, body, sizeof(body)), 200);
    assert_string_equal(body, "up 1\n");
    assert_true(f.last_wait == 7.5); /* no header: the program's default */
    assert_int_equal(request(port, NULL, "/metrics", "X-Prometheus-Scrape-Timeout-Seconds: 3", NULL,
                             body, sizeof(body)),
                     200);
    assert_true(f.last_wait == 2.75); /* minus the margin to answer */
    assert_int_equal(request(port, NULL, "/metrics", "X-Prometheus-Scrape-Timeout-Seconds: soon",
                             NULL, body, sizeof(body)),
                     400);
    assert_int_equal(request(port, NULL, "/healthz", NULL, NULL, body, sizeof(body)), 200);
    assert_int_equal(request(port, NULL, "/-/healthy", NULL, NULL, body, sizeof(body)), 200);
    assert_int_equal(request(port, NULL, "/readyz", NULL, NULL, body, sizeof(body)), 503);
    assert_string_equal(body, "not ready: connection refused\n");
    f.ready = true;
    assert_int_equal(request(port, NULL, "/readyz", NULL, NULL, body, sizeof(body)), 200);
    assert_string_equal(body, "ready: the database answered\n");
    assert_int_equal(request(port, NULL, "/nope", NULL, NULL, body, sizeof(body)), 404);
    assert_int_equal(request(port, "POST", "/metrics", NULL, "x", body, sizeof(body)), 405);
    assert_int_equal(request(port, "GET", "/metrics", NULL, "a body", body, sizeof(body)), 400);
    http_server_stop(s);

    /* Stopped: nothing listens any more. */
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", port);
    struct http_response rs;
    assert_int_equal(http_get(url, 5, &rs, err, sizeof(err)), -1);
    http_response_free(&rs);
    http_global_cleanup();
}

static void readyz_without_a_ready_callback_is_liveness(void **state)
{
    (void)state;
    struct fake f = {0};
    const struct http_endpoints ep = {.ctx = &f, .metrics = metrics, .default_wait_s = 1};
    const struct http_limits lim = {.threads = 1, .max_connections = 4, .idle_timeout_s = 5};
    struct listen_addr a;
    char err[256], body[256];
    assert_int_equal(listen_addr_parse("127.0.0.1:1", &a, err, sizeof(err)), 0);
    ((struct sockaddr_in *)&a.ss)->sin_port = 0;
    struct http_server *s = http_server_start(&a, &lim, &ep, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(http_global_init("test/1", NULL), 0);
    assert_int_equal(request(http_server_port(s), NULL, "/readyz", NULL, NULL, body, sizeof(body)),
                     200);
    http_server_stop(s);
    http_global_cleanup();
}

/* The arena cap applies unless the operator chose one, in either of
 * glibc's two ways; an empty variable is no choice. */
static void malloc_arena_cap_yields_to_the_operator(void **state)
{
    (void)state;
    assert_int_equal(http_malloc_arenas(NULL, NULL), HTTP_MALLOC_ARENAS);
    assert_int_equal(http_malloc_arenas("", ""), HTTP_MALLOC_ARENAS);
    assert_int_equal(http_malloc_arenas("4", NULL), 0);
    assert_int_equal(http_malloc_arenas(NULL, "glibc.malloc.arena_max=8"), 0);
    assert_int_equal(
        http_malloc_arenas(NULL, "glibc.malloc.check=0:glibc.malloc.arena_max=2:glibc.x=1"), 0);
    /* Another malloc tunable is no arena choice. */
    assert_int_equal(http_malloc_arenas(NULL, "glibc.malloc.arena_test=2"), HTTP_MALLOC_ARENAS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serves_the_routes),
        cmocka_unit_test(readyz_without_a_ready_callback_is_liveness),
        cmocka_unit_test(malloc_arena_cap_yields_to_the_operator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
