#include "dashgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int table_index(const char *key, size_t len)
{
    for (int t = 0; t < CT_NTABLES; t++) {
        const char *k = ct_table_key((enum ct_table)t);
        if (strlen(k) == len && !strncmp(k, key, len))
            return t;
    }
    return -1;
}

/* One placeholder's text: 1 resolved into out, 0 not declared (why set),
 * -1 unknown (err set). */
static int placeholder(const struct contract *c, const char *name, size_t len, struct strbuf *out,
                       char *why, size_t whysz, char *err, size_t errsz)
{
    const char *dot = memchr(name, '.', len);
    int t = table_index(name, dot ? (size_t)(dot - name) : len);
    if (t < 0) {
        snprintf(err, errsz, "{{%.*s}}: no such table in the contract", (int)len, name);
        return -1;
    }
    const struct ct_table_decl *d = &c->t[t];
    if (!dot) {
        sb_puts(out, d->name);
        return 1;
    }
    const char *key = dot + 1;
    size_t klen = len - (size_t)(key - name);
    for (int r = 0; r < CT_NROLES; r++) {
        const char *rk = ct_role_key((enum ct_role)r);
        if (strlen(rk) != klen || strncmp(rk, key, klen) || !ct_role_allowed((enum ct_table)t, r))
            continue;
        if (!d->column[r][0]) {
            snprintf(why, whysz, "the contract declares no %s.%s (tables.%s.columns.%s)", d->name,
                     rk, ct_table_key((enum ct_table)t), rk);
            return 0;
        }
        sb_puts(out, d->column[r]);
        return 1;
    }
    for (int v = 0; v < CT_NVALUES; v++) {
        const char *vk = ct_value_key((enum ct_value)v);
        if (strlen(vk) != klen || strncmp(vk, key, klen) || !ct_value_allowed((enum ct_table)t, v))
            continue;
        if (!d->value[v][0]) {
            snprintf(why, whysz, "the contract declares no %s value %s (tables.%s.values.%s)",
                     d->name, vk, ct_table_key((enum ct_table)t), vk);
            return 0;
        }
        sb_puts(out, d->value[v]);
        return 1;
    }
    snprintf(err, errsz, "{{%.*s}}: %.*s is neither a column role nor a value of that table",
             (int)len, name, (int)klen, key);
    return -1;
}

/* Fills one variant's template: 1 done, 0 a column it needs is not
 * declared, -1 malformed. */
static int fill(const struct contract *c, const char *tpl, struct strbuf *out, char *why,
                size_t whysz, char *err, size_t errsz)
{
    for (const char *p = tpl; *p;) {
        const char *open = strstr(p, "{{");
        if (!open) {
            sb_puts(out, p);
            break;
        }
        sb_append(out, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            snprintf(err, errsz, "a {{ without }}");
            return -1;
        }
        int r = placeholder(c, open + 2, (size_t)(close - open - 2), out, why, whysz, err, errsz);
        if (r <= 0)
            return r;
        p = close + 2;
    }
    return 1;
}

/* Whether a variant's "if" holds for the contract. */
static int condition(const struct contract *c, const cJSON *cond, char *err, size_t errsz)
{
    if (!cond)
        return 1;
    if (cJSON_IsString(cond) && !strcmp(cond->valuestring, "fleet_positions.one_row_per_vehicle"))
        return c->t[CT_FLEET].one_row_per_vehicle;
    snprintf(err, errsz, "\"if\" must be \"fleet_positions.one_row_per_vehicle\"");
    return -1;
}

int doc_dashgen_sql(const cJSON *templates, const struct contract *c, const char *uid,
                    const char *label, char **sql, char *why, size_t whysz, char *err, size_t errsz)
{
    *sql = NULL;
    const cJSON *variants =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(templates, uid), label);
    if (!cJSON_IsArray(variants) || cJSON_GetArraySize(variants) == 0) {
        snprintf(err, errsz,
                 "no template for it in sql/dashboard-sql.json (\"%s\": {\"%s\": [...]})", uid,
                 label);
        return -1;
    }
    snprintf(why, whysz, "no variant of its template fits the contract");
    const cJSON *v;
    cJSON_ArrayForEach(v, variants)
    {
        const cJSON *tpl = cJSON_IsString(v) ? v : cJSON_GetObjectItemCaseSensitive(v, "sql");
        int ok = condition(c, cJSON_GetObjectItemCaseSensitive(v, "if"), err, errsz);
        if (ok < 0)
            return -1;
        if (!cJSON_IsString(tpl)) {
            snprintf(err, errsz,
                     "a variant of its template is neither a string nor {\"sql\": ...}");
            return -1;
        }
        if (!ok)
            continue;
        struct strbuf b;
        sb_init(&b);
        int r = fill(c, tpl->valuestring, &b, why, whysz, err, errsz);
        if (r == 1) {
            *sql = doc_sb_xtake(&b);
            return 0;
        }
        sb_free(&b);
        if (r < 0)
            return -1;
    }
    /* The reason holds only names and keys ([a-z0-9_.() ]): safe in a literal. */
    *sql = doc_xasprintf("SELECT 'unavailable: %s' AS \"unavailable\"", why);
    return 1;
}

