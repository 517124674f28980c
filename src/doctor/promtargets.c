#include "promtargets.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *data_of(const cJSON *root, char *err, size_t errlen)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (!cJSON_IsString(status) || strcmp(status->valuestring, "success") != 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        snprintf(err, errlen, "Prometheus answered an error: %s",
                 cJSON_IsString(e) ? e->valuestring : "(no message)");
        return NULL;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!data)
        snprintf(err, errlen, "the answer has no data");
    return data;
}

/* "job/server instance", for messages. */
static void label_text(const cJSON *metric, char *out, size_t outlen)
{
    const cJSON *job = cJSON_GetObjectItemCaseSensitive(metric, "job");
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(metric, "server");
    const cJSON *inst = cJSON_GetObjectItemCaseSensitive(metric, "instance");
    snprintf(out, outlen, "%s%s%s%s%s", cJSON_IsString(job) ? job->valuestring : "",
             cJSON_IsString(server) ? "/" : "", cJSON_IsString(server) ? server->valuestring : "",
             cJSON_IsString(inst) ? " " : "", cJSON_IsString(inst) ? inst->valuestring : "");
}

void doc_prom_targets_free(struct prom_targets *t)
{
    sb_free(&t->down);
    sb_free(&t->jobs);
}

bool doc_prom_parse_targets(const char *json, struct prom_targets *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    sb_init(&t->down);
    sb_init(&t->jobs);
    cJSON *root = cJSON_Parse(json);
    if (!root) {
        snprintf(err, errlen, "the answer is not JSON");
        return false;
    }
    bool ok = false;
    const cJSON *data = data_of(root, err, errlen);
    const cJSON *active = data ? cJSON_GetObjectItemCaseSensitive(data, "activeTargets") : NULL;
    if (data && !cJSON_IsArray(active)) {
        snprintf(err, errlen, "the answer has no activeTargets");
        data = NULL;
    }
    if (data) {
        /* Per-job counts, in first-seen order. */
        char jobs[64][64];
        size_t jobn[64] = {0}, njobs = 0;
        const cJSON *tg;
        cJSON_ArrayForEach(tg, active)
        {
            t->total++;
            const cJSON *labels = cJSON_GetObjectItemCaseSensitive(tg, "labels");
            const cJSON *job = cJSON_GetObjectItemCaseSensitive(labels, "job");
            const char *jn = cJSON_IsString(job) ? job->valuestring : "?";
            size_t j = 0;
            while (j < njobs && strcmp(jobs[j], jn) != 0)
                j++;
            if (j == njobs && njobs < 64)
                snprintf(jobs[njobs++], sizeof(jobs[0]), "%s", jn);
            if (j < 64)
                jobn[j]++;
            const cJSON *health = cJSON_GetObjectItemCaseSensitive(tg, "health");
            const char *h = cJSON_IsString(health) ? health->valuestring : "unknown";
            if (!strcmp(h, "up")) {
                t->up++;
                continue;
            }
            char who[300];
            label_text(labels, who, sizeof(who));
            const cJSON *le = cJSON_GetObjectItemCaseSensitive(tg, "lastError");
            const char *why = !strcmp(h, "unknown")                      ? "not scraped yet"
                              : cJSON_IsString(le) && le->valuestring[0] ? le->valuestring
                                                                         : "down";
            doc_sb_list_add(&t->down, "; ", "%s: %s", who, why);
        }
        for (size_t j = 0; j < njobs; j++)
            doc_sb_list_add(&t->jobs, ", ", "%s %zu", jobs[j], jobn[j]);
        ok = true;
    }
    cJSON_Delete(root);
    return ok;
}

int doc_prom_count_alertmanagers(const char *json)
{
    cJSON *root = cJSON_Parse(json);
    if (!root)
        return -1;
    char err[128];
    int n = -1;
    const cJSON *data = data_of(root, err, sizeof(err));
    const cJSON *am = data ? cJSON_GetObjectItemCaseSensitive(data, "activeAlertmanagers") : NULL;
    if (cJSON_IsArray(am))
        n = cJSON_GetArraySize(am);
    cJSON_Delete(root);
    return n;
}
