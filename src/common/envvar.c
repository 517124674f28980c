#include "envvar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "validate.h"

const char *env_nonempty(env_get_fn get, const char *name)
{
    const char *v = get(name);
    return (v && *v) ? v : NULL;
}

const struct env_var *env_table_find(const struct env_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->vars[i].name, name) == 0)
            return &t->vars[i];
    return NULL;
}

bool env_var_validate(const struct env_var *v, const char *value, struct strbuf *out)
{
    if (!v->check)
        return true;
    struct strbuf why;
    sb_init(&why);
    bool ok = v->check(value, &why);
    if (!ok) {
        if (v->flags & (ENV_SECRET | ENV_NO_ECHO))
            sb_printf(out, "%s %s", v->name, sb_str(&why));
        else
            sb_printf(out, "%s=%s %s", v->name, value, sb_str(&why));
    }
    sb_free(&why);
    return ok;
}

int env_table_check(const struct env_table *t, env_get_fn get, char *err, size_t errsz)
{
    struct strbuf msg;
    sb_init(&msg);
    int rc = 0;
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        const struct env_var *v = &t->vars[i];
        const char *value = env_nonempty(get, v->name);
        if (!value && (v->flags & ENV_REQUIRED)) {
            sb_printf(&msg, "%s is not set", v->name);
            rc = -1;
        } else if (value && !env_var_validate(v, value, &msg)) {
            rc = -1;
        }
        if (rc != 0)
            snprintf(err, errsz, "%s (%s)", sb_str(&msg), v->fix);
    }
    sb_free(&msg);
    return rc;
}

int env_parse_int(const char *v, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end != '\0' || n < lo || n > hi)
        return -1;
    *out = (int)n;
    return 0;
}

bool env_check_int(const char *v, long lo, long hi, struct strbuf *why)
{
    int n;
    if (env_parse_int(v, lo, hi, &n) == 0)
        return true;
    sb_printf(why, "is not a number %ld-%ld", lo, hi);
    return false;
}

bool env_check_port(const char *v, struct strbuf *why)
{
    if (valid_port(v, NULL))
        return true;
    sb_puts(why, "is not a port number (1-65535)");
    return false;
}

bool env_check_hostname(const char *v, struct strbuf *why)
{
    if (str_starts_with(v, "http://") || str_starts_with(v, "https://")) {
        sb_puts(why, "must be a bare host name, without http:// or https://");
        return false;
    }
    if (!valid_hostname(v) && !valid_ip(v)) {
        sb_puts(why, "is not a valid host name");
        return false;
    }
    return true;
}
