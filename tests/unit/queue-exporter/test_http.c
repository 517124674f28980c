/* The exporter's HTTP endpoints on a real libmicrohttpd server (127.0.0.1,
 * a port the kernel picks), with the collector's database work injected:
 * /healthz while the process lives, /readyz only once a collection reached
 * the database (with the reason when not), /metrics in Prometheus' text
 * format, with queue figures only from a successful collection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "config.h"
#include "http.h"
#include "httpclient.h"

static int collect_ok(void *ctx, double budget_s, struct qe_queue_stats *stats, char *err,
                      size_t errsz)
{
    (void)budget_s;
    (void)err;
    (void)errsz;
    const struct qe_config *cfg = ctx;
    for (size_t i = 0; i < cfg->n_queues; i++) {
        memset(&stats[i], 0, sizeof(stats[i]));
        stats[i].depth[0] = 40 + (double)i;
        stats[i].stuck = 3;
    }
    return 0;
}

static int collect_down(void *ctx, double budget_s, struct qe_queue_stats *stats, char *err,
                        size_t errsz)
{
    (void)ctx;
    (void)budget_s;
    (void)stats;
    snprintf(err, errsz, "cannot connect to the database: Connection refused");
    return -1;
}

static unsigned long no_connects(void *ctx)
{
    (void)ctx;
    return 0;
}

struct server {
    struct qe_config cfg;
    struct qe_collector *c;
    struct qe_http *h;
    char base[64];
};

static void start(struct server *s, qe_collect_fn fn)
{
    qe_config_defaults(&s->cfg);
    s->cfg.cache_ttl_seconds = 3600; /* one collection serves the whole test */
    s->c = qe_collector_new(&s->cfg, fn, no_connects, &s->cfg, "9.9.9-unit");
    assert_non_null(s->c);
    assert_int_equal(qe_collector_start(s->c), 0);
    struct listen_addr a;
    char err[256];
    assert_int_equal(listen_addr_parse("127.0.0.1:1", &a, err, sizeof(err)), 0);
    ((struct sockaddr_in *)&a.ss)->sin_port = 0; /* the kernel picks */
    s->h = qe_http_start(&s->cfg, &a, s->c, err, sizeof(err));
    assert_non_null(s->h);
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%u", qe_http_port(s->h));
    /* The first collection has finished: bounded wait on the condition. */
    for (int i = 0; i < 60000 && qe_collector_collections(s->c) < 1; i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    assert_true(qe_collector_collections(s->c) >= 1);
}

static void stop(struct server *s)
{
    qe_http_stop(s->h);
    qe_collector_stop(s->c);
    qe_collector_free(s->c);
}

static long get(const struct server *s, const char *path, struct http_response *rs)
{
    char url[128], err[256];
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    assert_int_equal(http_get(url, 30, rs, err, sizeof(err)), 0);
    return rs->status;
}

static void a_working_collector_is_ready_and_serves_its_figures(void **state)
{
    (void)state;
    struct server s;
    start(&s, collect_ok);
    struct http_response rs;
    assert_int_equal(get(&s, "/healthz", &rs), 200);
    assert_string_equal(sb_str(&rs.body), "ok\n");
    http_response_free(&rs);
    assert_int_equal(get(&s, "/readyz", &rs), 200);
    assert_non_null(strstr(sb_str(&rs.body), "ready"));
    http_response_free(&rs);

    assert_int_equal(get(&s, "/metrics", &rs), 200);
    char ctype[128];
    assert_true(http_header(&rs, "Content-Type", ctype, sizeof(ctype)));
    assert_non_null(strstr(ctype, "text/plain; version=0.0.4"));
    const char *body = sb_str(&rs.body);
    char want[160];
    snprintf(want, sizeof(want), "supabase_queue_depth{queue=\"%s\",status=\"%s\"} 40\n",
             s.cfg.queues[0].name, qe_queue_depth_status(&s.cfg.queues[0], 0));
    assert_non_null(strstr(body, want));
    snprintf(want, sizeof(want), "supabase_queue_stuck_jobs{queue=\"%s\"} 3\n",
             s.cfg.queues[1].name);
    assert_non_null(strstr(body, want));
    assert_non_null(strstr(body, "queue_exporter_up 1\n"));
    http_response_free(&rs);

    assert_int_equal(get(&s, "/nothing-here", &rs), 404);
    assert_non_null(strstr(sb_str(&rs.body), "try /metrics, /healthz or /readyz"));
    http_response_free(&rs);
    stop(&s);
}

static void a_failing_collector_is_alive_but_not_ready_and_shows_no_figures(void **state)
{
    (void)state;
    struct server s;
    start(&s, collect_down);
    struct http_response rs;
    assert_int_equal(get(&s, "/healthz", &rs), 200);
    http_response_free(&rs);
    assert_int_equal(get(&s, "/readyz", &rs), 503);
    const char *body = sb_str(&rs.body);
    assert_non_null(strstr(body, "not ready: "));
    assert_non_null(strstr(body, "Connection refused"));
    http_response_free(&rs);

    assert_int_equal(get(&s, "/metrics", &rs), 200);
    body = sb_str(&rs.body);
    assert_non_null(strstr(body, "queue_exporter_up 0\n"));
    /* A failed collection never shows stale or zero queue figures. */
    assert_null(strstr(body, "supabase_queue_depth{"));
    assert_null(strstr(body, "supabase_queue_stuck_jobs{"));
    http_response_free(&rs);
    stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_working_collector_is_ready_and_serves_its_figures),
        cmocka_unit_test(a_failing_collector_is_alive_but_not_ready_and_shows_no_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
