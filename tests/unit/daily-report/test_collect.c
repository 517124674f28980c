/* collect.c against real HTTP peers: a Prometheus and an Alertmanager
 * stand-in (libmicrohttpd on an ephemeral loopback port) answering the
 * report's own PromQL (collect.h) with known values. Checked: each figure
 * lands on its server or queue, the 24 h maximum is never below the
 * current value, down servers and the worst rows are kept when a table is
 * cut, charts are drawn, and every failing or unset source marks only its
 * own sections unavailable, saying why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "collect.h"
#include "httpclient.h"
#include "strbuf.h"

#define AT 1795762800

/* What the stand-in answers; set by each test. */
static int many_servers;    /* 60 servers instead of B and F */
static int no_up_series;    /* up{job="node"} has no series */
static int no_queue_series; /* supabase_queue_depth has no series */

static void vec_begin(struct strbuf *b)
{
    sb_puts(b, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
}

static void vec_row(struct strbuf *b, const char *l1, const char *v1, const char *l2,
                    const char *v2, const char *value)
{
    if (b->len && b->data[b->len - 1] == '}')
        sb_puts(b, ",");
    sb_printf(b, "{\"metric\":{\"%s\":\"%s\"", l1, v1);
    if (l2)
        sb_printf(b, ",\"%s\":\"%s\"", l2, v2);
    sb_printf(b, "},\"value\":[%d,\"%s\"]}", AT, value);
}

static void servers_answer(struct strbuf *b, const char *q)
{
    if (many_servers) { /* s55..s59 at 99 % CPU, s58 down, the rest at 10 % */
        for (int i = 0; i < 60; i++) {
            char name[16];
            snprintf(name, sizeof(name), "s%02d", i);
            if (strcmp(q, Q_UP) == 0)
                vec_row(b, "server", name, NULL, NULL, i == 58 ? "0" : "1");
            else if (strcmp(q, Q_MAX_24H(Q_CPU)) == 0)
                vec_row(b, "server", name, NULL, NULL, i >= 55 ? "99" : "10");
        }
        return;
    }
    static const struct {
        const char *q, *server, *value;
    } rows[] = {
        {Q_UP, "F", "1"},
        {Q_UP, "B", "0"},
        {Q_CPU, "F", "12.5"},
        {Q_MAX_24H(Q_CPU), "F", "40"},
        {Q_RAM, "F", "70"},
        {Q_MAX_24H(Q_RAM), "F", "60"}, /* the subquery lags: below the current value */
        {Q_DISK, "F", "81"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (strcmp(q, rows[i].q) == 0 && !(no_up_series && strcmp(q, Q_UP) == 0))
            vec_row(b, "server", rows[i].server, NULL, NULL, rows[i].value);
}

static void queues_answer(struct strbuf *b, const char *q)
{
    if (strcmp(q, Q_QUEUE_DEPTH) == 0 && !no_queue_series) {
        vec_row(b, "queue", "transcriptions", "status", "pending", "42");
        vec_row(b, "queue", "pdf", "status", "pending", "1");
        vec_row(b, "queue", "transcriptions", "status", "processing", "5");
        vec_row(b, "queue", "transcriptions", "status", "failed", "3");
    } else if (strcmp(q, Q_QUEUE_STUCK) == 0) {
        vec_row(b, "queue", "transcriptions", NULL, NULL, "2");
    } else if (strcmp(q, Q_QUEUE_FAILED) == 0) {
        vec_row(b, "queue", "transcriptions", NULL, NULL, "7");
    }
}

static void range_answer(struct strbuf *b, const char *q)
{
    const char *label = strcmp(q, Q_TOPK(Q_CPU)) == 0 ? "server" : "queue";
    const char *name = label[0] == 's' ? "F" : "transcriptions";
    sb_printf(b,
              "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
              "{\"metric\":{\"%s\":\"%s\"},\"values\":[[%d,\"10\"],[%d,\"30\"],[%d,\"20\"]]}]}}",
              label, name, AT - 7200, AT - 3600, AT - 120);
}

static const char ALERTS[] =
    "[{\"labels\":{\"alertname\":\"Watchdog\",\"severity\":\"none\"},\"annotations\":{},"
    "\"startsAt\":\"2026-11-27T06:00:00Z\",\"status\":{\"state\":\"active\"}},"
    "{\"labels\":{\"alertname\":\"HostDown\",\"severity\":\"critical\",\"server\":\"B\"},"
    "\"annotations\":{\"summary\":\"B is down\"},\"startsAt\":\"2026-11-27T06:12:00Z\","
    "\"status\":{\"state\":\"active\"}}]";

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_size, (void)req_cls;
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "query");
    struct strbuf b;
    sb_init(&b);
    unsigned status = 200;
    if (strcmp(url, "/api/v1/query") == 0 && q) {
        vec_begin(&b);
        servers_answer(&b, q);
        queues_answer(&b, q);
        sb_puts(&b, "]}}");
    } else if (strcmp(url, "/api/v1/query_range") == 0 && q) {
        range_answer(&b, q);
    } else if (strcmp(url, "/api/v2/alerts") == 0) {
        sb_puts(&b, ALERTS);
    } else {
        status = 404;
        sb_puts(&b, "not found");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    sb_free(&b);
    return ret;
}

static struct MHD_Daemon *peer;
static char base[64];
static struct config cfg;

static int setup(void **state)
{
    (void)state;
    many_servers = no_up_series = no_queue_series = 0;
    peer = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, NULL,
                            MHD_OPTION_END);
    if (!peer)
        return -1;
    snprintf(base, sizeof(base), "http://127.0.0.1:%u",
             MHD_get_daemon_info(peer, MHD_DAEMON_INFO_BIND_PORT)->port);
    memset(&cfg, 0, sizeof(cfg));
    cfg.prometheus_url = base;
    cfg.alertmanager_url = base;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (peer)
        MHD_stop_daemon(peer);
    peer = NULL;
    return 0;
}

static void figures_land_on_their_rows(void **state)
{
    (void)state;
    struct report r;
    dr_report_init(&r, AT);
    dr_collect_report(&cfg, &r);
    assert_int_equal(r.sec[SEC_INFRA].available, 1);
    assert_int_equal(r.sec[SEC_QUEUES].available, 1);
    assert_int_equal(r.sec[SEC_ALERTS].available, 1);
    assert_int_equal(r.sec[SEC_BUSINESS].available, 0);
    assert_string_equal(r.sec[SEC_BUSINESS].reason, "REPORT_DB_DSN is not set");

    assert_int_equal(r.nservers, 2);
    const struct server_row *b = &r.servers[0], *f = &r.servers[1];
    assert_string_equal(b->name, "B"); /* sorted by name */
    assert_int_equal(b->up, 0);
    assert_true(isnan(b->cpu) && isnan(b->cpu_max) && isnan(b->disk_max));
    assert_string_equal(f->name, "F");
    assert_int_equal(f->up, 1);
    assert_true(f->cpu == 12.5 && f->cpu_max == 40);
    assert_true(f->ram == 70 && f->ram_max == 70);   /* never below the current value */
    assert_true(f->disk == 81 && f->disk_max == 81); /* no maximum: the current value */

    assert_int_equal(r.nqueues, 2);
    assert_string_equal(r.queues[0].name, "pdf");
    assert_true(r.queues[0].pending == 1);
    assert_true(isnan(r.queues[0].processing) && isnan(r.queues[0].stuck));
    const struct queue_row *t = &r.queues[1];
    assert_string_equal(t->name, "transcriptions");
    assert_true(t->pending == 42 && t->processing == 5 && t->failed == 3);
    assert_true(t->stuck == 2 && t->failed_24h == 7);

    /* Both charts drawn from the range answers: real PNGs. */
    assert_non_null(r.cpu_chart.data);
    assert_memory_equal(r.cpu_chart.data, "\x89PNG", 4);
    assert_int_equal(r.cpu_chart.width, CHART_WIDTH);
    assert_non_null(r.queue_chart.data);

    assert_int_equal(r.alerts.watchdog, 1);
    assert_int_equal(r.alerts.n, 1);
    assert_string_equal(r.alerts.items[0].name, "HostDown");
    assert_string_equal(r.alerts.items[0].server, "B");
    dr_report_free(&r);
}

/* 60 servers, 50 rows: the down one and the hottest are among them. */
static void cut_table_keeps_the_worst(void **state)
{
    (void)state;
    many_servers = 1;
    struct report r;
    dr_report_init(&r, AT);
    dr_collect_report(&cfg, &r);
    assert_int_equal(r.sec[SEC_INFRA].available, 1);
    assert_int_equal(r.nservers, 60);
    assert_string_equal(r.servers[0].name, "s00");
    assert_string_equal(r.servers[44].name, "s44");
    const char *kept[] = {"s55", "s56", "s57", "s58", "s59"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(r.servers[45 + i].name, kept[i]);
    assert_int_equal(r.servers[48].up, 0);
    dr_report_free(&r);
}

static void empty_answers_say_what_is_missing(void **state)
{
    (void)state;
    no_up_series = no_queue_series = 1;
    struct report r;
    dr_report_init(&r, AT);
    dr_collect_report(&cfg, &r);
    assert_int_equal(r.sec[SEC_INFRA].available, 0);
    assert_string_equal(r.sec[SEC_INFRA].reason, "Prometheus has no up{job=\"node\"} series");
    assert_int_equal(r.sec[SEC_QUEUES].available, 0);
    assert_string_equal(r.sec[SEC_QUEUES].reason,
                        "Prometheus has no supabase_queue_depth series (is queue-exporter "
                        "scraped?)");
    assert_int_equal(r.nservers, 0);
    assert_null(r.cpu_chart.data);
    assert_int_equal(r.sec[SEC_ALERTS].available, 1); /* the other source is unaffected */
    dr_report_free(&r);
}

static void unset_sources_are_named(void **state)
{
    (void)state;
    struct config none;
    memset(&none, 0, sizeof(none));
    struct report r;
    dr_report_init(&r, AT);
    dr_collect_report(&none, &r);
    assert_int_equal(dr_report_unavailable_count(&r), SEC_COUNT);
    assert_string_equal(r.sec[SEC_INFRA].reason, "PROMETHEUS_URL is not set");
    assert_string_equal(r.sec[SEC_QUEUES].reason, "PROMETHEUS_URL is not set");
    assert_string_equal(r.sec[SEC_BUSINESS].reason, "REPORT_DB_DSN is not set");
    assert_string_equal(r.sec[SEC_ALERTS].reason, "ALERTMANAGER_URL is not set");
    dr_report_free(&r);
}

/* Prometheus gone, Alertmanager answering; a contract file that is not
 * there costs the business section only, before any database is asked. */
static void failing_source_costs_only_its_sections(void **state)
{
    (void)state;
    char gone[80];
    snprintf(gone, sizeof(gone), "%s/nothing-here", base);
    cfg.prometheus_url = gone;
    cfg.db_dsn = "host=127.0.0.1 port=1 dbname=x";
    cfg.contract_file = "/nonexistent/contract.yml";
    struct report r;
    dr_report_init(&r, AT);
    dr_collect_report(&cfg, &r);
    assert_int_equal(r.sec[SEC_INFRA].available, 0);
    assert_non_null(strstr(r.sec[SEC_INFRA].reason, "/nothing-here/api/v1/query"));
    assert_non_null(strstr(r.sec[SEC_INFRA].reason, "HTTP 404"));
    assert_int_equal(r.sec[SEC_QUEUES].available, 0);
    assert_int_equal(r.sec[SEC_BUSINESS].available, 0);
    assert_true(strncmp(r.sec[SEC_BUSINESS].reason, "REPORT_SCHEMA_CONTRACT: ", 24) == 0);
    assert_non_null(strstr(r.sec[SEC_BUSINESS].reason, "/nonexistent/contract.yml"));
    assert_int_equal(r.sec[SEC_ALERTS].available, 1);
    dr_report_free(&r);
}

int main(void)
{
    http_global_init("test/1", NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(figures_land_on_their_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_table_keeps_the_worst, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_answers_say_what_is_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(unset_sources_are_named, setup, teardown),
        cmocka_unit_test_setup_teardown(failing_source_costs_only_its_sections, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    http_global_cleanup();
    dr_chart_global_cleanup(); /* fontconfig's caches: not leaks of ours */
    return rc;
}
