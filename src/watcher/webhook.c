#include "webhook.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Alertmanager caps nothing by default; this bounds the walk. */
#define MAX_ALERTS 1000

bool wd_bearer_ok(const char *authorization, const char *token)
{
    if (!authorization || !token)
        return false;
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *given = authorization + 7;
    while (*given == ' ')
        given++;
    size_t glen = strlen(given), tlen = strlen(token);
    /* Compare over the expected length whatever the given one, so the
     * time taken says nothing about how much of the token was right. */
    unsigned char diff = glen != tlen;
    for (size_t i = 0; i < tlen; i++)
        diff |= (unsigned char)token[i] ^ (unsigned char)(i < glen ? given[i] : 0);
    return diff == 0 && tlen > 0;
}

static const char *str_item(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* 1: a firing Watchdog of `cluster`; 0: another alert; -1: malformed. */
static int alert_kind(const cJSON *a, const char *cluster, bool *other_cluster)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(a, "labels");
    const char *status = str_item(a, "status");
    if (!cJSON_IsObject(a) || !cJSON_IsObject(labels) || !status)
        return -1;
    if (!streq(str_item(labels, "alertname"), "Watchdog") || !streq(status, "firing"))
        return 0;
    if (!streq(str_item(labels, "cluster"), cluster)) {
        *other_cluster = true;
        return 0;
    }
    return 1;
}

static int check_alerts(const cJSON *alerts, const char *cluster, char *why, size_t whysz)
{
    int n = cJSON_GetArraySize(alerts);
    if (n == 0 || n > MAX_ALERTS) {
        snprintf(why, whysz, "\"alerts\" must hold 1 to %d alerts", MAX_ALERTS);
        return -1;
    }
    bool other_cluster = false, found = false;
    const cJSON *a;
    cJSON_ArrayForEach(a, alerts)
    {
        int k = alert_kind(a, cluster, &other_cluster);
        if (k < 0) {
            snprintf(why, whysz, "an alert without \"status\" or \"labels\"");
            return -1;
        }
        found |= k == 1;
    }
    if (found)
        return 0;
    if (other_cluster)
        snprintf(why, whysz, "a Watchdog from another cluster (expected cluster=\"%s\")", cluster);
    else
        snprintf(why, whysz, "no firing Watchdog alert in the body");
    return -1;
}

int wd_webhook_check(const char *body, size_t len, const char *cluster, char *why, size_t whysz)
{
    if (!body || len == 0) {
        snprintf(why, whysz, "empty body");
        return -1;
    }
    if (len > WD_WEBHOOK_MAX_BODY) {
        snprintf(why, whysz, "body larger than %d bytes", WD_WEBHOOK_MAX_BODY);
        return -1;
    }
    if (memchr(body, '\0', len)) {
        snprintf(why, whysz, "body contains a NUL byte");
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) {
        snprintf(why, whysz, "body is not JSON");
        return -1;
    }
    int rc = -1;
    while (end && end < body + len && strchr(" \t\r\n", *end))
        end++;
    const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(root, "alerts");
    if (!end || end != body + len)
        snprintf(why, whysz, "text after the JSON value");
    else if (!cJSON_IsObject(root))
        snprintf(why, whysz, "body is not a JSON object");
    else if (!streq(str_item(root, "version"), "4"))
        snprintf(why, whysz, "not an Alertmanager webhook (version \"4\" expected)");
    else if (!cJSON_IsArray(alerts))
        snprintf(why, whysz, "no \"alerts\" array");
    else
        rc = check_alerts(alerts, cluster, why, whysz);
    cJSON_Delete(root);
    return rc;
}

int wd_token_clean(char *token, char *why, size_t whysz)
{
    size_t len = strlen(token);
    while (len > 0 && strchr(" \t\r\n", token[len - 1]))
        token[--len] = '\0';
    size_t start = 0;
    while (token[start] && strchr(" \t\r\n", token[start]))
        start++;
    memmove(token, token + start, len - start + 1);
    len -= start;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)token[i] <= ' ' || token[i] == 0x7f) {
            snprintf(why, whysz, "contains whitespace or control characters");
            return -1;
        }
    if (len < WD_TOKEN_MIN || len > WD_TOKEN_MAX) {
        snprintf(why, whysz, "must be %d to %d characters long (it is %zu)", WD_TOKEN_MIN,
                 WD_TOKEN_MAX, len);
        return -1;
    }
    return 0;
}
