#include "promapi.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpclient.h"
#include "strbuf.h"

struct prom_client {
    char *base; /* without trailing slashes */
    long timeout_s;
    char *cacert;
    size_t max_body;   /* 0: HTTP_DEFAULT_MAX_BODY */
    size_t max_series; /* 0: no limit */
};

void prom_client_set_limits(struct prom_client *c, size_t max_body, size_t max_series)
{
    c->max_body = max_body;
    c->max_series = max_series;
}

static int too_many(const struct prom_client *c, size_t n, char *err, size_t errsz)
{
    if (!c->max_series || n <= c->max_series)
        return 0;
    snprintf(err, errsz, "Prometheus: %zu series, more than the %zu this program handles", n,
             c->max_series);
    return 1;
}

struct prom_client *prom_client_new(const char *base_url, long timeout_s, const char *cacert)
{
    struct prom_client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    size_t bl = strlen(base_url);
    while (bl > 0 && base_url[bl - 1] == '/')
        bl--;
    c->base = strndup(base_url, bl);
    c->cacert = cacert ? strdup(cacert) : NULL;
    c->timeout_s = timeout_s > 0 ? timeout_s : 30;
    if (!c->base || (cacert && !c->cacert)) {
        prom_client_free(c);
        return NULL;
    }
    return c;
}

void prom_client_free(struct prom_client *c)
{
    if (!c)
        return;
    free(c->base);
    free(c->cacert);
    free(c);
}

const char *prom_client_url(const struct prom_client *c)
{
    return c->base;
}

void prom_vector_free(struct prom_vector *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->rows[i].l1);
        free(v->rows[i].l2);
    }
    free(v->rows);
    memset(v, 0, sizeof(*v));
}

void prom_matrix_free(struct prom_matrix *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->series[i].l1);
        free(m->series[i].t);
        free(m->series[i].v);
    }
    free(m->series);
    memset(m, 0, sizeof(*m));
}

static int cmp_opt(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_row(const void *x, const void *y)
{
    const struct prom_sample_row *a = x, *b = y;
    int d = strcmp(a->l1, b->l1);
    return d ? d : cmp_opt(a->l2, b->l2);
}

void prom_vector_sort(struct prom_vector *v)
{
    if (v->n > 1)
        qsort(v->rows, v->n, sizeof(*v->rows), cmp_row);
    v->sorted = 1;
}

const struct prom_sample_row *prom_vector_find(const struct prom_vector *v, const char *l1,
                                               const char *l2)
{
    size_t lo = 0, hi = v->n;
    if (v->sorted) {
        /* The first row whose l1 is not below l1: O(log n) per look-up,
         * so a report over n servers is not O(n^2). */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(v->rows[mid].l1, l1) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        hi = v->n;
    }
    for (size_t i = lo; i < hi; i++) {
        int d = strcmp(v->rows[i].l1, l1);
        if (d != 0) {
            if (v->sorted)
                break;
            continue;
        }
        if (l2 && (!v->rows[i].l2 || strcmp(v->rows[i].l2, l2) != 0))
            continue;
        return &v->rows[i];
    }
    return NULL;
}

/* Prometheus sends sample values as strings: decimal ("12.5", "1e-05"),
 * "NaN", "+Inf" or "-Inf". strtod alone also takes hex floats, "inf",
 * "nan(...)" and leading blanks, none of which Prometheus writes. */
static bool value_syntax_ok(const char *s)
{
    if (!strcmp(s, "NaN") || !strcmp(s, "+Inf") || !strcmp(s, "-Inf"))
        return true;
    const char *p = s + (*s == '-' || *s == '+');
    size_t digits = strspn(p, "0123456789");
    p += digits;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        digits += frac;
        p += 1 + frac;
    }
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '-' || p[1] == '+');
        size_t exp = strspn(p, "0123456789");
        if (exp == 0)
            return false;
        p += exp;
    }
    return *p == '\0';
}

