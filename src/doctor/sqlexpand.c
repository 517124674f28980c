#include "sqlexpand.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void rfc3339(long s, char *out, size_t outsz)
{
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Grafana's interval text: 1m, 1h, 500ms. */
static void interval_text(long ms, char *out, size_t outsz)
{
    static const struct {
        long ms;
        const char *unit;
    } u[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
        if (ms >= u[i].ms) {
            snprintf(out, outsz, "%ld%s", ms / u[i].ms, u[i].unit);
            return;
        }
    snprintf(out, outsz, "%ldms", ms);
}

/* "5m", "'1h'", "30s" -> seconds; -1 when not a duration. */
static double duration_s(const char *a)
{
    char buf[64];
    size_t n = strlen(a);
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, a, n + 1);
    char *p = buf;
    if (*p == '\'' && n >= 2 && p[n - 1] == '\'') {
        p[n - 1] = '\0';
        p++;
    }
    double total = 0;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            return -1;
        p = end;
        double mul = !strncmp(p, "ms", 2) ? 0.001
                     : *p == 's'          ? 1
                     : *p == 'm'          ? 60
                     : *p == 'h'          ? 3600
                     : *p == 'd'          ? 86400
                     : *p == 'w'          ? 604800
                                          : -1;
        if (mul < 0)
            return -1;
        p += !strncmp(p, "ms", 2) ? 2 : 1;
        total += v * mul;
    }
    return total;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

/* One macro with its arguments (split on commas) appended to out. */
static int macro(const char *name, char *args, int alias_next, const struct grafana_range *r,
                 struct strbuf *out, char *err, size_t errsz)
{
    char *argv[4] = {0};
    int argc = 0;
    for (char *tok = args; tok && argc < 4; argc++) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        trim(tok);
        argv[argc] = tok;
        tok = comma ? comma + 1 : NULL;
    }
    char from[32], to[32];
    rfc3339(r->from_s, from, sizeof(from));
    rfc3339(r->to_s, to, sizeof(to));
    bool has1 = argc >= 1 && argv[0][0];
    if (!strcmp(name, "__timeFilter") && has1)
        sb_printf(out, "%s BETWEEN '%s' AND '%s'", argv[0], from, to);
    else if (!strcmp(name, "__timeFrom"))
        sb_printf(out, "'%s'", from);
    else if (!strcmp(name, "__timeTo"))
        sb_printf(out, "'%s'", to);
    else if (!strcmp(name, "__time") && has1)
        sb_printf(out, "%s AS \"time\"", argv[0]);
    else if (!strcmp(name, "__timeEpoch") && has1)
        sb_printf(out, "extract(epoch from %s) as \"time\"", argv[0]);
    else if (!strcmp(name, "__unixEpochFilter") && has1)
        sb_printf(out, "%s >= %ld AND %s <= %ld", argv[0], r->from_s, argv[0], r->to_s);
    else if ((!strcmp(name, "__timeGroup") || !strcmp(name, "__timeGroupAlias")) && argc >= 2 &&
             has1) {
        double s = duration_s(argv[1]);
        if (s <= 0) {
            snprintf(err, errsz, "error parsing interval %s", argv[1]);
            return -1;
        }
        sb_printf(out, "floor(extract(epoch from %s)/%g)*%g", argv[0], s, s);
        if (!strcmp(name, "__timeGroupAlias") || alias_next)
            sb_puts(out, " AS \"time\"");
    } else {
        snprintf(err, errsz, "unknown macro or missing argument: $%s(%s)", name, args);
        return -1;
    }
    return 0;
}

static const char *var_value(const struct grafana_var *vars, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == len && !strncmp(vars[i].name, name, len))
            return vars[i].value;
    return NULL;
}

/* Template variables first, as sqleng.Interpolate does before macros. */
static void variables(const char *raw, const struct grafana_var *vars, size_t nvars,
                      const struct grafana_range *r, struct strbuf *o)
{
    char iv[32];
    interval_text(r->interval_ms, iv, sizeof(iv));
    for (const char *p = raw; *p;) {
        if (*p != '$' && !(p[0] == '[' && p[1] == '[')) {
            sb_putc(o, *p++);
            continue;
        }
        const char *name = p + 1, *end;
        size_t skip_after = 0;
        if (p[0] == '[')
            name = p + 2, skip_after = 2;
        else if (p[1] == '{')
            name = p + 2, skip_after = 1;
        end = name;
        while (isalnum((unsigned char)*end) || *end == '_')
            end++;
        size_t len = (size_t)(end - name);
        const char *v = var_value(vars, nvars, name, len);
        char num[32];
        if (!v && len == 13 && !strncmp(name, "__interval_ms", 13)) {
            snprintf(num, sizeof(num), "%ld", r->interval_ms);
            v = num;
        } else if (!v && len == 10 && !strncmp(name, "__interval", 10)) {
            v = iv;
        }
        if (!v || (skip_after && strncmp(end, p[0] == '[' ? "]]" : "}", skip_after))) {
            sb_putc(o, *p++);
            continue;
        }
        sb_puts(o, v);
        p = end + skip_after;
    }
}

int doc_grafana_expand(const char *raw, const struct grafana_var *vars, size_t nvars,
                       const struct grafana_range *r, struct strbuf *out, char *err, size_t errsz)
{
    struct strbuf a;
    sb_init(&a);
    variables(raw, vars, nvars, r, &a);
    const char *s = sb_str(&a);
    int rc = 0;
    for (const char *p = s; *p && rc == 0;) {
        if (!strncmp(p, "$__unixEpochFrom()", 18) || !strncmp(p, "$__unixEpochTo()", 16)) {
            bool from = p[12] == 'F';
            sb_printf(out, "%ld", from ? r->from_s : r->to_s);
            p += from ? 18 : 16;
            continue;
        }
        const char *name = p + 1, *end = name;
        while (*p == '$' && (isalnum((unsigned char)*end) || *end == '_'))
            end++;
        if (*p != '$' || end == name || *end != '(') {
            sb_putc(out, *p++);
            continue;
        }
        const char *close = strchr(end, ')');
        if (!close) {
            snprintf(err, errsz, "unclosed macro at %.40s", p);
            rc = -1;
            break;
        }
        char mname[64], args[512];
        snprintf(mname, sizeof(mname), "%.*s", (int)(end - name), name);
        snprintf(args, sizeof(args), "%.*s", (int)(close - end - 1), end + 1);
        rc = macro(mname, args, close[1] == ',', r, out, err, errsz);
        p = close + 1;
    }
    sb_free(&a);
    return rc;
}
