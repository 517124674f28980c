#include "checklist.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "util.h"

/* Secrets shorter than this are not redacted (see doc_report_add_secret). */
#define MIN_SECRET_LEN 4

void doc_report_init(struct report *r, FILE *text_out)
{
    memset(r, 0, sizeof(*r));
    r->text_out = text_out;
}

void doc_report_free(struct report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].id);
        free(r->items[i].group);
        free(r->items[i].detail);
        free(r->items[i].fix);
    }
    free(r->items);
    for (size_t i = 0; i < r->nsecrets; i++)
        free(r->secrets[i]);
    free(r->secrets);
    memset(r, 0, sizeof(*r));
}

void doc_report_add_secret(struct report *r, const char *value)
{
    if (!value || strlen(value) < MIN_SECRET_LEN)
        return;
    /* Appended unsorted (a .env of 100k secret values made the old
     * duplicate scan here quadratic); redact sorts and deduplicates. */
    if (r->nsecrets == r->secrets_cap) {
        r->secrets_cap = r->secrets_cap ? r->secrets_cap * 2 : 16;
        r->secrets = doc_xrealloc(r->secrets, r->secrets_cap, sizeof(*r->secrets));
    }
    r->secrets[r->nsecrets++] = doc_xstrdup(value);
    r->secrets_sorted = false;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted and without duplicates, once per batch of additions. */
static void sort_secrets(struct report *r)
{
    if (r->secrets_sorted || r->nsecrets == 0)
        return;
    qsort(r->secrets, r->nsecrets, sizeof(*r->secrets), by_string);
    size_t k = 0;
    for (size_t i = 0; i < r->nsecrets; i++) {
        if (k && !strcmp(r->secrets[k - 1], r->secrets[i]))
            free(r->secrets[i]);
        else
            r->secrets[k++] = r->secrets[i];
    }
    r->nsecrets = k;
    r->secrets_sorted = true;
}

/* First index in [lo, hi) whose byte d is >= c (or > c when after). The
 * range's secrets all share p's first d bytes and are longer than d. */
static size_t bound_at(char *const *v, size_t lo, size_t hi, size_t d, unsigned char c, bool after)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        unsigned char m = (unsigned char)v[mid][d];
        if (m < c || (after && m == c))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Length of the longest secret that starts text at p, or 0: narrows the
 * sorted range byte by byte (O(depth x log n) per position, not O(n)). */
static size_t longest_secret_at(const struct report *r, const char *p)
{
    size_t lo = 0, hi = r->nsecrets, best = 0;
    for (size_t d = 0;; d++) {
        while (lo < hi && r->secrets[lo][d] == '\0') { /* a secret equal to p[0..d) */
            best = d;
            lo++;
        }
        if (lo == hi || p[d] == '\0')
            return best;
        unsigned char c = (unsigned char)p[d];
        size_t nlo = bound_at(r->secrets, lo, hi, d, c, false);
        hi = bound_at(r->secrets, nlo, hi, d, c, true);
        lo = nlo;
    }
}

char *doc_report_redact(struct report *r, const char *text)
{
    sort_secrets(r);
    struct strbuf out;
    sb_init(&out);
    const char *p = text;
    if (r->nsecrets == 0)
        sb_puts(&out, text);
    while (r->nsecrets && *p) {
        /* Longest match first, so a secret containing another is hidden whole. */
        size_t best = longest_secret_at(r, p);
        if (best) {
            sb_puts(&out, "***");
            p += best;
        } else {
            sb_append(&out, p, 1);
            p++;
        }
    }
    return doc_sb_xtake(&out);
}

static const char *status_mark(enum check_status s)
{
    switch (s) {
    case CHECK_PASS:
        return "\u2713"; /* ✓ */
    case CHECK_FAIL:
        return "\u2717"; /* ✗ */
    case CHECK_SKIP:
        return "\u2014"; /* — */
    }
    return "?";
}

static const char *status_name(enum check_status s)
{
    switch (s) {
    case CHECK_PASS:
        return "pass";
    case CHECK_FAIL:
        return "fail";
    case CHECK_SKIP:
        return "skip";
    }
    return "?";
}

/* Detail and fix are single lines: a newline inside would break the
 * one-line-per-check format and make the text output ambiguous. */
/* One line of printable UTF-8, in place: line breaks and tabs become
 * spaces, other control characters (a value's terminal escape sequences)
 * and bytes that are not UTF-8 become '?', so neither the terminal nor
 * --json's consumers get them (issue 14). */
static void flatten(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)s[i];
        size_t l = str_utf8_seq_len(s + i, n - i);
        if (ch == '\n' || ch == '\r' || ch == '\t')
            s[i] = ' ';
        else if (ch < 0x20 || ch == 0x7f || l == 0)
            s[i] = '?';
        i += l ? l : 1;
    }
}

