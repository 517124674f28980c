/* Group env: the .env file itself. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor.h"
#include "envspec.h"
#include "validate.h"

static void check_file(struct doctor *d)
{
    struct report *r = d->rep;
    if (!d->env_loaded) {
        char fix[600];
        snprintf(fix, sizeof(fix),
                 "cp .env.example %s, fill it in and chmod 600 it (or pass --env-file)",
                 d->opt->env_file);
        doc_report_fail(r, "env.file", fix, "%s", d->env_error);
        return;
    }
    if (d->env.nerrors) {
        struct strbuf b;
        sb_init(&b);
        for (size_t i = 0; i < d->env.nerrors; i++)
            doc_sb_list_add(&b, "; ", "%s", d->env.errors[i]);
        doc_report_fail(r, "env.file",
                        "write each variable as KEY=VALUE on its own line; quote values with "
                        "spaces or # in single quotes",
                        "%s: %zu line(s) not understood: %s", d->opt->env_file, d->env.nerrors,
                        sb_str(&b));
        sb_free(&b);
        return;
    }
    doc_report_pass(r, "env.file", "%s: %zu variables read", d->opt->env_file, d->env.n);
}

static void check_permissions(struct doctor *d)
{
    struct report *r = d->rep;
    struct stat st;
    if (stat(d->opt->env_file, &st) != 0) {
        doc_report_skip(r, "env.permissions", "%s cannot be read", d->opt->env_file);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        doc_report_fail(r, "env.permissions", "point --env-file at a regular file",
                        "%s is not a regular file", d->opt->env_file);
        return;
    }
    unsigned mode = (unsigned)st.st_mode & 07777;
    if (mode & 0077) {
        char fix[600];
        snprintf(fix, sizeof(fix), "chmod 600 %s", d->opt->env_file);
        doc_report_fail(r, "env.permissions", fix,
                        "%s has mode %04o: other users on this machine can read its secrets "
                        "(must be 600)",
                        d->opt->env_file, mode);
        return;
    }
    doc_report_pass(r, "env.permissions", "%s has mode %04o", d->opt->env_file, mode);
}

static void check_required(struct doctor *d)
{
    struct strbuf missing, empty;
    sb_init(&missing);
    sb_init(&empty);
    size_t nreq = 0;
    for (size_t i = 0; i < doc_var_specs_count; i++) {
        const struct env_var *s = &doc_var_specs[i];
        if (!(s->flags & ENV_REQUIRED))
            continue;
        nreq++;
        const char *v = doc_dotenv_get(&d->env, s->name);
        if (!v)
            doc_sb_list_add(&missing, ", ", "%s", s->name);
        else if (!*v)
            doc_sb_list_add(&empty, ", ", "%s", s->name);
    }
    if (missing.len || empty.len) {
        struct strbuf msg;
        sb_init(&msg);
        if (missing.len)
            doc_sb_list_add(&msg, "; ", "missing: %s", sb_str(&missing));
        if (empty.len)
            doc_sb_list_add(&msg, "; ", "empty: %s", sb_str(&empty));
        doc_report_fail(d->rep, "env.required", "set them in the .env (see .env.example)", "%s",
                        sb_str(&msg));
        sb_free(&msg);
    } else {
        doc_report_pass(d->rep, "env.required", "all %zu required variables are set", nreq);
    }
    sb_free(&missing);
    sb_free(&empty);
}

static void check_placeholders(struct doctor *d)
{
    struct strbuf found;
    sb_init(&found);
    /* Every variable in the file, not only the known ones: a placeholder
     * anywhere means the file was not finished. */
    for (size_t i = 0; i < d->env.n; i++) {
        const struct dotenv_entry *e = &d->env.entries[i];
        if (doc_dotenv_find(&d->env, e->key) != e)
            continue; /* an earlier duplicate; the last one counts */
        const char *kind = doc_placeholder_kind(e->key, e->value);
        /* For a secret, even the matched pattern stays unsaid. */
        if (kind)
            doc_sb_list_add(&found, ", ", "%s (%s)", e->key,
                            doc_var_is_secret(e->key) ? "a placeholder" : kind);
    }
    if (found.len)
        doc_report_fail(d->rep, "env.placeholders", "replace them with the real values",
                        "placeholder values left: %s", sb_str(&found));
    else
        doc_report_pass(d->rep, "env.placeholders", "no placeholder values");
    sb_free(&found);
}

/* Issues listed per variable; the rest are counted. */
#define ISSUES_SHOWN_PER_VARIABLE 10

static void check_format(struct doctor *d)
{
    struct format_issue *issues;
    size_t n = doc_envspec_format_issues(&d->env, &issues);
    if (n == 0) {
        size_t checked = 0;
        for (size_t i = 0; i < doc_var_specs_count; i++) {
            const char *v = doc_dotenv_get(&d->env, doc_var_specs[i].name);
            if (v && *v && !doc_placeholder_kind(doc_var_specs[i].name, v))
                checked++;
        }
        doc_report_pass(d->rep, "env.format", "%zu variables well formed and consistent", checked);
    }
    /* One line per variable (ids stay unique), its issues joined. */
    size_t *order = doc_format_issues_grouped(issues, n);
    for (size_t k = 0; k < n;) {
        const char *name = issues[order[k]].name;
        struct strbuf msg, fix;
        sb_init(&msg);
        sb_init(&fix);
        size_t shown = 0, more = 0;
        for (; k < n && !strcmp(issues[order[k]].name, name); k++) {
            if (shown == ISSUES_SHOWN_PER_VARIABLE) { /* a key set 100k times: one line, bounded */
                more++;
                continue;
            }
            shown++;
            doc_sb_list_add(&msg, "; ", "%s", issues[order[k]].message);
            doc_sb_list_add(&fix, "; ", "%s", issues[order[k]].fix);
        }
        if (more)
            doc_sb_list_add(&msg, "; ", "and %zu more issue(s) of %s", more, name);
        char id[128];
        snprintf(id, sizeof(id), "env.format.%s", name);
        doc_report_fail(d->rep, id, sb_str(&fix), "%s", sb_str(&msg));
        sb_free(&msg);
        sb_free(&fix);
    }
    free(order);
    doc_format_issues_free(issues, n);
}

void doc_check_env(struct doctor *d)
{
    check_file(d);
    check_permissions(d);
    if (!d->env_loaded) {
        doc_report_skip(d->rep, "env.required", "no .env to check");
        doc_report_skip(d->rep, "env.placeholders", "no .env to check");
        doc_report_skip(d->rep, "env.format", "no .env to check");
        return;
    }
    check_required(d);
    check_placeholders(d);
    check_format(d);
}
