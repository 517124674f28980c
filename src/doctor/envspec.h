/* The .env variables the stack needs, which of them are secrets, and
 * how each must look. Shared by the env group and the secret redactor.
 * Values that reach a program are judged by that program's own env table
 * (the tables are linked in), so the doctor accepts exactly what the
 * programs accept. */
#ifndef DOCTOR_ENVSPEC_H
#define DOCTOR_ENVSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "dotenv.h"
#include "envvar.h"
#include "util.h"

/* The .env variables (struct env_var of src/common/envvar.h; their
 * `dotenv` field is unused here). */
extern const struct env_var doc_var_specs[];
extern const size_t doc_var_specs_count;

const struct env_var *doc_var_spec_find(const char *name);

/* The env tables of the programs compose starts from this .env (the daily
 * report's two, the queue exporter's), linked from their sources. */
const struct env_table *const *doc_program_tables(size_t *n);

/* The validator of a .env variable: the one of the program variable that
 * compose fills from it, else the doctor's own; NULL when any value goes. */
const struct env_var *doc_env_validator(const char *dotenv_name);

/* Secrets: the spec says so, or the name says so (PASSWORD, SECRET, KEY,
 * TOKEN, DSN), so unknown extra variables are protected too. */
bool doc_var_is_secret(const char *name);

/* placeholder_kind (validate.h) for the .env variable name. */
const char *doc_placeholder_kind(const char *name, const char *value);

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
 * doc_format_issues_free. */
size_t doc_envspec_format_issues(const struct dotenv *env, struct format_issue **out);
void doc_format_issues_free(struct format_issue *v, size_t n);
/* The issue indexes 0..n-1 reordered so that issues of one variable are
 * adjacent, variables in order of first appearance, each one's issues in
 * their own order. O(n log n), so a file of 100k broken keys is reported in
 * seconds (checking every issue against every earlier one was quadratic).
 * The caller frees the array. */
size_t *doc_format_issues_grouped(const struct format_issue *v, size_t n);

#endif
