/* Group targets: every exporter in the inventory answers /metrics from this
 * machine, the way Prometheus on Server F will scrape it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "httpclient.h"
#include "inventory.h"
#include "validate.h"

/* Per target, only the body's first TARGET_MAX_BODY bytes are kept, and
 * only until the answer is judged: the marker metric of every exporter we
 * probe comes first or early (families are sorted by name), and 100
 * targets once held 964 MB with a 16 MB cap each. With the transfer pool of
 * httpclient.h the bodies held at once are at most HTTP_MANY_MAX_PARALLEL x
 * TARGET_MAX_BODY (64 MiB). */
#define TARGET_MAX_BODY (2u * 1024u * 1024u)

/* What judge_target needs of one answer, the body already gone. */
struct verdict {
    CURLcode code;
    long status;
    char error[CURL_ERROR_SIZE];
    bool looks_right;
    bool truncated;
    size_t samples;
};

/* A metric only the expected exporter exposes: proves the port is not
 * some other service. */
static bool looks_like(const char *role, const char *body)
{
    if (!strcmp(role, "node"))
        return strstr(body, "node_exporter_build_info") || strstr(body, "node_uname_info");
    if (!strcmp(role, "watcher"))
        return strstr(body, "watcher_build_info") != NULL;
    return strstr(body, "cadvisor_version_info") ||
           strstr(body, "container_cpu_usage_seconds_total");
}

