/* Group stack: a running deployment, from this machine. Prometheus,
 * Alertmanager and Grafana are published on 127.0.0.1 by compose; the
 * Thanos components are read through the metrics Prometheus scrapes from
 * them (jobs thanos-sidecar and thanos-store), so no extra port is opened. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doctor.h"
#include "httpclient.h"
#include "promapi.h"
#include "promtargets.h"

struct stack {
    struct doctor *d;
    char prom[512];         /* without trailing slash; "" when not configured */
    struct prom_client *pc; /* on prom, created once */
};

static void trim_url(const char *in, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", in ? in : "");
    size_t n = strlen(out);
    while (n && out[n - 1] == '/')
        out[--n] = '\0';
}

static CURLcode get(struct stack *s, const char *url, struct http_response *rs)
{
    struct http_request rq = {
        .url = url, .timeout = s->d->opt->timeout, .cacert = s->d->opt->cacert};
    http_response_init(rs);
    return http_perform(&rq, rs);
}

/* Runs an instant query (strict parsing: a malformed answer is an error,
 * never a 0); returns the number of samples or -1 with err. The rows carry
 * the server and instance labels. */
static int query(struct stack *s, const char *expr, struct prom_vector *out, char *err,
                 size_t errlen)
{
    if (!s->pc) {
        memset(out, 0, sizeof(*out));
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (prom_query(s->pc, expr, 0, "server", "instance", out, err, errlen) != 0)
        return -1;
    return (int)out->n;
}

/* The first sample of an instant query: its value and evaluation time. */
static int query_one(struct stack *s, const char *expr, double *value, double *t, char *err,
                     size_t errlen)
{
    struct prom_vector v;
    int n = query(s, expr, &v, err, errlen);
    if (n > 0) {
        *value = v.rows[0].value;
        *t = v.rows[0].t;
    }
    prom_vector_free(&v);
    return n;
}

static void check_ready(struct stack *s, const char *id, const char *name, const char *base,
                        const char *service, bool *reachable)
{
    struct report *r = s->d->rep;
    char url[600], fix[300];
    snprintf(url, sizeof(url), "%s/-/ready", base);
    struct http_response rs;
    get(s, url, &rs);
    *reachable = rs.code == CURLE_OK;
    snprintf(fix, sizeof(fix), "docker compose up -d %s; docker compose logs --tail 50 %s", service,
             service);
    if (rs.code != CURLE_OK)
        doc_report_fail(r, id, fix, "%s: nothing answers at %s: %s", name, base,
                        http_failure_kind(rs.code));
    else if (rs.status != 200)
        doc_report_fail(r, id, fix, "%s is not ready (%s answered HTTP %ld)", name, url, rs.status);
    else
        doc_report_pass(r, id, "%s is ready (%s)", name, base);
    http_response_free(&rs);
}

static void check_targets_up(struct stack *s)
{
    struct report *r = s->d->rep;
    char url[600], err[300];
    snprintf(url, sizeof(url), "%s/api/v1/targets?state=active", s->prom);
    struct http_response rs;
    get(s, url, &rs);
    struct prom_targets t;
    if (rs.code != CURLE_OK) {
        doc_report_fail(r, "stack.targets-up", "see stack.prometheus-ready", "%s: %s", url,
                        http_failure_kind(rs.code));
    } else if (!doc_prom_parse_targets(sb_str(&rs.body), &t, err, sizeof(err))) {
        doc_report_fail(r, "stack.targets-up",
                        "check that the URL is Prometheus (--prometheus-url)", "%s: %s", url, err);
        doc_prom_targets_free(&t);
    } else {
        if (t.total == 0)
            doc_report_fail(r, "stack.targets-up",
                            "check prometheus.yml and the rendered targets (docker compose logs "
                            "config-init)",
                            "Prometheus has no active target");
        else if (t.up < t.total)
            doc_report_fail(r, "stack.targets-up",
                            "fix each target's error above; `doctor --only targets` tests the "
                            "exporters from this host",
                            "%zu of %zu targets down: %s", t.total - t.up, t.total,
                            sb_str(&t.down));
        else
            doc_report_pass(r, "stack.targets-up", "all %zu targets up (%s)", t.total,
                            sb_str(&t.jobs));
        doc_prom_targets_free(&t);
    }
    http_response_free(&rs);
}

/* up{job=...}: 1 when scraped and up; reports a failure otherwise. */
static bool job_up(struct stack *s, const char *id, const char *job, const char *service)
{
    struct report *r = s->d->rep;
    char expr[200], err[300], fix[300];
    struct prom_vector v;
    snprintf(expr, sizeof(expr), "up{job=\"%s\"}", job);
    int n = query(s, expr, &v, err, sizeof(err));
    bool ok = false;
    if (n < 0) {
        doc_report_fail(r, id, "see stack.prometheus-ready", "%s", err);
    } else if (n == 0) {
        doc_report_fail(r, id,
                        "check prometheus/targets/services/ and that the container runs (docker "
                        "compose ps)",
                        "Prometheus scrapes no %s target", job);
    } else {
        ok = true;
        for (int i = 0; i < n && ok; i++)
            if (v.rows[i].value != 1) {
                const struct prom_sample_row *w = &v.rows[i];
                snprintf(fix, sizeof(fix), "docker compose logs --tail 50 %s", service);
                doc_report_fail(r, id, fix, "%s is down (up=0 for %s%s%s%s%s)", job, job,
                                w->l1[0] ? "/" : "", w->l1, w->l2[0] ? " " : "", w->l2);
                ok = false;
            }
    }
    prom_vector_free(&v);
    return ok;
}

/* Returns: 1 uploaded recently, 0 never uploaded (not yet expected),
 * -1 failed/unknown. *age_out is the last upload's age (seconds) or -1. */
static int check_sidecar(struct stack *s, double *age_out)
{
    struct report *r = s->d->rep;
    const char *id = "stack.thanos-sidecar";
    *age_out = -1;
    if (doc_report_skipped(r, id)) {
        doc_report_skip(r, id, "skipped by --skip");
        return -1;
    }
    if (!job_up(s, id, "thanos-sidecar", "thanos-sidecar"))
        return -1;
    char err[300], age[32], limit[32];
    double val = 0, ts = 0;
    int n = query_one(
        s, "max(thanos_objstore_bucket_last_successful_upload_time{job=\"thanos-sidecar\"})", &val,
        &ts, err, sizeof(err));
    if (n < 0) {
        doc_report_fail(r, id, "see stack.prometheus-ready", "%s", err);
        return -1;
    }
    doc_format_duration(s->d->opt->max_upload_age, limit, sizeof(limit));
    const char *fix = "docker compose logs thanos-sidecar | grep -iE 'upload|error'; "
                      "`doctor --only s3` checks the bucket";
    if (n == 1 && val > 0) {
        /* Age against Prometheus' own clock: immune to this host's skew. */
        double a = ts - val;
        *age_out = a;
        doc_format_duration(a, age, sizeof(age));
        if (a > s->d->opt->max_upload_age) {
            doc_report_fail(
                r, id, fix,
                "last block uploaded %s ago (limit %s; Prometheus cuts a block every 2 h)", age,
                limit);
            return -1;
        }
        doc_report_pass(r, id, "last block uploaded %s ago (limit %s)", age, limit);
        return 1;
    }
    /* No upload yet: normal for the first ~2-3 h after Prometheus starts. */
    n = query_one(s, "time() - max(process_start_time_seconds{job=\"thanos-sidecar\"})", &val, &ts,
                  err, sizeof(err));
    if (n == 1 && isfinite(val) && val < s->d->opt->max_upload_age) {
        doc_format_duration(val, age, sizeof(age));
        doc_report_skip(r, id,
                        "no block uploaded yet; the sidecar started %s ago and Prometheus writes "
                        "its first block about 2 h after it starts",
                        age);
        return 0;
    }
    if (n == 1 && isfinite(val)) {
        doc_format_duration(val, age, sizeof(age));
        doc_report_fail(r, id, fix, "no block uploaded since the sidecar started %s ago (limit %s)",
                        age, limit);
    } else {
        doc_report_fail(r, id, fix, "no block uploaded, and the sidecar's start time is unknown");
    }
    return -1;
}

static void check_store(struct stack *s, int sidecar_state, double last_upload_age)
{
    struct report *r = s->d->rep;
    const char *id = "stack.thanos-store";
    if (doc_report_skipped(r, id)) {
        doc_report_skip(r, id, "skipped by --skip");
        return;
    }
    if (!job_up(s, id, "thanos-store", "thanos-store"))
        return;
    char err[300];
    double blocks = 0, ts = 0;
    int n = query_one(s, "sum(thanos_bucket_store_blocks_loaded{job=\"thanos-store\"})", &blocks,
                      &ts, err, sizeof(err));
    if (n < 0) {
        doc_report_fail(r, id, "see stack.prometheus-ready", "%s", err);
        return;
    }
    if (n == 0) {
        doc_report_fail(r, id, "check the thanos-store image version and its /metrics",
                        "thanos-store exposes no thanos_bucket_store_blocks_loaded");
        return;
    }
    if (blocks > 0) {
        doc_report_pass(r, id, "the store gateway has %.0f block(s) loaded from the bucket",
                        blocks);
        return;
    }
    if (sidecar_state == 0) {
        doc_report_skip(r, id, "the bucket holds no block yet (the sidecar has not uploaded one)");
        return;
    }
    /* The store gateway syncs the bucket every few minutes. */
    if (last_upload_age >= 0 && last_upload_age < 30 * 60) {
        doc_report_skip(r, id,
                        "0 blocks loaded, but the first upload is only minutes old; the store "
                        "gateway picks it up at its next bucket sync");
        return;
    }
    doc_report_fail(r, id,
                    "thanos-store must read the same bucket (thanos/objstore.yml); docker compose "
                    "logs thanos-store",
                    "the store gateway sees 0 blocks although the sidecar has uploaded");
}

static void check_alertmanager(struct stack *s)
{
    struct report *r = s->d->rep;
    char base[512];
    trim_url(s->d->opt->alertmanager_url, base, sizeof(base));
    const char *id = "stack.alertmanager";
    if (!base[0]) {
        doc_report_skip(r, id,
                        "no Alertmanager URL (--alertmanager-url / DOCTOR_ALERTMANAGER_URL "
                        "is empty)");
        return;
    }
    if (doc_report_skipped(r, id)) {
        doc_report_skip(r, id, "skipped by --skip");
        return;
    }
    char url[600];
    snprintf(url, sizeof(url), "%s/-/ready", base);
    struct http_response rs;
    get(s, url, &rs);
    const char *fix = "docker compose up -d alertmanager; docker compose logs --tail 50 "
                      "alertmanager";
    if (rs.code != CURLE_OK) {
        doc_report_fail(r, id, fix, "Alertmanager: nothing answers at %s: %s", base,
                        http_failure_kind(rs.code));
        http_response_free(&rs);
        return;
    }
    if (rs.status != 200) {
        doc_report_fail(r, id, fix, "Alertmanager is not ready (%s answered HTTP %ld)", url,
                        rs.status);
        http_response_free(&rs);
        return;
    }
    http_response_free(&rs);
    /* Ready is not enough: Prometheus must be sending to it. */
    if (!s->prom[0]) {
        doc_report_pass(r, id, "Alertmanager is ready (%s)", base);
        return;
    }
    snprintf(url, sizeof(url), "%s/api/v1/alertmanagers", s->prom);
    get(s, url, &rs);
    int n = rs.code == CURLE_OK ? doc_prom_count_alertmanagers(sb_str(&rs.body)) : -1;
    http_response_free(&rs);
    if (n == 0)
        doc_report_fail(
            r, id,
            "check the alerting section of prometheus.yml and "
            "targets/services/alertmanager.json",
            "Alertmanager is ready at %s, but Prometheus sends alerts to no Alertmanager", base);
    else if (n < 0)
        doc_report_pass(
            r, id, "Alertmanager is ready (%s); Prometheus' alertmanager list unreadable", base);
    else
        doc_report_pass(r, id,
                        "Alertmanager is ready (%s); Prometheus sends alerts to %d Alertmanager(s)",
                        base, n);
}

static void check_grafana(struct stack *s)
{
    struct report *r = s->d->rep;
    char base[512];
    trim_url(s->d->opt->grafana_url, base, sizeof(base));
    const char *id = "stack.grafana";
    if (!base[0]) {
        doc_report_skip(r, id, "no Grafana URL (--grafana-url / DOCTOR_GRAFANA_URL is empty)");
        return;
    }
    if (doc_report_skipped(r, id)) {
        doc_report_skip(r, id, "skipped by --skip");
        return;
    }
    char url[600];
    snprintf(url, sizeof(url), "%s/api/health", base);
    struct http_response rs;
    get(s, url, &rs);
    const char *fix = "docker compose up -d grafana; docker compose logs --tail 50 grafana";
    if (rs.code != CURLE_OK) {
        doc_report_fail(r, id, fix, "Grafana: nothing answers at %s: %s", base,
                        http_failure_kind(rs.code));
    } else {
        /* {"commit": "...", "database": "ok", "version": "11.3.1"} */
        cJSON *root = cJSON_Parse(sb_str(&rs.body));
        const cJSON *db = cJSON_GetObjectItemCaseSensitive(root, "database");
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
        bool db_ok = cJSON_IsString(db) && !strcmp(db->valuestring, "ok");
        char version[32];
        snprintf(version, sizeof(version), "%s", cJSON_IsString(ver) ? ver->valuestring : "?");
        cJSON_Delete(root);
        if (rs.status == 200 && db_ok)
            doc_report_pass(r, id, "Grafana %s is healthy, database ok (%s)", version, url);
        else
            doc_report_fail(r, id, fix, "Grafana is unhealthy: %s answered HTTP %ld%s", url,
                            rs.status, db_ok ? "" : " without database ok");
    }
    http_response_free(&rs);
}

/* The URL whose certificate to read: --caddy-url, else GRAFANA_SITE. false
 * (reported) when there is none to check. */
static bool caddy_url(struct doctor *d, const char *id, char *url, size_t len)
{
    struct report *r = d->rep;
    const char *tls = doc_raw(d, "CADDY_TLS");
    if (d->opt->caddy_url) {
        if (!*d->opt->caddy_url) {
            doc_report_skip(r, id, "no Caddy URL (--caddy-url / DOCTOR_CADDY_URL is empty)");
            return false;
        }
        snprintf(url, len, "%s", d->opt->caddy_url);
        return true;
    }
    if (tls && !strcmp(tls, "internal")) {
        doc_report_skip(r, id,
                        "CADDY_TLS=internal: Caddy's own CA issues short-lived certificates and "
                        "renews them itself");
        return false;
    }
    struct strbuf why;
    sb_init(&why);
    const char *site = doc_input(d, "GRAFANA_SITE", &why);
    if (!site)
        doc_report_fail(r, id, doc_input_fix(d), "cannot check: %s", sb_str(&why));
    else if (str_starts_with(site, "https://"))
        snprintf(url, len, "%s/", site);
    else
        snprintf(url, len, "https://%s/", site);
    sb_free(&why);
    return site != NULL;
}

static void check_caddy_cert(struct stack *s)
{
    struct doctor *d = s->d;
    struct report *r = d->rep;
    const char *id = "stack.caddy-cert";
    char url[600];
    if (!caddy_url(d, id, url, sizeof(url)))
        return;
    if (doc_report_skipped(r, id)) {
        doc_report_skip(r, id, "skipped by --skip");
        return;
    }
    struct http_request rq = {
        .url = url, .timeout = d->opt->timeout, .cacert = d->opt->cacert, .want_certinfo = true};
    struct http_response rs;
    http_response_init(&rs);
    http_perform(&rq, &rs);
    const char *fix = "docker compose logs caddy | grep -iE 'acme|certificate|error'; DNS must "
                      "point here (dns group) and ports 80/443 be open";
    bool trusted = true;
    char verify_error[CURL_ERROR_SIZE] = "";
    if (rs.code == CURLE_PEER_FAILED_VERIFICATION || rs.code == CURLE_SSL_CACERT_BADFILE) {
        /* Read the certificate anyway, to say what is wrong with it. */
        trusted = false;
        snprintf(verify_error, sizeof(verify_error), "%s", rs.error);
        http_response_free(&rs);
        http_response_init(&rs);
        rq.insecure = true;
        http_perform(&rq, &rs);
    }
    if (rs.code != CURLE_OK) {
        doc_report_fail(r, id, "docker compose ps caddy; ports 80/443 must be open",
                        "cannot reach %s: %s (%s)", url, http_failure_kind(rs.code), rs.error);
        http_response_free(&rs);
        return;
    }
    if (!rs.have_cert) {
        doc_report_fail(r, id, "check --caddy-url (it must be an https:// URL served by Caddy)",
                        "no certificate could be read from %s", url);
        http_response_free(&rs);
        return;
    }
    double left = difftime(rs.cert_not_after, time(NULL));
    char leftbuf[32], when[32];
    doc_format_duration(left, leftbuf, sizeof(leftbuf));
    struct tm tm;
    gmtime_r(&rs.cert_not_after, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
    if (!trusted) {
        doc_report_fail(r, id, fix,
                        "the certificate of %s is not trusted (%s); issuer %s, expires %s", url,
                        verify_error, rs.cert_issuer[0] ? rs.cert_issuer : "?", when);
    } else if (left < (double)d->opt->cert_min_days * 86400) {
        doc_report_fail(r, id, fix,
                        "the certificate of %s expires in %s (%s), less than %d days: Caddy renews "
                        "long before that, so renewal is failing",
                        url, left > 0 ? leftbuf : "0s (expired)", when, d->opt->cert_min_days);
    } else {
        doc_report_pass(r, id, "the certificate of %s is trusted and valid for %s (until %s)", url,
                        leftbuf, when);
    }
    http_response_free(&rs);
}

void doc_check_stack(struct doctor *d)
{
    struct report *r = d->rep;
    struct stack s = {.d = d};
    trim_url(d->opt->prometheus_url, s.prom, sizeof(s.prom));
    s.pc = prom_client_new(s.prom, d->opt->timeout, d->opt->cacert);
    const char *later[] = {"stack.targets-up", "stack.thanos-sidecar", "stack.thanos-store"};

    bool prom_up = false;
    if (!s.prom[0]) {
        doc_report_skip(r, "stack.prometheus-ready",
                        "no Prometheus URL (--prometheus-url / DOCTOR_PROMETHEUS_URL is empty)");
    } else if (!d->opt->groups_explicit && !doc_report_skipped(r, "stack.prometheus-ready")) {
        /* Not asked for explicitly: before deploy nothing runs here, and
         * that is not a failure. */
        char url[600];
        snprintf(url, sizeof(url), "%s/-/ready", s.prom);
        struct http_response rs;
        get(&s, url, &rs);
        bool absent = rs.code == CURLE_COULDNT_CONNECT || rs.code == CURLE_COULDNT_RESOLVE_HOST;
        http_response_free(&rs);
        if (absent) {
            doc_report_skip(r, "stack",
                            "no stack running here (nothing answers at %s); "
                            "`doctor --only stack` checks it anyway",
                            s.prom);
            prom_client_free(s.pc);
            return;
        }
        check_ready(&s, "stack.prometheus-ready", "Prometheus", s.prom, "prometheus", &prom_up);
    } else {
        check_ready(&s, "stack.prometheus-ready", "Prometheus", s.prom, "prometheus", &prom_up);
    }
    if (prom_up) {
        if (doc_report_skipped(r, "stack.targets-up"))
            doc_report_skip(r, "stack.targets-up", "skipped by --skip");
        else
            check_targets_up(&s);
        double age;
        int sidecar = check_sidecar(&s, &age);
        check_store(&s, sidecar, age);
    } else {
        for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
            doc_report_skip(r, later[i], "needs Prometheus (see stack.prometheus-ready)");
    }
    check_alertmanager(&s);
    check_grafana(&s);
    check_caddy_cert(&s);
    prom_client_free(s.pc);
}
