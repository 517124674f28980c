#include "config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract.h"
#include "regfile.h"
#include "strbuf.h"
#include "strutil.h"

/* inih truncates section names to 49 bytes without telling; the reader below
 * rejects longer ones so a queue name is never silently shortened. */
#define INIH_MAX_SECTION 50

static void set_queue_defaults(struct qe_queue *q, const char *name)
{
    memset(q, 0, sizeof(*q));
    snprintf(q->name, sizeof(q->name), "%s", name);
    snprintf(q->table, sizeof(q->table), "%s", name);
    snprintf(q->status_column, sizeof(q->status_column), "status");
    snprintf(q->created_column, sizeof(q->created_column), "created_at");
    snprintf(q->updated_column, sizeof(q->updated_column), "updated_at");
    snprintf(q->pending, sizeof(q->pending), "pending");
    snprintf(q->processing, sizeof(q->processing), "processing");
    snprintf(q->completed, sizeof(q->completed), "completed");
    snprintf(q->failed, sizeof(q->failed), "failed");
    q->stuck_after_seconds = -1;
    q->enabled = 1;
}

void qe_config_defaults(struct qe_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->cache_ttl_seconds = 5;
    cfg->collect_timeout_seconds = 5;
    cfg->stuck_after_seconds = 35 * 60;
    cfg->reconnect_max_seconds = 30;
    cfg->http_max_connections = 128;
    cfg->http_max_connections_per_ip = 32;
    cfg->http_idle_timeout_seconds = 15;
    cfg->http_threads = 4;
    set_queue_defaults(&cfg->queues[0], "pending_transcriptions");
    set_queue_defaults(&cfg->queues[1], "pending_pdf_processing");
    cfg->n_queues = 2;
}

size_t qe_queue_depth_count(const struct qe_queue *q)
{
    return 3 + q->n_extra;
}

const char *qe_queue_depth_status(const struct qe_queue *q, size_t i)
{
    switch (i) {
    case 0:
        return q->pending;
    case 1:
        return q->processing;
    case 2:
        return q->failed;
    default:
        return i - 3 < q->n_extra ? q->extra_statuses[i - 3] : NULL;
    }
}

double qe_queue_stuck_after(const struct qe_config *cfg, const struct qe_queue *q)
{
    return q->stuck_after_seconds >= 0 ? q->stuck_after_seconds : cfg->stuck_after_seconds;
}

size_t qe_config_enabled_queues(const struct qe_config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_queues; i++)
        n += cfg->queues[i].enabled ? 1 : 0;
    return n;
}

/* ---- parsing state ---------------------------------------------------- */

/* Keys of a section, as bits, to reject a key given twice. */
enum {
    K_TABLE = 1u << 0,
    K_SCHEMA = 1u << 1,
    K_STATUS_COL = 1u << 2,
    K_CREATED_COL = 1u << 3,
    K_UPDATED_COL = 1u << 4,
    K_PENDING = 1u << 5,
    K_PROCESSING = 1u << 6,
    K_COMPLETED = 1u << 7,
    K_FAILED = 1u << 8,
    K_EXTRA = 1u << 9,
    K_STUCK = 1u << 10,
    K_ENABLED = 1u << 11,
};

struct section_seen {
    char name[INIH_MAX_SECTION];
    int header_index;
    unsigned keys;
};

struct parse_ctx {
    struct qe_config *cfg;
    FILE *fp;
    char *linebuf;
    size_t linecap;
    int line; /* line last handed to inih (1-based) */
    int failed;
    int err_line; /* line of the first error; 0 = not tied to a line */
    char err[QE_ERR_MAX];
    /* Section headers as seen by the reader, so that empty or repeated
     * sections are reported (inih only calls back for name = value). */
    int header_index; /* number of [section] lines read so far */
    int header_line;  /* line of the latest one */
    char header_name[INIH_MAX_SECTION];
    int header_has_keys;
    struct section_seen seen[QE_MAX_QUEUES + 1];
    size_t n_seen;
};

