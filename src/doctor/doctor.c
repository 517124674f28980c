#include "doctor.h"

#include <libpq-fe.h>
#include <string.h>

#include "envspec.h"
#include "validate.h"

const char *doc_raw(const struct doctor *d, const char *name)
{
    return d->env_loaded ? doc_dotenv_get(&d->env, name) : NULL;
}

const char *doc_input(struct doctor *d, const char *name, struct strbuf *why)
{
    if (!d->env_loaded) {
        doc_sb_list_add(why, "; ", "%s unknown (%s)", name, d->env_error);
        return NULL;
    }
    const char *v = doc_dotenv_get(&d->env, name);
    if (!v) {
        doc_sb_list_add(why, "; ", "%s is not set in %s", name, d->opt->env_file);
        return NULL;
    }
    if (!*v) {
        doc_sb_list_add(why, "; ", "%s is empty in %s", name, d->opt->env_file);
        return NULL;
    }
    if (doc_placeholder_kind(name, v)) {
        doc_sb_list_add(why, "; ", "%s is still a placeholder", name);
        return NULL;
    }
    return v;
}

const char *doc_input_fix(const struct doctor *d)
{
    (void)d;
    return "fill these variables in the .env (see .env.example), then run again";
}

void doc_register_secrets(struct doctor *d)
{
    for (size_t i = 0; i < d->env.n; i++) {
        const struct dotenv_entry *e = &d->env.entries[i];
        if (!doc_var_is_secret(e->key))
            continue;
        doc_report_add_secret(d->rep, e->value);
        /* A DSN's password may surface alone (e.g. in a server message). */
        char *err = NULL;
        PQconninfoOption *opts = PQconninfoParse(e->value, &err);
        PQfreemem(err);
        if (!opts)
            continue;
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (!strcmp(o->keyword, "password") && o->val)
                doc_report_add_secret(d->rep, o->val);
        PQconninfoFree(opts);
    }
}
