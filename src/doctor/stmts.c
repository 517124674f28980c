#include "stmts.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daily-report/bizsql.h"
#include "../queue-exporter/config.h"
#include "../queue-exporter/sql.h"
#include "dashgen.h"
#include "readfile.h"
#include "sqlexpand.h"
#include "util.h"

static struct stmt *add(struct stmt_list *l, const char *source, char *label,
                        enum stmt_runner runner)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->items = doc_xrealloc(l->items, l->cap, sizeof(*l->items));
    }
    struct stmt *s = &l->items[l->n++];
    memset(s, 0, sizeof(*s));
    s->source = doc_xstrdup(source);
    s->label = label;
    s->runner = runner;
    return s;
}

void doc_stmts_free(struct stmt_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct stmt *s = &l->items[i];
        free(s->source);
        free(s->label);
        free(s->sql);
        free(s->error);
        free(s->unavailable);
        free(s->stale);
        for (size_t k = 0; k < s->nparams; k++)
            free(s->params[k]);
        free(s->params);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* A template variable as Grafana writes it into SQL: constants give their
 * query, others their current value; single quotes doubled. */
static char *var_value(const cJSON *v)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(v, "type");
    const cJSON *val = NULL;
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "constant"))
        val = cJSON_GetObjectItemCaseSensitive(v, "query");
    else {
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(v, "current");
        val = cJSON_GetObjectItemCaseSensitive(cur, "value");
        if (cJSON_IsArray(val))
            val = cJSON_GetArrayItem(val, 0);
    }
    const char *s = cJSON_IsString(val) ? val->valuestring : "";
    struct strbuf b;
    sb_init(&b);
    for (; *s; s++)
        sb_puts(&b, *s == '\'' ? "''" : (char[]){*s, '\0'});
    char *out = sb_take(&b);
    return out ? out : doc_xstrdup("");
}

struct dash_ctx {
    const cJSON *templates; /* sql/dashboard-sql.json; NULL: take rawSql as written */
    const struct contract *c;
    const struct grafana_var *vars;
    size_t nvars;
    const struct grafana_range *r;
};

/* The SQL the contract gives for one target: stale set when the file's
 * rawSql differs (the dashboards were not rendered for this contract). */
static char *target_sql(struct stmt *s, const struct dash_ctx *x, const char *uid,
                        const char *label, const char *raw)
{
    if (!x->templates)
        return doc_xstrdup(raw);
    char *sql = NULL, why[300], err[300];
    int r =
        doc_dashgen_sql(x->templates, x->c, uid, label, &sql, why, sizeof(why), err, sizeof(err));
    if (r < 0) {
        s->error = doc_xstrdup(err);
        return NULL;
    }
    if (strcmp(sql, raw))
        s->stale = doc_xstrdup("its SQL in the file is not what the contract gives");
    if (r == 1) {
        s->unavailable = doc_xasprintf("unavailable: %s", why);
        free(sql);
        return NULL;
    }
    return sql;
}

static void panel_targets(struct stmt_list *l, const char *uid, const cJSON *panel,
                          const struct dash_ctx *x)
{
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(panel, "title");
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(panel, "targets"))
    {
        const cJSON *raw = cJSON_GetObjectItemCaseSensitive(t, "rawSql");
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(t, "refId");
        if (!cJSON_IsString(raw))
            continue;
        char *label = doc_xasprintf("%s (%s)", cJSON_IsString(title) ? title->valuestring : "?",
                                    cJSON_IsString(ref) ? ref->valuestring : "?");
        struct stmt *s = add(l, "dashboard", doc_xasprintf("%s / %s", uid, label), STMT_GRAFANA);
        char *src = target_sql(s, x, uid, label, raw->valuestring);
        free(label);
        if (!src)
            continue;
        struct strbuf b;
        char err[256];
        sb_init(&b);
        if (doc_grafana_expand(src, x->vars, x->nvars, x->r, &b, err, sizeof(err)) == 0)
            s->sql = doc_xstrdup(sb_str(&b));
        else
            s->error = doc_xasprintf("Grafana's macros do not expand: %s", err);
        sb_free(&b);
        free(src);
    }
}