static int parse_value(const cJSON *s, double *out)
{
    if (!cJSON_IsString(s) || !value_syntax_ok(s->valuestring))
        return -1;
    const char *str = s->valuestring;
    char *end;
    double v = strtod(str, &end);
    if (end == str || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* [ <unix time number>, "<value>" ] */
static int parse_pair(const cJSON *pair, double *t, double *v)
{
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
        return -1;
    const cJSON *ts = cJSON_GetArrayItem(pair, 0);
    if (!cJSON_IsNumber(ts))
        return -1;
    *t = ts->valuedouble;
    return parse_value(cJSON_GetArrayItem(pair, 1), v);
}

static char *label_of(const cJSON *metric, const char *name)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(metric, name);
    return strdup(cJSON_IsString(l) ? l->valuestring : "");
}

/* Checks the envelope and returns data.result, or NULL with err set. */
static const cJSON *result_of(const cJSON *root, const char *want_type, const char **got_type,
                              char *err, size_t errsz)
{
    if (!cJSON_IsObject(root)) {
        snprintf(err, errsz, "response is not a JSON object");
        return NULL;
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (!cJSON_IsString(status)) {
        snprintf(err, errsz, "response has no \"status\"");
        return NULL;
    }
    if (strcmp(status->valuestring, "success") != 0) {
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(root, "errorType");
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(root, "error");
        snprintf(err, errsz, "query failed: %s: %s", cJSON_IsString(et) ? et->valuestring : "?",
                 cJSON_IsString(em) ? em->valuestring : "(no message)");
        return NULL;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(data, "resultType");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(data, "result");
    if (!cJSON_IsString(rt) || !res) {
        snprintf(err, errsz, "response has no data.resultType/data.result");
        return NULL;
    }
    *got_type = rt->valuestring;
    if (want_type && strcmp(rt->valuestring, want_type) != 0) {
        snprintf(err, errsz, "expected a %s result, got %s", want_type, rt->valuestring);
        return NULL;
    }
    return res;
}

int prom_parse_vector(const char *json, size_t len, const char *label1, const char *label2,
                      struct prom_vector *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        snprintf(err, errsz, "response is not valid JSON");
        return -1;
    }
    int rc = -1;
    const char *type = NULL;
    const cJSON *res = result_of(root, NULL, &type, err, errsz);
    if (!res)
        goto done;
    if (strcmp(type, "scalar") == 0) {
        double t, v;
        if (parse_pair(res, &t, &v) != 0) {
            snprintf(err, errsz, "malformed scalar result");
            goto done;
        }
        out->rows = calloc(1, sizeof(*out->rows));
        if (!out->rows)
            goto oom;
        out->n = 1;
        out->rows[0].l1 = strdup("");
        out->rows[0].l2 = label2 ? strdup("") : NULL;
        out->rows[0].t = t;
        out->rows[0].value = v;
        if (!out->rows[0].l1 || (label2 && !out->rows[0].l2))
            goto oom;
        rc = 0;
        goto done;
    }
    if (strcmp(type, "vector") != 0 || !cJSON_IsArray(res)) {
        snprintf(err, errsz, "expected a vector result, got %s", type);
        goto done;
    }
    size_t n = (size_t)cJSON_GetArraySize(res);
    if (n) {
        out->rows = calloc(n, sizeof(*out->rows));
        if (!out->rows)
            goto oom;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, res)
    {
        const cJSON *metric = cJSON_GetObjectItemCaseSensitive(item, "metric");
        double t, v;
        if (!cJSON_IsObject(metric) ||
            parse_pair(cJSON_GetObjectItemCaseSensitive(item, "value"), &t, &v) != 0) {
            snprintf(err, errsz, "malformed sample in vector result");
            goto done;
        }
        struct prom_sample_row *r = &out->rows[out->n++];
        r->l1 = label_of(metric, label1);
        r->l2 = label2 ? label_of(metric, label2) : NULL;
        r->t = t;
        r->value = v;
        if (!r->l1 || (label2 && !r->l2))
            goto oom;
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, errsz, "out of memory");
done:
    cJSON_Delete(root);
    if (rc != 0)
        prom_vector_free(out);
    return rc;
}

int prom_parse_matrix(const char *json, size_t len, const char *label1, struct prom_matrix *out,
                      char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        snprintf(err, errsz, "response is not valid JSON");
        return -1;
    }
    int rc = -1;
    const char *type = NULL;
    const cJSON *res = result_of(root, "matrix", &type, err, errsz);
    if (!res)
        goto done;
    if (!cJSON_IsArray(res)) {
        snprintf(err, errsz, "matrix result is not an array");
        goto done;
    }
    size_t n = (size_t)cJSON_GetArraySize(res);
    if (n) {
        out->series = calloc(n, sizeof(*out->series));
        if (!out->series)
            goto oom;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, res)
    {
        const cJSON *metric = cJSON_GetObjectItemCaseSensitive(item, "metric");
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(item, "values");
        if (!cJSON_IsObject(metric) || !cJSON_IsArray(values)) {
            snprintf(err, errsz, "malformed series in matrix result");
            goto done;
        }
        struct prom_series *s = &out->series[out->n++];
        s->l1 = label_of(metric, label1);
        size_t np = (size_t)cJSON_GetArraySize(values);
        s->t = calloc(np ? np : 1, sizeof(*s->t));
        s->v = calloc(np ? np : 1, sizeof(*s->v));
        if (!s->l1 || !s->t || !s->v)
            goto oom;
        const cJSON *pair;
        cJSON_ArrayForEach(pair, values)
        {
            if (parse_pair(pair, &s->t[s->n], &s->v[s->n]) != 0) {
                snprintf(err, errsz, "malformed point in matrix result");
                goto done;
            }
            s->n++;
        }
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, errsz, "out of memory");
done:
    cJSON_Delete(root);
    if (rc != 0)
        prom_matrix_free(out);
    return rc;
}

/* GET base/path?params and hand the body of a 200 answer to the caller;
 * anything else is an error (with the message of Prometheus' error
 * envelope when there is one). */
static int api_get(const struct prom_client *c, const char *path_and_query,
                   struct http_response *resp, char *err, size_t errsz)
{
    struct strbuf url;
    sb_init(&url);
    sb_printf(&url, "%s%s", c->base, path_and_query);
    if (sb_failed(&url)) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    const struct http_request rq = {.url = sb_str(&url),
                                    .timeout = c->timeout_s,
                                    .connect_timeout = c->timeout_s < 5 ? c->timeout_s : 5,
                                    .fail_on_cap = true,
                                    .max_body = c->max_body,
                                    .compressed = true,
                                    .cacert = c->cacert};
    http_response_init(resp);
    int rc = 0;
    char shown[1024];
    if (http_perform(&rq, resp) != CURLE_OK) {
        http_redact_url(sb_str(&url), shown, sizeof(shown));
        if (resp->truncated)
            snprintf(err, errsz, "GET %s: response larger than %zu bytes", shown,
                     c->max_body ? c->max_body : (size_t)HTTP_DEFAULT_MAX_BODY);
        else
            snprintf(err, errsz, "GET %s: %s", shown, resp->error);
        rc = -1;
    } else if (resp->status != 200) {
        /* Only 200 carries data: a 500 or a redirect with a "success"
         * envelope (a proxy, a misconfigured path) is not an answer. An
         * error envelope's message is kept. */
        http_redact_url(sb_str(&url), shown, sizeof(shown));
        cJSON *root = cJSON_ParseWithLength(sb_str(&resp->body), resp->body.len);
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(root, "error");
        snprintf(err, errsz, "GET %s: HTTP %ld%s%.300s", shown, resp->status,
                 cJSON_IsString(em) ? ": " : "", cJSON_IsString(em) ? em->valuestring : "");
        cJSON_Delete(root);
        rc = -1;
    }
    if (rc != 0)
        http_response_free(resp);
    sb_free(&url);
    return rc;
}

static void prefix_err(const char *what, char *err, size_t errsz)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", err);
    snprintf(err, errsz, "%s: %s", what, tmp);
}

