#include "selfmetrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listenaddr.h"

void metrics_init(struct metrics *m, double start_time, double last_success)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->mu, NULL);
    m->start_time = start_time;
    m->last_success = last_success;
}

void metrics_destroy(struct metrics *m)
{
    pthread_mutex_destroy(&m->mu);
}

void metrics_render(struct metrics *m, struct prom_buf *b)
{
    pthread_mutex_lock(&m->mu);
    struct metrics snap = *m; /* copy, then format without the lock held */
    pthread_mutex_unlock(&m->mu);

    struct prom_label ver = {"version", VERSION};
    prom_family(b, "daily_report_build_info", "gauge", "Always 1; the version label says which.");
    prom_sample(b, "daily_report_build_info", &ver, 1, 1);
    prom_family(b, "daily_report_start_timestamp_seconds", "gauge",
                "Unix time this daily-report process started.");
    prom_sample(b, "daily_report_start_timestamp_seconds", NULL, 0, snap.start_time);
    prom_family(b, "daily_report_last_success_timestamp_seconds", "gauge",
                "Unix time the last report was accepted by the SMTP server (kept across "
                "restarts in the state file; 0 = never).");
    prom_sample(b, "daily_report_last_success_timestamp_seconds", NULL, 0, snap.last_success);
    prom_family(b, "daily_report_last_attempt_timestamp_seconds", "gauge",
                "Unix time the last report run started in this process (0 = none yet).");
    prom_sample(b, "daily_report_last_attempt_timestamp_seconds", NULL, 0, snap.last_attempt);
    prom_family(b, "daily_report_next_run_timestamp_seconds", "gauge",
                "Unix time of the next scheduled report.");
    prom_sample(b, "daily_report_next_run_timestamp_seconds", NULL, 0, snap.next_run);
    prom_family(b, "daily_report_last_duration_seconds", "gauge",
                "How long the last report run took, retries included.");
    prom_sample(b, "daily_report_last_duration_seconds", NULL, 0, snap.last_duration);
    prom_family(b, "daily_report_runs_total", "counter", "Report runs started by this process.");
    prom_sample(b, "daily_report_runs_total", NULL, 0, (double)snap.runs_total);
    prom_family(b, "daily_report_failures_total", "counter",
                "Report runs whose email could not be delivered after every retry.");
    prom_sample(b, "daily_report_failures_total", NULL, 0, (double)snap.failures_total);
    if (snap.have_sections) {
        prom_family(b, "daily_report_section_unavailable", "gauge",
                    "1 when the section's source was unavailable in the last report.");
        for (int i = 0; i < SEC_COUNT; i++) {
            struct prom_label l = {"section", section_name((enum section_id)i)};
            prom_sample(b, "daily_report_section_unavailable", &l, 1, snap.section_unavailable[i]);
        }
    }
}

struct metrics_server {
    struct MHD_Daemon *d;
    struct metrics *m;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *ctype,
                             void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    struct metrics_server *s = cls;
    static char not_allowed[] = "method not allowed\n";
    static char not_found[] = "not found; try /metrics\n";
    static char healthy[] = "OK\n";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
                     sizeof(not_allowed) - 1, MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/-/healthy") == 0)
        return reply(conn, MHD_HTTP_OK, "text/plain", healthy, sizeof(healthy) - 1,
                     MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/metrics") != 0)
        return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1,
                     MHD_RESPMEM_PERSISTENT);
    struct prom_buf b;
    prom_buf_init(&b);
    metrics_render(s->m, &b);
    if (sb_failed(&b.sb)) {
        prom_buf_free(&b);
        return MHD_NO;
    }
    /* MHD frees the buffer with free() once sent. */
    enum MHD_Result r =
        reply(conn, MHD_HTTP_OK, PROM_CONTENT_TYPE, b.sb.data, b.sb.len, MHD_RESPMEM_MUST_FREE);
    if (r == MHD_NO)
        prom_buf_free(&b);
    return r;
}

struct metrics_server *metrics_server_start(const char *listen, struct metrics *m, char *err,
                                            size_t errsz)
{
    struct listen_addr a;
    if (listen_addr_parse(listen, &a, err, errsz) != 0)
        return NULL;
    struct metrics_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->m = m;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (a.ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(flags, (uint16_t)listen_addr_port(&a), NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, &a.ss, MHD_OPTION_CONNECTION_LIMIT, 32U,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errsz, "cannot listen on %s (address in use or not local?)", listen);
        free(s);
        return NULL;
    }
    return s;
}

void metrics_server_stop(struct metrics_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    free(s);
}
