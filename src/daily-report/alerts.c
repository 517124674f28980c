#include "alerts.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpclient.h"
#include "timeparse.h"

void dr_am_alerts_free(struct am_alerts *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->items[i].name);
        free(a->items[i].severity);
        free(a->items[i].server);
        free(a->items[i].summary);
    }
    free(a->items);
    memset(a, 0, sizeof(*a));
}

static char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int severity_rank(const char *s)
{
    if (strcmp(s, "critical") == 0)
        return 0;
    if (strcmp(s, "warning") == 0)
        return 1;
    if (strcmp(s, "info") == 0)
        return 2;
    return 3;
}

static int cmp_alert(const void *a, const void *b)
{
    const struct am_alert *x = a, *y = b;
    int r = severity_rank(x->severity) - severity_rank(y->severity);
    if (r)
        return r;
    if (x->since != y->since)
        return x->since < y->since ? -1 : 1;
    r = strcmp(x->name, y->name);
    return r ? r : strcmp(x->server, y->server);
}

int dr_am_parse_alerts(const char *json, size_t len, struct am_alerts *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        snprintf(err, errsz, "Alertmanager: response is not valid JSON");
        return -1;
    }
    int rc = -1;
    if (!cJSON_IsArray(root)) {
        snprintf(err, errsz, "Alertmanager: expected a JSON array of alerts");
        goto done;
    }
    size_t n = (size_t)cJSON_GetArraySize(root);
    if (n) {
        out->items = calloc(n, sizeof(*out->items));
        if (!out->items)
            goto oom;
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, root)
    {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(a, "labels");
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(a, "annotations");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(a, "status");
        const char *state = str_field(status, "state");
        const char *starts = str_field(a, "startsAt");
        if (!cJSON_IsObject(labels) || !starts) {
            snprintf(err, errsz, "Alertmanager: alert without labels or startsAt");
            goto done;
        }
        if (state && strcmp(state, "active") != 0)
            continue; /* suppressed or unprocessed: not something to act on */
        time_t since;
        if (rfc3339_parse(starts, &since) != 0) {
            snprintf(err, errsz, "Alertmanager: bad startsAt '%.64s'", starts);
            goto done;
        }
        const char *name = str_field(labels, "alertname");
        const char *sev = str_field(labels, "severity");
        if (name && strcmp(name, "Watchdog") == 0)
            out->watchdog = 1;
        if (sev && strcmp(sev, "none") == 0)
            continue;
        const char *server = str_field(labels, "server");
        if (!server)
            server = str_field(labels, "instance");
        const char *summary = str_field(ann, "summary");
        if (!summary)
            summary = str_field(ann, "description");
        struct am_alert *al = &out->items[out->n++];
        al->name = strdup(name ? name : "(no alertname)");
        al->severity = strdup(sev ? sev : "");
        al->server = strdup(server ? server : "");
        al->summary = strdup(summary ? summary : "");
        al->since = since;
        if (!al->name || !al->severity || !al->server || !al->summary)
            goto oom;
    }
    if (out->n > 1)
        qsort(out->items, out->n, sizeof(*out->items), cmp_alert);
    rc = 0;
    goto done;
oom:
    snprintf(err, errsz, "out of memory");
done:
    cJSON_Delete(root);
    if (rc != 0)
        dr_am_alerts_free(out);
    return rc;
}

#define AM_MAX_BODY (4u * 1024u * 1024u)

int dr_am_fetch(const char *base_url, struct am_alerts *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    size_t bl = strlen(base_url);
    while (bl > 0 && base_url[bl - 1] == '/')
        bl--;
    static const char path[] = "/api/v2/alerts?active=true&silenced=false&inhibited=false";
    size_t need = bl + sizeof(path);
    char *url = malloc(need);
    if (!url) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    snprintf(url, need, "%.*s%s", (int)bl, base_url, path);
    /* 4 MiB is some 10000 alerts: an alert storm beyond that makes the
     * section unavailable (with the reason) instead of the report
     * outgrowing its 64 MiB. */
    const struct http_request rq = {.url = url,
                                    .timeout = 20L,
                                    .connect_timeout = 5L,
                                    .max_body = AM_MAX_BODY,
                                    .fail_on_cap = true,
                                    .compressed = true};
    struct http_response resp;
    http_response_init(&resp);
    int rc = 0;
    if (http_perform(&rq, &resp) != CURLE_OK) {
        char shown[1024];
        http_redact_url(url, shown, sizeof(shown));
        if (resp.truncated)
            snprintf(err, errsz, "GET %s: more than %u bytes of alerts", shown, AM_MAX_BODY);
        else
            snprintf(err, errsz, "GET %s: %s", shown, resp.error);
        http_response_free(&resp);
        rc = -1;
    } else if (resp.status != 200) {
        char shown[1024];
        http_redact_url(url, shown, sizeof(shown));
        snprintf(err, errsz, "GET %s: HTTP %ld", shown, resp.status);
        http_response_free(&resp);
        rc = -1;
    }
    free(url);
    if (rc != 0)
        return -1;
    rc = dr_am_parse_alerts(sb_str(&resp.body), resp.body.len, out, err, errsz);
    http_response_free(&resp);
    return rc;
}