/* GET base/api/v1/ENDPOINT?query=EXPR (escaped) followed by the parameters
 * params_fmt formats, e.g. "&time=%.3f"; the caller frees resp on 0. */
__attribute__((format(printf, 7, 8))) static int
api_query(const struct prom_client *c, struct http_response *resp, char *err, size_t errsz,
          const char *endpoint, const char *expr, const char *params_fmt, ...)
{
    char *q = http_escape(expr);
    if (!q) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    struct strbuf pq;
    sb_init(&pq);
    sb_printf(&pq, "/api/v1/%s?query=%s", endpoint, q);
    free(q);
    va_list ap;
    va_start(ap, params_fmt);
    sb_vprintf(&pq, params_fmt, ap);
    va_end(ap);
    int rc = -1;
    if (sb_failed(&pq))
        snprintf(err, errsz, "out of memory");
    else
        rc = api_get(c, sb_str(&pq), resp, err, errsz);
    sb_free(&pq);
    return rc;
}

int prom_query(const struct prom_client *c, const char *expr, double at, const char *label1,
               const char *label2, struct prom_vector *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    struct http_response resp;
    int rc = at > 0 ? api_query(c, &resp, err, errsz, "query", expr, "&time=%.3f", at)
                    : api_query(c, &resp, err, errsz, "query", expr, "%s", "");
    if (rc != 0)
        return -1; /* the message names the URL */
    rc = prom_parse_vector(sb_str(&resp.body), resp.body.len, label1, label2, out, err, errsz);
    http_response_free(&resp);
    if (rc != 0)
        prefix_err("Prometheus", err, errsz);
    else if (too_many(c, out->n, err, errsz)) {
        prom_vector_free(out);
        rc = -1;
    }
    return rc;
}

int prom_query_range(const struct prom_client *c, const char *expr, double start, double end,
                     double step, const char *label1, struct prom_matrix *out, char *err,
                     size_t errsz)
{
    memset(out, 0, sizeof(*out));
    struct http_response resp;
    int rc = api_query(c, &resp, err, errsz, "query_range", expr, "&start=%.3f&end=%.3f&step=%.0f",
                       start, end, step);
    if (rc != 0)
        return -1;
    rc = prom_parse_matrix(sb_str(&resp.body), resp.body.len, label1, out, err, errsz);
    http_response_free(&resp);
    if (rc != 0)
        prefix_err("Prometheus", err, errsz);
    else if (too_many(c, out->n, err, errsz)) {
        prom_matrix_free(out);
        rc = -1;
    }
    return rc;
}
