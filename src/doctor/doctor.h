/* What every check group sees: the options, the parsed .env and the
 * report. Each group is one function doctor_check_<group>(). */
#ifndef DOCTOR_DOCTOR_H
#define DOCTOR_DOCTOR_H

#include <stdbool.h>

#include "checklist.h"
#include "dotenv.h"
#include "options.h"
#include "util.h"

struct doctor {
    const struct options *opt;
    struct report *rep;
    struct dotenv env;
    bool env_loaded;
    char env_error[512]; /* why the .env could not be read */
};

/* The value of a .env variable usable as a check's input: present,
 * non-empty and not a placeholder. Otherwise NULL, and a reason naming
 * the variable (never its value) is appended to why ("; "-separated). */
const char *doc_input(struct doctor *d, const char *name, struct strbuf *why);
/* The raw value (possibly empty), or NULL when absent / no .env. */
const char *doc_raw(const struct doctor *d, const char *name);
/* The one-line fix for missing inputs. */
const char *doc_input_fix(const struct doctor *d);

/* Registers every secret value of the .env with the report (and the
 * password inside a libpq DSN, which may surface alone in a server
 * message), so the report redacts it wherever it appears. */
void doc_register_secrets(struct doctor *d);

void doc_check_env(struct doctor *d);
void doc_check_s3(struct doctor *d);
void doc_check_smtp(struct doctor *d);
void doc_check_supabase(struct doctor *d);
void doc_check_targets(struct doctor *d);
void doc_check_dns(struct doctor *d);
void doc_check_stack(struct doctor *d);
void doc_check_watcher(struct doctor *d);

#endif
