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
#include "http.h"
#include "promapi.h"

struct stack {
    struct doctor *d;
    char prom[512]; /* without trailing slash; "" when not configured */
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

/* Runs an instant query; returns the number of samples or -1 with err. */
static int query(struct stack *s, const char *expr, struct prom_sample *out, int max, char *err,
                 size_t errlen)
{
    CURL *c = curl_easy_init();
    char *enc = c ? curl_easy_escape(c, expr, 0) : NULL;
    char *url = xasprintf("%s/api/v1/query?query=%s", s->prom, enc ? enc : "");
    curl_free(enc);
    if (c)
        curl_easy_cleanup(c);
    struct http_response rs;
    get(s, url, &rs);
    free(url);
    int n = -1;
    if (rs.code != CURLE_OK)
        snprintf(err, errlen, "query failed: %s (%s)", http_failure_kind(rs.code), rs.error);
    else
        n = prom_parse_vector(sb_str(&rs.body), out, max, err, errlen);
    http_response_free(&rs);
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
        report_fail(r, id, fix, "%s: nothing answers at %s: %s", name, base,
                    http_failure_kind(rs.code));
    else if (rs.status != 200)
        report_fail(r, id, fix, "%s is not ready (%s answered HTTP %ld)", name, url, rs.status);
    else
        report_pass(r, id, "%s is ready (%s)", name, base);
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
        report_fail(r, "stack.targets-up", "see stack.prometheus-ready", "%s: %s", url,
                    http_failure_kind(rs.code));
    } else if (!prom_parse_targets(sb_str(&rs.body), &t, err, sizeof(err))) {
        report_fail(r, "stack.targets-up", "check that the URL is Prometheus (--prometheus-url)",
                    "%s: %s", url, err);
        prom_targets_free(&t);
    } else {
        if (t.total == 0)
            report_fail(r, "stack.targets-up",
                        "check prometheus.yml and the rendered targets (docker compose logs "
                        "config-init)",
                        "Prometheus has no active target");
        else if (t.up < t.total)
            report_fail(r, "stack.targets-up",
                        "fix each target's error above; `doctor --only targets` tests the "
                        "exporters from this host",
                        "%zu of %zu targets down: %s", t.total - t.up, t.total, sb_str(&t.down));
        else
            report_pass(r, "stack.targets-up", "all %zu targets up (%s)", t.total, sb_str(&t.jobs));
        prom_targets_free(&t);
    }
    http_response_free(&rs);
}

/* up{job=...}: 1 when scraped and up; reports a failure otherwise. */
static bool job_up(struct stack *s, const char *id, const char *job, const char *service)
{
    struct report *r = s->d->rep;
    char expr[200], err[300], fix[300];
    struct prom_sample smp[8];
    snprintf(expr, sizeof(expr), "up{job=\"%s\"}", job);
    int n = query(s, expr, smp, 8, err, sizeof(err));
    if (n < 0) {
        report_fail(r, id, "see stack.prometheus-ready", "%s", err);
        return false;
    }
    if (n == 0) {
        report_fail(r, id,
                    "check prometheus/targets/services/ and that the container runs (docker "
                    "compose ps)",
                    "Prometheus scrapes no %s target", job);
        return false;
    }
    for (int i = 0; i < n; i++)
        if (smp[i].value != 1) {
            snprintf(fix, sizeof(fix), "docker compose logs --tail 50 %s", service);
            report_fail(r, id, fix, "%s is down (up=0 for %s)", job, smp[i].labels);
            return false;
        }
    return true;
}

/* Returns: 1 uploaded recently, 0 never uploaded (not yet expected),
 * -1 failed/unknown. *age_out is the last upload's age (seconds) or -1. */
static int check_sidecar(struct stack *s, double *age_out)
{
    struct report *r = s->d->rep;
    const char *id = "stack.thanos-sidecar";
    *age_out = -1;
    if (report_skipped(r, id)) {
        report_skip(r, id, "skipped by --skip");
        return -1;
    }
    if (!job_up(s, id, "thanos-sidecar", "thanos-sidecar"))
        return -1;
    char err[300], age[32], limit[32];
    struct prom_sample smp[4];
    int n =
        query(s, "max(thanos_objstore_bucket_last_successful_upload_time{job=\"thanos-sidecar\"})",
              smp, 4, err, sizeof(err));
    if (n < 0) {
        report_fail(r, id, "see stack.prometheus-ready", "%s", err);
        return -1;
    }
    format_duration(s->d->opt->max_upload_age, limit, sizeof(limit));
    const char *fix = "docker compose logs thanos-sidecar | grep -iE 'upload|error'; "
                      "`doctor --only s3` checks the bucket";
    if (n == 1 && smp[0].value > 0) {
        /* Age against Prometheus' own clock: immune to this host's skew. */
        double a = smp[0].ts - smp[0].value;
        *age_out = a;
        format_duration(a, age, sizeof(age));
        if (a > s->d->opt->max_upload_age) {
            report_fail(r, id, fix,
                        "last block uploaded %s ago (limit %s; Prometheus cuts a block every 2 h)",
                        age, limit);
            return -1;
        }
        report_pass(r, id, "last block uploaded %s ago (limit %s)", age, limit);
        return 1;
    }
    /* No upload yet: normal for the first ~2-3 h after Prometheus starts. */
    n = query(s, "time() - max(process_start_time_seconds{job=\"thanos-sidecar\"})", smp, 4, err,
              sizeof(err));
    if (n == 1 && isfinite(smp[0].value) && smp[0].value < s->d->opt->max_upload_age) {
        format_duration(smp[0].value, age, sizeof(age));
        report_skip(r, id,
                    "no block uploaded yet; the sidecar started %s ago and Prometheus writes "
                    "its first block about 2 h after it starts",
                    age);
        return 0;
    }
    if (n == 1 && isfinite(smp[0].value)) {
        format_duration(smp[0].value, age, sizeof(age));
        report_fail(r, id, fix, "no block uploaded since the sidecar started %s ago (limit %s)",
                    age, limit);
    } else {
        report_fail(r, id, fix, "no block uploaded, and the sidecar's start time is unknown");
    }
    return -1;
}

