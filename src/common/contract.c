#include "contract.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *const table_keys[CT_NTABLES] = {"pending_transcriptions",
                                                   "pending_pdf_processing", "incidents",
                                                   "fleet_positions", "whatsapp_messages"};
static const char *const role_keys[CT_NROLES] = {
    "id",         "status",     "attempts", "error",    "created_at",
    "updated_at", "vehicle_id", "severity", "category", "direction"};
static const char *const value_keys[CT_NVALUES] = {"pending", "processing", "completed",
                                                   "failed",  "critical",   "major",
                                                   "minor",   "inbound",    "outbound"};

#define R(x) (1u << (x))
#define JOB_ROLES                                                                                  \
    (R(CT_ID) | R(CT_STATUS) | R(CT_ATTEMPTS) | R(CT_ERROR) | R(CT_CREATED_AT) | R(CT_UPDATED_AT))
/* Which roles and values each table may declare. */
static const unsigned roles_of[CT_NTABLES] = {
    JOB_ROLES,
    JOB_ROLES,
    R(CT_ID) | R(CT_CREATED_AT) | R(CT_SEVERITY) | R(CT_CATEGORY) | R(CT_VEHICLE_ID),
    R(CT_VEHICLE_ID) | R(CT_UPDATED_AT),
    R(CT_ID) | R(CT_DIRECTION) | R(CT_CREATED_AT) | R(CT_STATUS),
};
#define JOB_VALUES (R(CT_PENDING) | R(CT_PROCESSING) | R(CT_COMPLETED) | R(CT_FAILED))
static const unsigned values_of[CT_NTABLES] = {JOB_VALUES, JOB_VALUES,
                                               R(CT_CRITICAL) | R(CT_MAJOR) | R(CT_MINOR), 0,
                                               R(CT_INBOUND) | R(CT_OUTBOUND)};

const char *ct_table_key(enum ct_table t)
{
    return t < CT_NTABLES ? table_keys[t] : "?";
}
const char *ct_role_key(enum ct_role r)
{
    return r < CT_NROLES ? role_keys[r] : "?";
}
const char *ct_value_key(enum ct_value v)
{
    return v < CT_NVALUES ? value_keys[v] : "?";
}
bool ct_role_allowed(enum ct_table t, enum ct_role r)
{
    return t < CT_NTABLES && r < CT_NROLES && (roles_of[t] & R(r));
}
bool ct_value_allowed(enum ct_table t, enum ct_value v)
{
    return t < CT_NTABLES && v < CT_NVALUES && (values_of[t] & R(v));
}

const char *ct_col(const struct contract *c, enum ct_table t, enum ct_role r)
{
    return c->t[t].column[r][0] ? c->t[t].column[r] : NULL;
}
const char *ct_val(const struct contract *c, enum ct_table t, enum ct_value v)
{
    return c->t[t].value[v][0] ? c->t[t].value[v] : NULL;
}

/* The reference schema: every allowed role and value under its own name,
 * except those sql/schema.sql has but the stack does not read. */
void ct_defaults(struct contract *c)
{
    memset(c, 0, sizeof(*c));
    static const unsigned declared[CT_NTABLES] = {
        JOB_ROLES, JOB_ROLES, R(CT_CREATED_AT) | R(CT_SEVERITY) | R(CT_CATEGORY),
        R(CT_VEHICLE_ID) | R(CT_UPDATED_AT), R(CT_DIRECTION) | R(CT_CREATED_AT)};
    for (int t = 0; t < CT_NTABLES; t++) {
        struct ct_table_decl *d = &c->t[t];
        snprintf(d->name, sizeof(d->name), "%s", table_keys[t]);
        for (int r = 0; r < CT_NROLES; r++)
            if (declared[t] & R(r))
                snprintf(d->column[r], CT_NAME_MAX, "%s", role_keys[r]);
        for (int v = 0; v < CT_NVALUES; v++)
            if (values_of[t] & R(v))
                snprintf(d->value[v], CT_NAME_MAX, "%s", value_keys[v]);
        d->readers = CT_READER_GRAFANA | (t <= CT_PDF ? CT_READER_EXPORTER : 0);
    }
    c->t[CT_FLEET].one_row_per_vehicle = true;
}

/* ------------------------------------------------------------------ parsing */

struct pctx {
    yaml_document_t *doc;
    const char *name;
    char *err;
    size_t errsz;
};

static int fail(struct pctx *p, const yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct pctx *p, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errsz, "%s:%lu: %s: %s", p->name,
             n ? (unsigned long)n->start_mark.line + 1 : 0UL, key, msg);
    return -1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_ident(const char *s)
{
    if (!s || !*s || strlen(s) >= CT_NAME_MAX || !((*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static bool is_value(const char *s)
{
    if (!s || !*s || strlen(s) >= CT_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("_.:-", *s)))
            return false;
    return true;
}

static int lookup(const char *const *keys, int n, const char *k)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], k))
            return i;
    return -1;
}