static void fail_at(struct parse_ctx *ctx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_at(struct parse_ctx *ctx, int line, const char *fmt, ...)
{
    if (ctx->failed)
        return; /* keep the first error: later ones are often consequences */
    ctx->failed = 1;
    ctx->err_line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
    va_end(ap);
}

static void check_previous_section_has_keys(struct parse_ctx *ctx)
{
    if (ctx->header_index > 0 && !ctx->header_has_keys)
        fail_at(ctx, ctx->header_line, "section [%s] has no keys", ctx->header_name);
}

/* fgets-like reader for ini_parse_stream() that counts lines (inih's
 * handler gets no line number), rejects lines inih would split, and notes
 * section headers. */
static char *reader(char *str, int num, void *stream)
{
    struct parse_ctx *ctx = stream;
    ssize_t n = getline(&ctx->linebuf, &ctx->linecap, ctx->fp);
    if (n < 0)
        return NULL;
    ctx->line++;
    size_t len = (size_t)n;
    size_t content = len;
    while (content > 0 && (ctx->linebuf[content - 1] == '\n' || ctx->linebuf[content - 1] == '\r'))
        content--;
    if (memchr(ctx->linebuf, '\0', len) != NULL)
        fail_at(ctx, ctx->line, "NUL byte in line");
    /* inih needs room for the line, its newline and the terminator. */
    if (content + 3 > (size_t)num)
        fail_at(ctx, ctx->line, "line too long (at most %d characters)", num - 3);

    const char *p = ctx->linebuf;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '[') {
        check_previous_section_has_keys(ctx);
        const char *end = strchr(p, ']');
        size_t nlen = end ? (size_t)(end - p - 1) : 0;
        if (end && nlen >= INIH_MAX_SECTION)
            fail_at(ctx, ctx->line, "section name too long (at most %d characters)",
                    INIH_MAX_SECTION - 1);
        ctx->header_index++;
        ctx->header_line = ctx->line;
        ctx->header_has_keys = 0;
        snprintf(ctx->header_name, sizeof(ctx->header_name), "%.*s",
                 (int)(nlen < INIH_MAX_SECTION ? nlen : INIH_MAX_SECTION - 1), end ? p + 1 : "");
    }

    size_t copy = len < (size_t)num - 1 ? len : (size_t)num - 1;
    memcpy(str, ctx->linebuf, copy);
    str[copy] = '\0';
    return str;
}

/* ---- value parsers ------------------------------------------------------ */

static int valid_utf8_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0; /* control characters have no business in names */
    /* Strict: Prometheus rejects the whole scrape over one bad label. */
    return str_valid_utf8(s);
}

/* Identifiers and status values: non-empty (unless allow_empty), at most 63
 * bytes, UTF-8 without control characters. Quoting happens at query time. */
static int parse_name(struct parse_ctx *ctx, const char *key, const char *value, char *out,
                      size_t outsz, int allow_empty)
{
    size_t len = strlen(value);
    if (len == 0 && !allow_empty) {
        fail_at(ctx, ctx->line, "%s: empty value", key);
        return 0;
    }
    if (len >= outsz) {
        fail_at(ctx, ctx->line, "%s: '%s' is longer than %zu bytes", key, value, outsz - 1);
        return 0;
    }
    if (!valid_utf8_text(value)) {
        fail_at(ctx, ctx->line, "%s: not valid UTF-8 text or contains control characters", key);
        return 0;
    }
    memcpy(out, value, len + 1);
    return 1;
}