static void check_store(struct stack *s, int sidecar_state, double last_upload_age)
{
    struct report *r = s->d->rep;
    const char *id = "stack.thanos-store";
    if (report_skipped(r, id)) {
        report_skip(r, id, "skipped by --skip");
        return;
    }
    if (!job_up(s, id, "thanos-store", "thanos-store"))
        return;
    char err[300];
    struct prom_sample smp[4];
    int n = query(s, "sum(thanos_bucket_store_blocks_loaded{job=\"thanos-store\"})", smp, 4, err,
                  sizeof(err));
    if (n < 0) {
        report_fail(r, id, "see stack.prometheus-ready", "%s", err);
        return;
    }
    if (n == 0) {
        report_fail(r, id, "check the thanos-store image version and its /metrics",
                    "thanos-store exposes no thanos_bucket_store_blocks_loaded");
        return;
    }
    double blocks = smp[0].value;
    if (blocks > 0) {
        report_pass(r, id, "the store gateway has %.0f block(s) loaded from the bucket", blocks);
        return;
    }
    if (sidecar_state == 0) {
        report_skip(r, id, "the bucket holds no block yet (the sidecar has not uploaded one)");
        return;
    }
    /* The store gateway syncs the bucket every few minutes. */
    if (last_upload_age >= 0 && last_upload_age < 30 * 60) {
        report_skip(r, id,
                    "0 blocks loaded, but the first upload is only minutes old; the store "
                    "gateway picks it up at its next bucket sync");
        return;
    }
    report_fail(r, id,
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
        report_skip(r, id,
                    "no Alertmanager URL (--alertmanager-url / DOCTOR_ALERTMANAGER_URL "
                    "is empty)");
        return;
    }
    if (report_skipped(r, id)) {
        report_skip(r, id, "skipped by --skip");
        return;
    }
    char url[600];
    snprintf(url, sizeof(url), "%s/-/ready", base);
    struct http_response rs;
    get(s, url, &rs);
    const char *fix = "docker compose up -d alertmanager; docker compose logs --tail 50 "
                      "alertmanager";
    if (rs.code != CURLE_OK) {
        report_fail(r, id, fix, "Alertmanager: nothing answers at %s: %s", base,
                    http_failure_kind(rs.code));
        http_response_free(&rs);
        return;
    }
    if (rs.status != 200) {
        report_fail(r, id, fix, "Alertmanager is not ready (%s answered HTTP %ld)", url, rs.status);
        http_response_free(&rs);
        return;
    }
    http_response_free(&rs);
    /* Ready is not enough: Prometheus must be sending to it. */
    if (!s->prom[0]) {
        report_pass(r, id, "Alertmanager is ready (%s)", base);
        return;
    }
    snprintf(url, sizeof(url), "%s/api/v1/alertmanagers", s->prom);
    get(s, url, &rs);
    int n = rs.code == CURLE_OK ? prom_count_alertmanagers(sb_str(&rs.body)) : -1;
    http_response_free(&rs);
    if (n == 0)
        report_fail(r, id,
                    "check the alerting section of prometheus.yml and "
                    "targets/services/alertmanager.json",
                    "Alertmanager is ready at %s, but Prometheus sends alerts to no Alertmanager",
                    base);
    else if (n < 0)
        report_pass(r, id, "Alertmanager is ready (%s); Prometheus' alertmanager list unreadable",
                    base);
    else
        report_pass(r, id,
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
        report_skip(r, id, "no Grafana URL (--grafana-url / DOCTOR_GRAFANA_URL is empty)");
        return;
    }
    if (report_skipped(r, id)) {
        report_skip(r, id, "skipped by --skip");
        return;
    }
    char url[600];
    snprintf(url, sizeof(url), "%s/api/health", base);
    struct http_response rs;
    get(s, url, &rs);
    const char *fix = "docker compose up -d grafana; docker compose logs --tail 50 grafana";
    if (rs.code != CURLE_OK) {
        report_fail(r, id, fix, "Grafana: nothing answers at %s: %s", base,
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
            report_pass(r, id, "Grafana %s is healthy, database ok (%s)", version, url);
        else
            report_fail(r, id, fix, "Grafana is unhealthy: %s answered HTTP %ld%s", url, rs.status,
                        db_ok ? "" : " without database ok");
    }
    http_response_free(&rs);
}

static void check_caddy_cert(struct stack *s)
{
    struct doctor *d = s->d;
    struct report *r = d->rep;
    const char *id = "stack.caddy-cert";
    char url[600];
    const char *tls = doctor_raw(d, "CADDY_TLS");
    if (d->opt->caddy_url) {
        if (!*d->opt->caddy_url) {
            report_skip(r, id, "no Caddy URL (--caddy-url / DOCTOR_CADDY_URL is empty)");
            return;
        }
        snprintf(url, sizeof(url), "%s", d->opt->caddy_url);
    } else {
        if (tls && !strcmp(tls, "internal")) {
            report_skip(r, id,
                        "CADDY_TLS=internal: Caddy's own CA issues short-lived certificates and "
                        "renews them itself");
            return;
        }
        struct strbuf why;
        sb_init(&why);
        const char *site = doctor_input(d, "GRAFANA_SITE", &why);
        if (!site) {
            report_fail(r, id, doctor_input_fix(d), "cannot check: %s", sb_str(&why));
            sb_free(&why);
            return;
        }
        sb_free(&why);
        if (str_starts_with(site, "https://"))
            snprintf(url, sizeof(url), "%s/", site);
        else
            snprintf(url, sizeof(url), "https://%s/", site);
    }
    if (report_skipped(r, id)) {
        report_skip(r, id, "skipped by --skip");
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
        report_fail(r, id, "docker compose ps caddy; ports 80/443 must be open",
                    "cannot reach %s: %s (%s)", url, http_failure_kind(rs.code), rs.error);
        http_response_free(&rs);
        return;
    }
    if (!rs.have_cert) {
        report_fail(r, id, "check --caddy-url (it must be an https:// URL served by Caddy)",
                    "no certificate could be read from %s", url);
        http_response_free(&rs);
        return;
    }
    double left = difftime(rs.cert_not_after, time(NULL));
    char leftbuf[32], when[32];
    format_duration(left, leftbuf, sizeof(leftbuf));
    struct tm tm;
    gmtime_r(&rs.cert_not_after, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
    if (!trusted) {
        report_fail(r, id, fix, "the certificate of %s is not trusted (%s); issuer %s, expires %s",
                    url, verify_error, rs.cert_issuer[0] ? rs.cert_issuer : "?", when);
    } else if (left < (double)d->opt->cert_min_days * 86400) {
        report_fail(r, id, fix,
                    "the certificate of %s expires in %s (%s), less than %d days: Caddy renews "
                    "long before that, so renewal is failing",
                    url, left > 0 ? leftbuf : "0s (expired)", when, d->opt->cert_min_days);
    } else {
        report_pass(r, id, "the certificate of %s is trusted and valid for %s (until %s)", url,
                    leftbuf, when);
    }
    http_response_free(&rs);
}

void doctor_check_stack(struct doctor *d)
{
    struct report *r = d->rep;
    struct stack s = {.d = d};
    trim_url(d->opt->prometheus_url, s.prom, sizeof(s.prom));
    const char *later[] = {"stack.targets-up", "stack.thanos-sidecar", "stack.thanos-store"};

    bool prom_up = false;
    if (!s.prom[0]) {
        report_skip(r, "stack.prometheus-ready",
                    "no Prometheus URL (--prometheus-url / DOCTOR_PROMETHEUS_URL is empty)");
    } else if (!d->opt->groups_explicit && !report_skipped(r, "stack.prometheus-ready")) {
        /* Not asked for explicitly: before deploy nothing runs here, and
         * that is not a failure. */
        char url[600];
        snprintf(url, sizeof(url), "%s/-/ready", s.prom);
        struct http_response rs;
        get(&s, url, &rs);
        bool absent = rs.code == CURLE_COULDNT_CONNECT || rs.code == CURLE_COULDNT_RESOLVE_HOST;
        http_response_free(&rs);
        if (absent) {
            report_skip(r, "stack",
                        "no stack running here (nothing answers at %s); "
                        "`doctor --only stack` checks it anyway",
                        s.prom);
            return;
        }
        check_ready(&s, "stack.prometheus-ready", "Prometheus", s.prom, "prometheus", &prom_up);
    } else {
        check_ready(&s, "stack.prometheus-ready", "Prometheus", s.prom, "prometheus", &prom_up);
    }
    if (prom_up) {
        if (report_skipped(r, "stack.targets-up"))
            report_skip(r, "stack.targets-up", "skipped by --skip");
        else
            check_targets_up(&s);
        double age;
        int sidecar = check_sidecar(&s, &age);
        check_store(&s, sidecar, age);
    } else {
        for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
            report_skip(r, later[i], "needs Prometheus (see stack.prometheus-ready)");
    }
    check_alertmanager(&s);
    check_grafana(&s);
    check_caddy_cert(&s);
}
