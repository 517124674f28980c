/* The .env variables the stack needs, which of them are secrets, and
 * how each must look. Shared by the env group and the secret redactor. */
#ifndef DOCTOR_ENVSPEC_H
#define DOCTOR_ENVSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "dotenv.h"
#include "util.h"

enum { VAR_OPTIONAL = 0, VAR_REQUIRED = 1, VAR_SECRET = 2 };

struct var_spec {
    const char *name;
    unsigned flags;
    /* Appends why the value is malformed (never quoting a secret) and
     * returns false; NULL when any value is accepted. */
    bool (*check)(const char *value, struct strbuf *why);
    const char *fix; /* one line: what a good value looks like */
};

extern const struct var_spec var_specs[];
extern const size_t var_specs_count;

const struct var_spec *var_spec_find(const char *name);
/* Secrets: the spec says so, or the name says so (PASSWORD, SECRET, KEY,
 * TOKEN, DSN), so unknown extra variables are protected too. */
bool var_is_secret(const char *name);

/* One malformed variable or inconsistency. */
struct format_issue {
    char *name; /* the variable the fix applies to */
    char *message;
    char *fix;
};

/* Every format problem of env: per-variable syntax, duplicates, '$'
 * expansion, and cross-variable consistency (Supabase host / port / user
 * suffixes). Placeholder and empty values are left to their own checks.
 * Returns the number of issues; *out is an array the caller frees with
 * format_issues_free. */
size_t envspec_format_issues(const struct dotenv *env, struct format_issue **out);
void format_issues_free(struct format_issue *v, size_t n);

#endif
