#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int metrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                         size_t errsz)
{
    memset(ss, 0, sizeof(*ss));
    const char *colon = strrchr(s ? s : "", ':');
    char host[64];
    if (!colon || colon == s) {
        snprintf(err, errsz, "--metrics-listen '%s': expected ADDR:PORT, e.g. 127.0.0.1:9201",
                 s ? s : "");
        return -1;
    }
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof(host)) {
        snprintf(err, errsz, "--metrics-listen '%s': address too long", s);
        return -1;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || port < 1 || port > 65535) {
        snprintf(err, errsz, "--metrics-listen '%s': bad port", s);
        return -1;
    }
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            goto badaddr;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *sslen = sizeof(*a6);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        goto badaddr;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *sslen = sizeof(*a4);
    return 0;
badaddr:
    snprintf(err, errsz, "--metrics-listen '%s': '%s' is not a numeric IPv4 or [IPv6] address", s,
             host);
    return -1;
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
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (metrics_parse_listen(listen, &ss, &sslen, err, errsz) != 0)
        return NULL;
    struct metrics_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->m = m;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned short port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                         : ((struct sockaddr_in *)&ss)->sin_port);
    s->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
                            MHD_OPTION_CONNECTION_LIMIT, 32U, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
                            MHD_OPTION_END);
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
