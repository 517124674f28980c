#include "dotenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"
#include "util.h"

/* A .env larger than this is not a hand-written configuration file. */
#define DOTENV_MAX_BYTES (1024 * 1024)

void doc_dotenv_init(struct dotenv *env)
{
    memset(env, 0, sizeof(*env));
}

void doc_dotenv_free(struct dotenv *env)
{
    for (size_t i = 0; i < env->n; i++) {
        free(env->entries[i].key);
        free(env->entries[i].value);
    }
    free(env->entries);
    for (size_t i = 0; i < env->nerrors; i++)
        free(env->errors[i]);
    free(env->errors);
    free(env->slots);
    memset(env, 0, sizeof(*env));
}

static void add_error(struct dotenv *env, int line, const char *msg)
{
    if (env->nerrors == env->errors_cap) { /* doubling: linear in the error count */
        env->errors_cap = env->errors_cap ? env->errors_cap * 2 : 16;
        env->errors = doc_xrealloc(env->errors, env->errors_cap, sizeof(*env->errors));
    }
    env->errors[env->nerrors++] = doc_xasprintf("line %d: %s", line, msg);
}

/* FNV-1a: keys are short, and the table only has to spread them. */
static size_t key_hash(const char *k)
{
    size_t h = (size_t)14695981039346656037ULL;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * (size_t)1099511628211ULL;
    return h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t *slot_of(struct dotenv *env, const char *key)
{
    size_t mask = env->nslots - 1;
    for (size_t i = key_hash(key) & mask;; i = (i + 1) & mask) {
        size_t *s = &env->slots[i];
        if (!*s)
            return s;
        env->key_compares++;
        if (strcmp(env->entries[*s - 1].key, key) == 0)
            return s;
    }
}

/* Keeps the table at most half full. */
static void grow_slots(struct dotenv *env)
{
    if (env->nslots && (env->nkeys + 1) * 2 <= env->nslots)
        return;
    size_t *old = env->slots, nold = env->nslots;
    env->nslots = nold ? nold * 2 : 64;
    env->slots = doc_xrealloc(NULL, env->nslots, sizeof(*env->slots));
    memset(env->slots, 0, env->nslots * sizeof(*env->slots));
    for (size_t i = 0; i < nold; i++)
        if (old[i])
            *slot_of(env, env->entries[old[i] - 1].key) = old[i];
    free(old);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_key_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
    return is_key_start(c) || (c >= '0' && c <= '9');
}

/* After a closing quote only blanks or a comment may follow. */
static bool rest_is_comment(const char *p, const char *end)
{
    while (p < end && is_blank(*p))
        p++;
    return p == end || *p == '#';
}

static void add_entry(struct dotenv *env, char *key, char *value, int line, enum dotenv_quote quote,
                      bool expands)
{
    int dup = 0;
    grow_slots(env);
    size_t *slot = slot_of(env, key);
    if (*slot)
        dup = env->entries[*slot - 1].line;
    else
        env->nkeys++;
    if (env->n == env->cap) {
        env->cap = env->cap ? env->cap * 2 : 32;
        env->entries = doc_xrealloc(env->entries, env->cap, sizeof(*env->entries));
    }
    struct dotenv_entry *e = &env->entries[env->n++];
    e->key = key;
    e->value = value;
    e->line = line;
    e->quote = quote;
    e->expands = expands;
    e->duplicate_of = dup;
    *slot = env->n; /* 1 + the new entry's index: the last definition wins */
}

/* One logical line [p, end) without its newline. */
/* 'value': literal up to the next quote. Returns the error, or NULL. */
static const char *single_quoted(const char *p, const char *end, struct strbuf *v)
{
    const char *close = memchr(p + 1, '\'', (size_t)(end - p - 1));
    if (!close)
        return "unterminated single quote";
    sb_append(v, p + 1, (size_t)(close - p - 1));
    return rest_is_comment(close + 1, end) ? NULL : "unexpected text after the closing quote";
}

/* "value": \n \t \\ \" \$ escapes; a bare $ is a compose expansion. */
static const char *double_quoted(const char *p, const char *end, struct strbuf *v, bool *expands)
{
    const char *q = p + 1;
    while (q < end && *q != '"') {
        if (*q == '\\' && q + 1 < end) {
            char c = q[1];
            if (c == 'n')
                sb_append(v, "\n", 1);
            else if (c == 't')
                sb_append(v, "\t", 1);
            else if (c == '\\' || c == '"' || c == '$')
                sb_append(v, &c, 1);
            else
                sb_append(v, q, 2);
            q += 2;
            continue;
        }
        *expands |= *q == '$';
        sb_append(v, q, 1);
        q++;
    }
    if (q >= end)
        return "unterminated double quote";
    return rest_is_comment(q + 1, end) ? NULL : "unexpected text after the closing quote";
}

/* Unquoted: "# " right after "=" plus blanks, or after any blank, starts a
 * comment; a # glued to text is part of the value. */
static void unquoted(const char *p, const char *end, bool skipped_blank, struct strbuf *v,
                     bool *expands)
{
    const char *q = p;
    if (q < end && *q == '#' && skipped_blank)
        q = end, p = end;
    const char *stop = end;
    for (; q < end; q++) {
        if (*q == '#' && q > p && is_blank(q[-1])) {
            stop = q;
            break;
        }
    }
    while (stop > p && is_blank(stop[-1]))
        stop--;
    sb_append(v, p, (size_t)(stop - p));
    *expands = memchr(p, '$', (size_t)(stop - p)) != NULL;
}

/* KEY= (after an optional "export "): the key's end, or NULL. */
static const char *parse_key(const char **pp, const char *end)
{
    const char *p = *pp;
    if ((size_t)(end - p) > 7 && strncmp(p, "export", 6) == 0 && is_blank(p[6])) {
        p += 6;
        while (p < end && is_blank(*p))
            p++;
    }
    *pp = p;
    if (p == end || !is_key_start(*p))
        return NULL;
    while (p < end && is_key_char(*p))
        p++;
    const char *kend = p;
    while (p < end && is_blank(*p))
        p++;
    return p < end && *p == '=' ? kend : NULL;
}

static void parse_line(struct dotenv *env, const char *p, const char *end, int line)
{
    while (p < end && is_blank(*p))
        p++;
    if (p == end || *p == '#')
        return;
    const char *kend = parse_key(&p, end);
    if (!kend) {
        add_error(env, line, "expected KEY=VALUE (a name of letters, digits and _, then =)");
        return;
    }
    const char *k = p;
    p = (const char *)memchr(kend, '=', (size_t)(end - kend)) + 1;
    bool skipped_blank = false;
    while (p < end && is_blank(*p)) {
        p++;
        skipped_blank = true;
    }
    struct strbuf v;
    sb_init(&v);
    enum dotenv_quote quote = DOTENV_UNQUOTED;
    bool expands = false;
    const char *error = NULL;
    if (p < end && *p == '\'') {
        quote = DOTENV_SINGLE;
        error = single_quoted(p, end, &v);
    } else if (p < end && *p == '"') {
        quote = DOTENV_DOUBLE;
        error = double_quoted(p, end, &v, &expands);
    } else {
        unquoted(p, end, skipped_blank, &v, &expands);
    }
    if (error) {
        add_error(env, line, error);
        sb_free(&v);
        return;
    }
    add_entry(env, doc_xstrndup(k, (size_t)(kend - k)), doc_sb_xtake(&v), line, quote, expands);
}

void doc_dotenv_parse(struct dotenv *env, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    /* A UTF-8 byte order mark (Windows editors) would glue onto the first key. */
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    int line = 0;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *lend = nl ? nl : end;
        const char *trim = lend;
        if (trim > p && trim[-1] == '\r')
            trim--;
        size_t llen = trim > p ? (size_t)(trim - p) : 0;
        if (llen && memchr(p, '\0', llen))
            add_error(env, line, "contains a NUL byte (binary file?)");
        else
            parse_line(env, p, trim, line);
        p = nl ? nl + 1 : end;
    }
}

int doc_dotenv_load(struct dotenv *env, const char *path, char *err, size_t errlen)
{
    struct strbuf b;
    sb_init(&b);
    enum read_file_result rc = doc_read_file(path, DOTENV_MAX_BYTES, &b, err, errlen);
    if (rc == READ_FILE_TOO_LARGE)
        snprintf(err, errlen, "%s is larger than 1 MiB: not a .env file", path);
    if (rc == READ_FILE_OK)
        doc_dotenv_parse(env, sb_str(&b), b.len);
    sb_free(&b);
    return rc == READ_FILE_OK ? 0 : -1;
}

const struct dotenv_entry *doc_dotenv_find(const struct dotenv *env, const char *key)
{
    if (!env->nslots)
        return NULL;
    /* The comparison counter is bookkeeping, not part of the value. */
    size_t *s = slot_of((struct dotenv *)env, key);
    return *s ? &env->entries[*s - 1] : NULL;
}

const char *doc_dotenv_get(const struct dotenv *env, const char *key)
{
    const struct dotenv_entry *e = doc_dotenv_find(env, key);
    return e ? e->value : NULL;
}