static void list_allowed(char *out, size_t outsz, const char *const *keys, int n, unsigned mask)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < outsz; i++)
        if (mask & R(i))
            len += (size_t)snprintf(out + len, outsz - len, "%s%s", len ? ", " : "", keys[i]);
}

/* columns: or values: of one table, into dst[role or value]. */
static int parse_names(struct pctx *p, const yaml_node_t *map, int t, bool values, const char *path,
                       char (*dst)[CT_NAME_MAX])
{
    char key[256];
    if (map->type != YAML_MAPPING_NODE)
        return fail(p, map, path, "must be a mapping of %s",
                    values ? "ROLE: VALUE" : "ROLE: COLUMN");
    const char *const *keys = values ? value_keys : role_keys;
    int nkeys = values ? CT_NVALUES : CT_NROLES;
    unsigned mask = values ? values_of[t] : roles_of[t];
    for (int i = 0; i < nkeys; i++)
        dst[i][0] = '\0';
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
        yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
        const char *k = scalar(kn), *v = scalar(vn);
        snprintf(key, sizeof(key), "%.150s.%.60s", path, k ? k : "?");
        int i = k ? lookup(keys, nkeys, k) : -1;
        if (i < 0 || !(mask & R(i))) {
            char allowed[256];
            list_allowed(allowed, sizeof(allowed), keys, nkeys, mask);
            return fail(p, kn, key, "unknown %s (known here: %s)", values ? "value" : "role",
                        allowed[0] ? allowed : "none");
        }
        if (dst[i][0])
            return fail(p, kn, key, "declared twice");
        if (!(values ? is_value(v) : is_ident(v)))
            return fail(p, vn ? vn : kn, key,
                        values ? "must be a plain value (letters, digits, _ . : -)"
                               : "must be a lower-case column name ([a-z_][a-z0-9_]*, < 64 "
                                 "characters)");
        snprintf(dst[i], CT_NAME_MAX, "%s", v);
    }
    return 0;
}

static int parse_readers(struct pctx *p, const yaml_node_t *seq, const char *path, unsigned *out)
{
    if (seq->type != YAML_SEQUENCE_NODE)
        return fail(p, seq, path, "must be a list, e.g. [grafana_readonly]");
    *out = 0;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *n = yaml_document_get_node(p->doc, *it);
        const char *v = scalar(n);
        if (v && !strcmp(v, "grafana_readonly"))
            *out |= CT_READER_GRAFANA;
        else if (v && !strcmp(v, "queue_exporter"))
            *out |= CT_READER_EXPORTER;
        else
            return fail(p, n, path, "unknown reader '%s' (grafana_readonly, queue_exporter)",
                        v ? v : "?");
    }
    return 0;
}

static int parse_assume(struct pctx *p, const yaml_node_t *map, int t, const char *path,
                        struct ct_table_decl *d)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail(p, map, path, "must be a mapping");
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
        yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
        const char *k = scalar(kn), *v = scalar(vn);
        char key[256];
        snprintf(key, sizeof(key), "%.150s.%.60s", path, k ? k : "?");
        if (!k || strcmp(k, "one_row_per_vehicle") || t != CT_FLEET)
            return fail(p, kn, key,
                        "unknown assumption (known: one_row_per_vehicle, on "
                        "fleet_positions)");
        if (v && !strcmp(v, "true"))
            d->one_row_per_vehicle = true;
        else if (v && !strcmp(v, "false"))
            d->one_row_per_vehicle = false;
        else
            return fail(p, vn, key, "must be true or false");
    }
    return 0;
}

static int parse_table(struct pctx *p, const yaml_node_t *map, int t, struct ct_table_decl *d)
{
    char path[128], key[256];
    snprintf(path, sizeof(path), "tables.%s", table_keys[t]);
    if (map->type != YAML_MAPPING_NODE)
        return fail(p, map, path, "must be a mapping (table, columns, values, readers, assume)");
    bool have_columns = false;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
        yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
        const char *k = scalar(kn);
        snprintf(key, sizeof(key), "%.150s.%.60s", path, k ? k : "?");
        int rc = 0;
        if (k && !strcmp(k, "table")) {
            if (!is_ident(scalar(vn)))
                return fail(p, vn, key, "must be a lower-case table name");
            snprintf(d->name, sizeof(d->name), "%s", scalar(vn));
        } else if (k && !strcmp(k, "columns")) {
            have_columns = true;
            rc = parse_names(p, vn, t, false, key, d->column);
        } else if (k && !strcmp(k, "values")) {
            rc = parse_names(p, vn, t, true, key, d->value);
        } else if (k && !strcmp(k, "readers")) {
            rc = parse_readers(p, vn, key, &d->readers);
        } else if (k && !strcmp(k, "assume")) {
            rc = parse_assume(p, vn, t, key, d);
        } else {
            return fail(p, kn, key, "unknown key (table, columns, values, readers, assume)");
        }
        if (rc)
            return rc;
    }
    if (!have_columns)
        return fail(p, map, path, "has no columns: declare the columns the stack reads");
    return 0;
}