static int parse_double(struct parse_ctx *ctx, const char *key, const char *value, double min,
                        double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fail_at(ctx, ctx->line, "%s: '%s' is not a number", key, value);
        return 0;
    }
    if (v < min || v > max) {
        fail_at(ctx, ctx->line, "%s: %s is out of range [%g, %g]", key, value, min, max);
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_unsigned(struct parse_ctx *ctx, const char *key, const char *value, unsigned min,
                          unsigned max, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    if (value[0] == '-' || value[0] == '+' || value[0] == '\0') {
        fail_at(ctx, ctx->line, "%s: '%s' is not a whole number", key, value);
        return 0;
    }
    unsigned long v = strtoul(value, &end, 10);
    if (*end != '\0' || errno == ERANGE) {
        fail_at(ctx, ctx->line, "%s: '%s' is not a whole number", key, value);
        return 0;
    }
    if (v < min || v > max) {
        fail_at(ctx, ctx->line, "%s: %s is out of range [%u, %u]", key, value, min, max);
        return 0;
    }
    *out = (unsigned)v;
    return 1;
}

static int parse_bool(struct parse_ctx *ctx, const char *key, const char *value, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *out = 1;
            return 1;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *out = 0;
            return 1;
        }
    }
    fail_at(ctx, ctx->line, "%s: '%s' is not a boolean (true/false)", key, value);
    return 0;
}

/* "a, b ,c" -> three names. */
static int parse_status_list(struct parse_ctx *ctx, const char *key, const char *value,
                             struct qe_queue *q)
{
    const size_t max = sizeof(q->extra_statuses) / sizeof(q->extra_statuses[0]);
    q->n_extra = 0;
    const char *p = value;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0) {
            fail_at(ctx, ctx->line, "%s: empty status in list '%s'", key, value);
            return 0;
        }
        if (q->n_extra == max) {
            fail_at(ctx, ctx->line, "%s: more than %zu statuses", key, max);
            return 0;
        }
        char item[QE_NAME_MAX * 2];
        snprintf(item, sizeof(item), "%.*s", (int)(len < sizeof(item) - 1 ? len : sizeof(item) - 1),
                 p);
        if (!parse_name(ctx, key, item, q->extra_statuses[q->n_extra], sizeof(q->extra_statuses[0]),
                        0))
            return 0;
        q->n_extra++;
        if (!comma)
            break;
        p = comma + 1;
        if (*p == '\0') {
            fail_at(ctx, ctx->line, "%s: empty status in list '%s'", key, value);
            return 0;
        }
    }
    return 1;
}

/* ---- sections ----------------------------------------------------------- */

static struct section_seen *section_state(struct parse_ctx *ctx, const char *section)
{
    for (size_t i = 0; i < ctx->n_seen; i++) {
        if (strcmp(ctx->seen[i].name, section) != 0)
            continue;
        if (ctx->seen[i].header_index != ctx->header_index) {
            fail_at(ctx, ctx->line, "section [%s] appears more than once", section);
            return NULL;
        }
        return &ctx->seen[i];
    }
    if (ctx->n_seen == sizeof(ctx->seen) / sizeof(ctx->seen[0])) {
        fail_at(ctx, ctx->line, "too many sections (at most %d queues)", QE_MAX_QUEUES);
        return NULL;
    }
    struct section_seen *s = &ctx->seen[ctx->n_seen++];
    snprintf(s->name, sizeof(s->name), "%s", section);
    s->header_index = ctx->header_index;
    s->keys = 0;
    return s;
}

static int mark_key(struct parse_ctx *ctx, struct section_seen *s, unsigned bit, const char *key)
{
    if (s->keys & bit) {
        fail_at(ctx, ctx->line,
                "duplicate key '%s' in [%s] (an indented line continues the previous value)", key,
                s->name);
        return 0;
    }
    s->keys |= bit;
    return 1;
}