bool doc_report_skipped(const struct report *r, const char *id)
{
    if (!r->skip)
        return false;
    const char *p = r->skip;
    size_t idl = strlen(id);
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            if (p[n - 1] == '*') {
                if (idl >= n - 1 && strncmp(id, p, n - 1) == 0)
                    return true;
            } else if (n == idl && strncmp(id, p, n) == 0) {
                return true;
            } else if (idl > n && strncmp(id, p, n) == 0 && id[n] == '.') {
                return true;
            }
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

static void add(struct report *r, const char *id, enum check_status st, const char *fix,
                const char *detail)
{
    if (st != CHECK_SKIP && doc_report_skipped(r, id)) {
        st = CHECK_SKIP;
        fix = NULL;
        detail = "skipped by --skip";
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->items = doc_xrealloc(r->items, r->cap, sizeof(*r->items));
    }
    struct check_result *c = &r->items[r->n++];
    c->id = doc_xstrdup(id);
    const char *dot = strchr(id, '.');
    c->group = dot ? doc_xstrndup(id, (size_t)(dot - id)) : doc_xstrdup(id);
    c->status = st;
    c->detail = doc_report_redact(r, detail);
    flatten(c->detail);
    c->fix = fix ? doc_report_redact(r, fix) : NULL;
    if (c->fix)
        flatten(c->fix);
    if (st == CHECK_PASS)
        r->passed++;
    else if (st == CHECK_FAIL)
        r->failed++;
    else
        r->skipped++;
    if (r->text_out) {
        fprintf(r->text_out, "%s %-26s %s\n", status_mark(st), c->id, c->detail);
        if (c->fix)
            fprintf(r->text_out, "  %-26s fix: %s\n", "", c->fix);
        fflush(r->text_out);
    }
}

__attribute__((format(printf, 5, 0))) static void vadd(struct report *r, const char *id,
                                                       enum check_status st, const char *fix,
                                                       const char *fmt, va_list ap)
{
    struct strbuf b;
    sb_init(&b);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n >= 0) {
        char *tmp = doc_xcalloc((size_t)n + 1, 1);
        vsnprintf(tmp, (size_t)n + 1, fmt, ap);
        sb_puts(&b, tmp);
        free(tmp);
    }
    add(r, id, st, fix, sb_str(&b));
    sb_free(&b);
}

void doc_report_pass(struct report *r, const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(r, id, CHECK_PASS, NULL, fmt, ap);
    va_end(ap);
}

void doc_report_skip(struct report *r, const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(r, id, CHECK_SKIP, NULL, fmt, ap);
    va_end(ap);
}

void doc_report_fail(struct report *r, const char *id, const char *fix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(r, id, CHECK_FAIL, fix ? fix : "see the detail above", fmt, ap);
    va_end(ap);
}

void doc_report_print_summary(const struct report *r, FILE *out)
{
    fprintf(out, "\n%zu passed, %zu failed, %zu skipped\n", r->passed, r->failed, r->skipped);
}

char *doc_report_json(const struct report *r, const char *env_file, const char *version)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "doctor_version", version);
    cJSON_AddStringToObject(root, "env_file", env_file);
    cJSON_AddBoolToObject(root, "ok", r->failed == 0);
    cJSON *sum = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(sum, "passed", (double)r->passed);
    cJSON_AddNumberToObject(sum, "failed", (double)r->failed);
    cJSON_AddNumberToObject(sum, "skipped", (double)r->skipped);
    cJSON *arr = cJSON_AddArrayToObject(root, "checks");
    for (size_t i = 0; i < r->n; i++) {
        const struct check_result *c = &r->items[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", c->id);
        cJSON_AddStringToObject(o, "group", c->group);
        cJSON_AddStringToObject(o, "status", status_name(c->status));
        cJSON_AddStringToObject(o, "detail", c->detail);
        if (c->fix)
            cJSON_AddStringToObject(o, "fix", c->fix);
        else
            cJSON_AddNullToObject(o, "fix");
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s)
        abort();
    return s;
}
