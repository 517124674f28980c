#include "promtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prom_buf_init(struct prom_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void prom_buf_free(struct prom_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void prom_buf_reset(struct prom_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(struct prom_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void prom_append(struct prom_buf *b, const char *text, size_t len)
{
    if (reserve(b, len) != 0)
        return;
    memcpy(b->data + b->len, text, len);
    b->len += len;
    b->data[b->len] = '\0';
}

static void append_str(struct prom_buf *b, const char *s)
{
    prom_append(b, s, strlen(s));
}

/* Shared escaper: label values escape \ " and newline; HELP escapes \ and newline. */
static size_t escape(const char *in, char *out, size_t outsz, int quote)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        const char *rep = NULL;
        char one[2] = {*p, '\0'};
        if (*p == '\\')
            rep = "\\\\";
        else if (*p == '\n')
            rep = "\\n";
        else if (quote && *p == '"')
            rep = "\\\"";
        else
            rep = one;
        size_t rl = strlen(rep);
        if (out && n + rl < outsz)
            memcpy(out + n, rep, rl);
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
    size_t need = escape(in, NULL, 0, quote);
    if (reserve(b, need) != 0)
        return;
    escape(in, b->data + b->len, need + 1, quote);
    b->len += need;
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