static size_t count_samples(const char *body)
{
    size_t n = 0;
    const char *p = body;
    while (*p) {
        if (*p != '#' && *p != '\n')
            n++;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return n;
}

/* The probed targets, for the transfer pool's done callback. */
struct probe_set {
    const struct inv_target **targets; /* per request */
    struct verdict *verdicts;          /* per request */
};

/* Judges the answer as soon as it is complete, then frees its body. */
static void summarise(void *ctx, size_t i, struct http_response *rs)
{
    struct probe_set *ps = ctx;
    struct verdict *v = &ps->verdicts[i];
    v->code = rs->code;
    v->status = rs->status;
    snprintf(v->error, sizeof(v->error), "%s", rs->error);
    v->truncated = rs->truncated;
    if (rs->code == CURLE_OK) {
        v->looks_right = looks_like(ps->targets[i]->role, sb_str(&rs->body));
        v->samples = count_samples(sb_str(&rs->body));
    }
    http_response_free(rs);
    http_response_init(rs);
}

static const char *role_software(const char *role)
{
    return !strcmp(role, "node")      ? "node_exporter"
           : !strcmp(role, "watcher") ? "the watcher"
                                      : "cAdvisor";
}

static const char *install_hint(const char *role)
{
    return !strcmp(role, "node")      ? "scripts/install-node-exporter.sh"
           : !strcmp(role, "watcher") ? "scripts/install-watcher.sh"
                                      : "scripts/install-cadvisor.sh";
}

/* targets.inventory; false when there is nothing to probe. */
static bool load_inventory(struct doctor *d, struct inventory *inv)
{
    struct report *r = d->rep;
    char errbuf[600];
    if (doc_inventory_load(inv, d->opt->inventory, errbuf, sizeof(errbuf)) != 0) {
        doc_report_fail(r, "targets.inventory",
                        "run from the repository directory or pass --inventory FILE", "%s", errbuf);
        return false;
    }
    if (inv->nerrors) {
        struct strbuf b;
        sb_init(&b);
        for (size_t i = 0; i < inv->nerrors; i++)
            doc_sb_list_add(&b, "; ", "%s", inv->errors[i]);
        doc_report_fail(r, "targets.inventory",
                        "fix those lines (format: name address roles; see the file's header)", "%s",
                        sb_str(&b));
        sb_free(&b);
    } else if (inv->n == 0) {
        doc_report_fail(r, "targets.inventory", "list the monitored servers in the inventory",
                        "%s lists no exporter", d->opt->inventory);
        return false;
    } else {
        doc_report_pass(r, "targets.inventory", "%s: %zu servers, %zu exporters", d->opt->inventory,
                        inv->nservers, inv->n);
    }
    return true;
}

/* One exporter's answer (or the reason it was not asked). */
static void judge_target(struct doctor *d, const struct inv_target *t, const char *id,
                         const char *url, bool probed, const struct verdict *a, const char *f_ip)
{
    struct report *r = d->rep;
    if (t->self && !valid_ip(t->host)) {
        doc_report_skip(r, id,
                        "%s:%d is inside the compose network on this server; stack.targets-up "
                        "checks it through Prometheus",
                        t->host, t->port);
        return;
    }
    if (t->documentation) {
        doc_report_fail(r, id, "replace it with the server's real address in the inventory",
                        "%s (line %d) still has the documentation address %s", t->server, t->line,
                        t->host);
        return;
    }
    if (!probed) {
        doc_report_skip(r, id, "skipped by --skip");
        return;
    }
    const char *sw = role_software(t->role);
    if (a->code != CURLE_OK) {
        char fix[400];
        if (a->code == CURLE_OPERATION_TIMEDOUT)
            snprintf(fix, sizeof(fix),
                     "on %s: ufw allow from %s to any port %d (scripts/firewall.sh "
                     "--server-f-ip %s does it)",
                     t->server, f_ip, t->port, f_ip);
        else if (a->code == CURLE_COULDNT_CONNECT)
            snprintf(fix, sizeof(fix), "start %s on %s (%s) or open port %d to %s", sw, t->server,
                     install_hint(t->role), t->port, f_ip);
        else
            snprintf(fix, sizeof(fix), "check %s's address in the inventory", t->server);
        doc_report_fail(r, id, fix, "%s: %s (%s)", url, http_failure_kind(a->code), a->error);
    } else if (a->status != 200) {
        doc_report_fail(r, id, "check the port in the inventory (role:PORT)",
                        "%s answered HTTP %ld: not %s?", url, a->status, sw);
    } else if (!a->looks_right) {
        doc_report_fail(r, id, "check the port in the inventory (role:PORT)",
                        "%s answers, but not with %s's metrics%s", url, sw,
                        a->truncated ? " (in the first 2 MiB read)" : "");
    } else {
        doc_report_pass(r, id, "%s answers (%s, %s%zu samples%s)", url, sw,
                        a->truncated ? "more than " : "", a->samples,
                        a->truncated ? " in the first 2 MiB read" : "");
    }
}

void doc_check_targets(struct doctor *d)
{
    struct inventory inv;
    doc_inventory_init(&inv);
    if (!load_inventory(d, &inv)) {
        doc_inventory_free(&inv);
        return;
    }
    const char *f_ip = doc_raw(d, "SERVER_F_PUBLIC_IP");
    if (!f_ip || !*f_ip)
        f_ip = "<SERVER_F_PUBLIC_IP>";
    struct http_request *rqs = doc_xcalloc(inv.n, sizeof(*rqs));
    char **urls = doc_xcalloc(inv.n, sizeof(char *));
    char **ids = doc_xcalloc(inv.n, sizeof(char *));
    bool *probe = doc_xcalloc(inv.n, sizeof(bool));
    const struct inv_target **probed = doc_xcalloc(inv.n ? inv.n : 1, sizeof(*probed));
    size_t nprobe = 0;
    for (size_t i = 0; i < inv.n; i++) {
        const struct inv_target *t = &inv.targets[i];
        ids[i] = doc_xasprintf("targets.%s.%s", t->server, t->role);
        urls[i] = doc_xasprintf("http://%s:%d/metrics", t->host, t->port);
        /* Server F's exporters bound to an address of this host (node
         * exporter on the compose network's gateway) answer here; those
         * known only by a compose service name do not. */
        bool internal = t->self && !valid_ip(t->host);
        probe[i] = !internal && !t->documentation && !doc_report_skipped(d->rep, ids[i]);
        if (probe[i]) {
            probed[nprobe] = t;
            rqs[nprobe++] = (struct http_request){.url = urls[i],
                                                  .timeout = d->opt->timeout,
                                                  .max_body = TARGET_MAX_BODY,
                                                  .stop_on_cap = true};
        }
    }
    /* Concurrently (each silent firewall costs a full timeout) through the
     * bounded pool, each answer judged and freed as it ends, then the
     * verdicts mapped back in order. */
    struct http_response *answers = doc_xcalloc(nprobe ? nprobe : 1, sizeof(*answers));
    struct verdict *verdicts = doc_xcalloc(nprobe ? nprobe : 1, sizeof(*verdicts));
    for (size_t i = 0; i < nprobe; i++)
        http_response_init(&answers[i]);
    struct probe_set ps = {.targets = probed, .verdicts = verdicts};
    http_perform_many_with(rqs, answers, nprobe, 0, summarise, &ps);
    for (size_t i = 0, k = 0; i < inv.n; i++)
        judge_target(d, &inv.targets[i], ids[i], urls[i], probe[i],
                     probe[i] ? &verdicts[k++] : NULL, f_ip);
    for (size_t i = 0; i < nprobe; i++)
        http_response_free(&answers[i]);
    free(verdicts);
    free(probed);
    for (size_t i = 0; i < inv.n; i++) {
        free(urls[i]);
        free(ids[i]);
    }
    free(answers);
    free(rqs);
    free(urls);
    free(ids);
    free(probe);
    doc_inventory_free(&inv);
}