static void one_dashboard(struct stmt_list *l, const char *path, const char *text, long to_s,
                          const cJSON *templates, const struct contract *c)
{
    cJSON *d = cJSON_Parse(text);
    if (!d) {
        add(l, "dashboard", doc_xasprintf("%s", path), STMT_GRAFANA)->error =
            doc_xstrdup("not valid JSON");
        return;
    }
    const cJSON *uidj = cJSON_GetObjectItemCaseSensitive(d, "uid");
    const char *uid = cJSON_IsString(uidj) ? uidj->valuestring : path;
    const cJSON *list =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "templating"), "list");
    size_t nvars = (size_t)cJSON_GetArraySize(list);
    struct grafana_var *vars = doc_xcalloc(nvars + 1, sizeof(*vars));
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
        if (!cJSON_IsString(name))
            continue;
        vars[i].name = name->valuestring;
        vars[i++].value = var_value(v);
    }
    const struct grafana_range r = {to_s - 6 * 3600, to_s, 60000};
    const struct dash_ctx x = {templates, c, vars, i, &r};
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(d, "panels"))
    {
        panel_targets(l, uid, p, &x);
        const cJSON *sub;
        cJSON_ArrayForEach(sub, cJSON_GetObjectItemCaseSensitive(p, "panels"))
            panel_targets(l, uid, sub, &x);
    }
    for (size_t k = 0; k < i; k++)
        free((char *)vars[k].value);
    free(vars);
    cJSON_Delete(d);
}

void doc_stmts_dashboards(struct stmt_list *l, const char *dir, const char *templates_path,
                          const struct contract *c, long to_s)
{
    cJSON *templates = NULL;
    if (templates_path) {
        char err[256];
        struct strbuf text;
        sb_init(&text);
        if (doc_read_file(templates_path, 4 << 20, &text, err, sizeof(err)) != READ_FILE_OK)
            add(l, "dashboard", doc_xstrdup(templates_path), STMT_GRAFANA)->error =
                doc_xstrdup(err);
        else if (!(templates = cJSON_Parse(sb_str(&text))))
            add(l, "dashboard", doc_xstrdup(templates_path), STMT_GRAFANA)->error =
                doc_xstrdup("not valid JSON");
        sb_free(&text);
        if (!templates)
            return;
    }
    char **names;
    long n = doc_list_dir(dir, ".json", &names);
    if (n < 0) {
        add(l, "dashboard", doc_xasprintf("%s", dir), STMT_GRAFANA)->error =
            doc_xstrdup("cannot read the dashboards directory");
        cJSON_Delete(templates);
        return;
    }
    for (long i = 0; i < n; i++) {
        char err[256];
        struct strbuf text;
        sb_init(&text);
        if (doc_read_file(names[i], 4 << 20, &text, err, sizeof(err)) == READ_FILE_OK)
            one_dashboard(l, names[i], sb_str(&text), to_s, templates, c);
        else
            add(l, "dashboard", doc_xstrdup(names[i]), STMT_GRAFANA)->error = doc_xstrdup(err);
        sb_free(&text);
    }
    doc_free_list(names, (size_t)n);
    cJSON_Delete(templates);
}

void doc_stmts_report(struct stmt_list *l, const struct contract *c, long t)
{
    for (int f = 0; f < DR_NFIGS; f++) {
        struct stmt *s =
            add(l, "report", doc_xasprintf("figure %s", dr_fig_key((enum dr_fig)f)), STMT_GRAFANA);
        struct strbuf b;
        char why[DR_WHY_MAX];
        sb_init(&b);
        if (dr_figure_sql(c, (enum dr_fig)f, &b, why, sizeof(why)) == 0) {
            s->sql = doc_xstrdup(sb_str(&b));
            s->nparams = 1;
            s->params = doc_xcalloc(1, sizeof(char *));
            s->params[0] = doc_xasprintf("%ld", t);
        } else {
            s->unavailable = doc_xstrdup(why);
        }
        sb_free(&b);
    }
}

/* Identifiers are checked by the contract ([a-z_][a-z0-9_]*): quoting is
 * plain double quotes. */
static char *quote_plain(void *ctx, const char *ident, char *err, size_t errsz)
{
    (void)ctx;
    (void)err;
    (void)errsz;
    return doc_xasprintf("\"%s\"", ident);
}

void doc_stmts_exporter(struct stmt_list *l, const struct contract *c)
{
    struct qe_config cfg;
    qe_config_defaults(&cfg);
    struct stmt *s = add(l, "exporter", doc_xstrdup("collection query"), STMT_EXPORTER);
    char err[256];
    if (qe_config_apply_contract(&cfg, c, err, sizeof(err)) != 0) {
        s->error = doc_xstrdup(err);
        return;
    }
    struct qe_query qq;
    if (qe_query_build(&qq, &cfg, quote_plain, NULL, err, sizeof(err)) != 0) {
        s->error = doc_xstrdup(err);
        return;
    }
    s->sql = doc_xstrdup(qq.text);
    s->nparams = qq.n_params;
    s->params = doc_xcalloc(qq.n_params + 1, sizeof(char *));
    for (size_t k = 0; k < qq.n_params; k++)
        s->params[k] = doc_xstrdup(qq.params[k]);
    qe_query_free(&qq);
}