static int exporter_key(struct parse_ctx *ctx, struct section_seen *s, const char *key,
                        const char *value)
{
    static const struct {
        const char *key;
        int is_double;
        double min, max;
        size_t offset;
    } keys[] = {
        {"cache_ttl_seconds", 1, 0, 3600, offsetof(struct qe_config, cache_ttl_seconds)},
        {"collect_timeout_seconds", 1, 0.1, 300,
         offsetof(struct qe_config, collect_timeout_seconds)},
        {"stuck_after_seconds", 1, 1, 30 * 86400, offsetof(struct qe_config, stuck_after_seconds)},
        {"reconnect_max_seconds", 1, 0.1, 3600, offsetof(struct qe_config, reconnect_max_seconds)},
        {"http_max_connections", 0, 1, 10000, offsetof(struct qe_config, http_max_connections)},
        {"http_max_connections_per_ip", 0, 0, 10000,
         offsetof(struct qe_config, http_max_connections_per_ip)},
        {"http_idle_timeout_seconds", 0, 1, 3600,
         offsetof(struct qe_config, http_idle_timeout_seconds)},
        {"http_threads", 0, 1, 64, offsetof(struct qe_config, http_threads)},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(key, keys[i].key) != 0)
            continue;
        if (!mark_key(ctx, s, 1u << i, key))
            return 0;
        char *field = (char *)ctx->cfg + keys[i].offset;
        if (keys[i].is_double)
            return parse_double(ctx, key, value, keys[i].min, keys[i].max, (double *)(void *)field);
        return parse_unsigned(ctx, key, value, (unsigned)keys[i].min, (unsigned)keys[i].max,
                              (unsigned *)(void *)field);
    }
    fail_at(ctx, ctx->line, "unknown key '%s' in [exporter]", key);
    return 0;
}

static struct qe_queue *find_or_add_queue(struct parse_ctx *ctx, const char *name)
{
    struct qe_config *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->n_queues; i++)
        if (strcmp(cfg->queues[i].name, name) == 0)
            return &cfg->queues[i];
    if (cfg->n_queues == QE_MAX_QUEUES) {
        fail_at(ctx, ctx->line, "too many queues (at most %d)", QE_MAX_QUEUES);
        return NULL;
    }
    struct qe_queue *q = &cfg->queues[cfg->n_queues++];
    set_queue_defaults(q, name);
    return q;
}