static int parse_root(struct pctx *p, struct contract *c)
{
    yaml_node_t *root = yaml_document_get_root_node(p->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return fail(p, root, "(top)", "must be a mapping with version and tables");
    bool seen[CT_NTABLES] = {false}, version = false;
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
        yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
        const char *k = scalar(kn);
        if (k && !strcmp(k, "version")) {
            if (!scalar(vn) || strcmp(scalar(vn), "1"))
                return fail(p, vn, "version", "must be 1");
            version = true;
            continue;
        }
        if (!k || strcmp(k, "tables"))
            return fail(p, kn, k ? k : "?", "unknown key (version, tables)");
        if (vn->type != YAML_MAPPING_NODE)
            return fail(p, vn, "tables", "must be a mapping of the five tables");
        for (yaml_node_pair_t *tp = vn->data.mapping.pairs.start; tp < vn->data.mapping.pairs.top;
             tp++) {
            yaml_node_t *tk = yaml_document_get_node(p->doc, tp->key);
            const char *tn = scalar(tk);
            int t = tn ? lookup(table_keys, CT_NTABLES, tn) : -1;
            char key[256];
            snprintf(key, sizeof(key), "tables.%.60s", tn ? tn : "?");
            if (t < 0)
                return fail(p, tk, key,
                            "unknown table (pending_transcriptions, pending_pdf_processing, "
                            "incidents, fleet_positions, whatsapp_messages; rename one with "
                            "its table: key)");
            if (seen[t])
                return fail(p, tk, key, "declared twice");
            seen[t] = true;
            if (parse_table(p, yaml_document_get_node(p->doc, tp->value), t, &c->t[t]))
                return -1;
        }
    }
    if (!version)
        return fail(p, root, "version", "is missing (version: 1)");
    for (int t = 0; t < CT_NTABLES; t++)
        if (!seen[t]) {
            char key[256];
            snprintf(key, sizeof(key), "tables.%s", table_keys[t]);
            return fail(p, root, key, "is missing: every one of the five tables is declared");
        }
    return 0;
}

int ct_parse(const char *name, const char *text, size_t len, struct contract *c, char *err,
             size_t errsz)
{
    ct_defaults(c);
    /* Start from the defaults for name/readers, but columns and values
     * come only from the file. */
    for (int t = 0; t < CT_NTABLES; t++) {
        memset(c->t[t].column, 0, sizeof(c->t[t].column));
        memset(c->t[t].value, 0, sizeof(c->t[t].value));
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errsz, "%s: out of memory", name);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errsz, "%s:%lu: not valid YAML: %s", name,
                 (unsigned long)parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "parse error");
        yaml_parser_delete(&parser);
        return -1;
    }
    struct pctx p = {&doc, name, err, errsz};
    int rc = parse_root(&p, c);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int ct_load_file(const char *path, struct contract *c, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "%s: cannot read the schema contract: %s", path, strerror(errno));
        return -1;
    }
    struct strbuf b;
    sb_init(&b);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.len < (1u << 20))
        sb_append(&b, buf, n);
    int rerr = ferror(f);
    fclose(f);
    int rc;
    if (rerr || sb_failed(&b)) {
        snprintf(err, errsz, "%s: cannot read the schema contract", path);
        rc = -1;
    } else {
        rc = ct_parse(path, sb_str(&b), b.len, c, err, errsz);
    }
    sb_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ JSON */

void ct_to_json(const struct contract *c, struct strbuf *o)
{
    sb_puts(o, "{\"version\":1,\"tables\":{");
    for (int t = 0; t < CT_NTABLES; t++) {
        const struct ct_table_decl *d = &c->t[t];
        sb_printf(o, "%s\"%s\":{\"table\":\"%s\",\"readers\":[", t ? "," : "", table_keys[t],
                  d->name);
        sb_printf(o, "%s%s%s", d->readers & CT_READER_GRAFANA ? "\"grafana_readonly\"" : "",
                  (d->readers & CT_READER_GRAFANA) && (d->readers & CT_READER_EXPORTER) ? "," : "",
                  d->readers & CT_READER_EXPORTER ? "\"queue_exporter\"" : "");
        sb_puts(o, "],\"columns\":{");
        int n = 0;
        for (int r = 0; r < CT_NROLES; r++)
            if (d->column[r][0])
                sb_printf(o, "%s\"%s\":\"%s\"", n++ ? "," : "", role_keys[r], d->column[r]);
        sb_puts(o, "},\"values\":{");
        n = 0;
        for (int v = 0; v < CT_NVALUES; v++)
            if (d->value[v][0])
                sb_printf(o, "%s\"%s\":\"%s\"", n++ ? "," : "", value_keys[v], d->value[v]);
        sb_printf(o, "},\"assume\":{\"one_row_per_vehicle\":%s}}",
                  d->one_row_per_vehicle ? "true" : "false");
    }
    sb_puts(o, "}}\n");
}