struct rendered {
    char **sql; /* in document order; NULL: keep */
    size_t n;
};

/* Every rawSql of the dashboard in document order, with its new SQL. */
static int walk(const cJSON *node, const char *uid, const char *title, const cJSON *templates,
                const struct contract *c, struct rendered *out, struct strbuf *notes, char *err,
                size_t errsz)
{
    if (cJSON_IsObject(node) && cJSON_GetObjectItemCaseSensitive(node, "targets")) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(node, "title");
        title = cJSON_IsString(t) ? t->valuestring : "?";
    }
    const cJSON *child;
    cJSON_ArrayForEach(child, node)
    {
        if (cJSON_IsObject(node) && child->string && !strcmp(child->string, "rawSql")) {
            const cJSON *ref = cJSON_GetObjectItemCaseSensitive(node, "refId");
            char *label = doc_xasprintf("%s (%s)", title ? title : "?",
                                        cJSON_IsString(ref) ? ref->valuestring : "?");
            char why[300], e[300];
            char *sql = NULL;
            int r = doc_dashgen_sql(templates, c, uid, label, &sql, why, sizeof(why), e, sizeof(e));
            if (r < 0)
                snprintf(err, errsz, "%s / %s: %s", uid, label, e);
            else if (r == 1)
                sb_printf(notes, "%s / %s: unavailable: %s\n", uid, label, why);
            free(label);
            if (r < 0)
                return -1;
            out->sql = doc_xrealloc(out->sql, out->n + 1, sizeof(*out->sql));
            out->sql[out->n++] =
                cJSON_IsString(child) && !strcmp(child->valuestring, sql) ? (free(sql), NULL) : sql;
        } else if (walk(child, uid, title, templates, c, out, notes, err, errsz) != 0) {
            return -1;
        }
    }
    return 0;
}

static void json_string(struct strbuf *b, const char *s)
{
    sb_putc(b, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            sb_printf(b, "\\%c", ch);
        else if (ch == '\n')
            sb_puts(b, "\\n");
        else if (ch == '\t')
            sb_puts(b, "\\t");
        else if (ch < 0x20)
            sb_printf(b, "\\u%04x", ch);
        else
            sb_putc(b, (char)ch);
    }
    sb_putc(b, '"');
}

/* The next `"rawSql": "..."` in text from p: sets the string value's span. */
static const char *next_rawsql(const char *p, const char **start, const char **end)
{
    while ((p = strstr(p, "\"rawSql\""))) {
        const char *q = p + 8;
        while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
            q++;
        if (*q++ != ':' || (p > *start && p[-1] == '\\')) {
            p += 8;
            continue;
        }
        while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
            q++;
        if (*q != '"')
            return NULL;
        const char *e = q + 1;
        while (*e && *e != '"')
            e += (*e == '\\' && e[1]) ? 2 : 1;
        if (!*e)
            return NULL;
        *start = q;
        *end = e + 1;
        return *end;
    }
    return NULL;
}

int doc_dashgen_render(const char *text, const cJSON *templates, const struct contract *c,
                       struct strbuf *out, struct strbuf *notes, char *err, size_t errsz)
{
    cJSON *d = cJSON_Parse(text);
    if (!d) {
        snprintf(err, errsz, "not valid JSON");
        return -1;
    }
    const cJSON *uidj = cJSON_GetObjectItemCaseSensitive(d, "uid");
    struct rendered r = {NULL, 0};
    int rc = walk(d, cJSON_IsString(uidj) ? uidj->valuestring : "?", NULL, templates, c, &r, notes,
                  err, errsz);
    cJSON_Delete(d);
    const char *p = text;
    for (size_t i = 0; rc == 0 && i < r.n; i++) {
        const char *start = text, *end;
        const char *next = next_rawsql(p, &start, &end);
        if (!next) {
            snprintf(err, errsz, "cannot find rawSql number %zu in the text", i + 1);
            rc = -1;
            break;
        }
        sb_append(out, p, (size_t)((r.sql[i] ? start : end) - p));
        if (r.sql[i])
            json_string(out, r.sql[i]);
        p = end;
    }
    if (rc == 0)
        sb_puts(out, p);
    for (size_t i = 0; i < r.n; i++)
        free(r.sql[i]);
    free(r.sql);
    doc_sb_xcheck(out);
    return rc;
}