static int queue_key(struct parse_ctx *ctx, struct section_seen *s, const char *qname,
                     const char *key, const char *value)
{
    if (qname[0] == '\0') {
        fail_at(ctx, ctx->line, "[queue] needs a name: [queue NAME]");
        return 0;
    }
    char tmp[QE_NAME_MAX];
    if (!parse_name(ctx, "queue name", qname, tmp, sizeof(tmp), 0))
        return 0;
    struct qe_queue *q = find_or_add_queue(ctx, qname);
    if (!q)
        return 0;
    q->line = ctx->header_line;

    static const struct {
        const char *key;
        unsigned bit;
        size_t offset;
        int allow_empty;
    } names[] = {
        {"table", K_TABLE, offsetof(struct qe_queue, table), 0},
        {"schema", K_SCHEMA, offsetof(struct qe_queue, schema), 1},
        {"status_column", K_STATUS_COL, offsetof(struct qe_queue, status_column), 0},
        {"created_column", K_CREATED_COL, offsetof(struct qe_queue, created_column), 0},
        {"updated_column", K_UPDATED_COL, offsetof(struct qe_queue, updated_column), 0},
        {"pending_status", K_PENDING, offsetof(struct qe_queue, pending), 0},
        {"processing_status", K_PROCESSING, offsetof(struct qe_queue, processing), 0},
        {"completed_status", K_COMPLETED, offsetof(struct qe_queue, completed), 0},
        {"failed_status", K_FAILED, offsetof(struct qe_queue, failed), 0},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(key, names[i].key) != 0)
            continue;
        if (!mark_key(ctx, s, names[i].bit, key))
            return 0;
        return parse_name(ctx, key, value, (char *)q + names[i].offset, QE_NAME_MAX,
                          names[i].allow_empty);
    }
    if (strcmp(key, "extra_statuses") == 0)
        return mark_key(ctx, s, K_EXTRA, key) && parse_status_list(ctx, key, value, q);
    if (strcmp(key, "stuck_after_seconds") == 0)
        return mark_key(ctx, s, K_STUCK, key) &&
               parse_double(ctx, key, value, 1, 30 * 86400, &q->stuck_after_seconds);
    if (strcmp(key, "enabled") == 0)
        return mark_key(ctx, s, K_ENABLED, key) && parse_bool(ctx, key, value, &q->enabled);
    fail_at(ctx, ctx->line, "unknown key '%s' in [queue %s]", key, qname);
    return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *ctx = user;
    if (ctx->failed)
        return 0; /* report only the first error */
    ctx->header_has_keys = 1;
    if (section[0] == '\0') {
        fail_at(ctx, ctx->line, "key '%s' outside a section ([exporter] or [queue NAME])", name);
        return 0;
    }
    if (strcmp(section, "exporter") == 0) {
        struct section_seen *s = section_state(ctx, section);
        return s ? exporter_key(ctx, s, name, value) : 0;
    }
    if (strncmp(section, "queue", 5) == 0 && (section[5] == ' ' || section[5] == '\0')) {
        /* "[queue  x ]" and "[queue x]" are the same queue. */
        const char *qname = section + 5;
        while (*qname == ' ' || *qname == '\t')
            qname++;
        char trimmed[INIH_MAX_SECTION];
        snprintf(trimmed, sizeof(trimmed), "%s", qname);
        size_t len = strlen(trimmed);
        while (len > 0 && (trimmed[len - 1] == ' ' || trimmed[len - 1] == '\t'))
            trimmed[--len] = '\0';
        char canonical[INIH_MAX_SECTION + 8];
        snprintf(canonical, sizeof(canonical), "queue %s", trimmed);
        struct section_seen *s = section_state(ctx, canonical);
        return s ? queue_key(ctx, s, trimmed, name, value) : 0;
    }
    fail_at(ctx, ctx->line, "unknown section [%s] (expected [exporter] or [queue NAME])", section);
    return 0;
}

/* ---- validation of the whole configuration ------------------------------ */

static int validate(struct parse_ctx *ctx)
{
    struct qe_config *cfg = ctx->cfg;
    if (cfg->http_max_connections_per_ip > cfg->http_max_connections) {
        fail_at(ctx, 0, "http_max_connections_per_ip (%u) exceeds http_max_connections (%u)",
                cfg->http_max_connections_per_ip, cfg->http_max_connections);
        return -1;
    }
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const struct qe_queue *q = &cfg->queues[i];
        if (!q->enabled)
            continue;
        const char *roles[] = {q->pending, q->processing, q->completed, q->failed};
        const char *role_names[] = {"pending_status", "processing_status", "completed_status",
                                    "failed_status"};
        for (size_t a = 0; a < 4; a++)
            for (size_t b = a + 1; b < 4; b++)
                if (strcmp(roles[a], roles[b]) == 0) {
                    fail_at(ctx, q->line, "[queue %s]: %s and %s are both '%s'", q->name,
                            role_names[a], role_names[b], roles[a]);
                    return -1;
                }
        for (size_t e = 0; e < q->n_extra; e++) {
            const char *x = q->extra_statuses[e];
            if (strcmp(x, q->completed) == 0) {
                /* Counting completed rows walks the whole history; throughput
                 * comes from supabase_queue_completed_last_hour instead. */
                fail_at(ctx, q->line,
                        "[queue %s]: extra_statuses must not list the completed status '%s' "
                        "(its count grows with the table's history)",
                        q->name, x);
                return -1;
            }
            for (size_t d = 0; d < 3 + e; d++)
                if (strcmp(x, qe_queue_depth_status(q, d)) == 0) {
                    fail_at(ctx, q->line, "[queue %s]: status '%s' is listed twice", q->name, x);
                    return -1;
                }
        }
    }
    if (qe_config_enabled_queues(cfg) == 0) {
        fail_at(ctx, 0, "every queue is disabled: nothing to export");
        return -1;
    }
    return 0;
}

