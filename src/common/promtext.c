#include "promtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prom_buf_init(struct prom_buf *b)
{
    sb_init(&b->sb);
}

void prom_buf_free(struct prom_buf *b)
{
    sb_free(&b->sb);
}

void prom_buf_reset(struct prom_buf *b)
{
    sb_reset(&b->sb);
}

void prom_append(struct prom_buf *b, const char *text, size_t len)
{
    sb_append(&b->sb, text, len);
}

static void append_str(struct prom_buf *b, const char *s)
{
    sb_puts(&b->sb, s);
}

/* The replacement for c, or NULL when c stands as itself. Label values
 * escape backslash, double quote and newline; HELP text escapes backslash
 * and newline. */
static const char *escape_rep(char c, int quote)
{
    if (c == '\\')
        return "\\\\";
    if (c == '\n')
        return "\\n";
    if (quote && c == '"')
        return "\\\"";
    return NULL;
}

static size_t escape(const char *in, char *out, size_t outsz, int quote)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        const char *rep = escape_rep(*p, quote);
        size_t rl = rep ? strlen(rep) : 1;
        if (out && n + rl < outsz)
            memcpy(out + n, rep ? rep : p, rl);
        n += rl;
    }
    if (out && outsz)
        out[n < outsz ? n : outsz - 1] = '\0';
    return n;
}

size_t prom_escape_label_value(const char *in, char *out, size_t outsz)
{
    return escape(in, out, outsz, 1);
}

size_t prom_escape_help(const char *in, char *out, size_t outsz)
{
    return escape(in, out, outsz, 0);
}

static void append_escaped(struct prom_buf *b, const char *in, int quote)
{
    for (const char *p = in; *p; p++) {
        const char *rep = escape_rep(*p, quote);
        if (rep)
            sb_puts(&b->sb, rep);
        else
            sb_putc(&b->sb, *p);
    }
}

void prom_family(struct prom_buf *b, const char *name, const char *type, const char *help)
{
    append_str(b, "# HELP ");
    append_str(b, name);
    append_str(b, " ");
    append_escaped(b, help, 0);
    append_str(b, "\n# TYPE ");
    append_str(b, name);
    append_str(b, " ");
    append_str(b, type);
    append_str(b, "\n");
}

void prom_sample(struct prom_buf *b, const char *name, const struct prom_label *labels,
                 size_t nlabels, double value)
{
    append_str(b, name);
    if (nlabels > 0) {
        append_str(b, "{");
        for (size_t i = 0; i < nlabels; i++) {
            if (i > 0)
                append_str(b, ",");
            append_str(b, labels[i].name);
            append_str(b, "=\"");
            append_escaped(b, labels[i].value, 1);
            append_str(b, "\"");
        }
        append_str(b, "}");
    }
    char num[64];
    if (isnan(value))
        snprintf(num, sizeof(num), " NaN\n");
    else if (isinf(value))
        snprintf(num, sizeof(num), " %sInf\n", value > 0 ? "+" : "-");
    else if (value == floor(value) && fabs(value) < 1e15)
        snprintf(num, sizeof(num), " %.0f\n", value);
    else {
        /* Shortest form that reads back as the same double (0.1, not
         * 0.10000000000000001): try 15, 16, then 17 significant digits. */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(num, sizeof(num), " %.*g\n", prec, value);
            if (strtod(num, NULL) == value)
                break;
        }
    }
    append_str(b, num);
}