int qe_config_load(struct qe_config *cfg, const char *path, char *err, size_t errsz)
{
    char why[512];
    FILE *fp = regfile_open(path, why, sizeof(why));
    if (!fp) {
        snprintf(err, errsz, "%s: cannot open: %s", path, why);
        return -1;
    }
    struct parse_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        fclose(fp);
        snprintf(err, errsz, "%s: out of memory", path);
        return -1;
    }
    ctx->cfg = cfg;
    ctx->fp = fp;
    int rc = ini_parse_stream(reader, ctx, handler, ctx);
    if (ferror(fp))
        fail_at(ctx, ctx->line, "read error: %s", strerror(errno));
    if (rc > 0 && (!ctx->failed || rc < ctx->err_line)) {
        /* An inih syntax error (it gives no reason) before any error of ours. */
        ctx->failed = 0;
        fail_at(ctx, rc, "syntax error (expected [section], name = value, or a ; comment)");
    } else if (rc < 0 && !ctx->failed) {
        fail_at(ctx, 0, "cannot parse (inih error %d)", rc);
    }
    check_previous_section_has_keys(ctx);
    if (!ctx->failed)
        validate(ctx);

    int result = 0;
    if (ctx->failed) {
        if (ctx->err_line > 0)
            snprintf(err, errsz, "%s:%d: %s", path, ctx->err_line, ctx->err);
        else
            snprintf(err, errsz, "%s: %s", path, ctx->err);
        result = -1;
    }
    free(ctx->linebuf);
    free(ctx);
    fclose(fp);
    return result;
}

int qe_config_apply_contract(struct qe_config *cfg, const struct contract *c, char *err,
                             size_t errsz)
{
    static const enum ct_table jobs[] = {CT_TRANSCRIPTIONS, CT_PDF};
    static const enum ct_role need[] = {CT_STATUS, CT_CREATED_AT, CT_UPDATED_AT};
    for (size_t i = 0; i < 2 && i < cfg->n_queues; i++) {
        struct qe_queue *q = &cfg->queues[i];
        const struct ct_table_decl *d = &c->t[jobs[i]];
        char *cols[] = {q->status_column, q->created_column, q->updated_column};
        for (size_t k = 0; k < 3; k++) {
            if (!d->column[need[k]][0]) {
                snprintf(err, errsz,
                         "the contract declares no %s.%s, which the exporter needs "
                         "(tables.%s.columns.%s)",
                         ct_table_key(jobs[i]), ct_role_key(need[k]), ct_table_key(jobs[i]),
                         ct_role_key(need[k]));
                return -1;
            }
            snprintf(cols[k], QE_NAME_MAX, "%s", d->column[need[k]]);
        }
        snprintf(q->table, sizeof(q->table), "%s", d->name);
        char *vals[] = {q->pending, q->processing, q->completed, q->failed};
        for (int v = CT_PENDING; v <= CT_FAILED; v++)
            if (d->value[v][0])
                snprintf(vals[v - CT_PENDING], QE_NAME_MAX, "%s", d->value[v]);
    }
    return 0;
}

void qe_config_builtin_ini(const struct qe_config *cfg, struct strbuf *b)
{
    for (size_t i = 0; i < 2 && i < cfg->n_queues; i++) {
        const struct qe_queue *q = &cfg->queues[i];
        sb_printf(b, "[queue %s]\ntable = %s\n", q->name, q->table);
        sb_printf(b, "status_column = %s\ncreated_column = %s\nupdated_column = %s\n",
                  q->status_column, q->created_column, q->updated_column);
        sb_printf(b, "pending_status = %s\nprocessing_status = %s\n", q->pending, q->processing);
        sb_printf(b, "completed_status = %s\nfailed_status = %s\n", q->completed, q->failed);
    }
}
