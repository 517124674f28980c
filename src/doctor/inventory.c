#include "inventory.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"
#include "util.h"
#include "validate.h"

/* Bytes of an inventory file read at most. */
#define INVENTORY_MAX_BYTES (1024 * 1024)

void doc_inventory_init(struct inventory *inv)
{
    memset(inv, 0, sizeof(*inv));
}

void doc_inventory_free(struct inventory *inv)
{
    free(inv->targets);
    for (size_t i = 0; i < inv->nerrors; i++)
        free(inv->errors[i]);
    free(inv->errors);
    memset(inv, 0, sizeof(*inv));
}

__attribute__((format(printf, 4, 5))) static void err(struct inventory *inv, const char *source,
                                                      int line, const char *fmt, ...)
{
    struct strbuf b;
    sb_init(&b);
    sb_printf(&b, "%s:%d: ", source, line);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&b, fmt, ap);
    va_end(ap);
    inv->errors = doc_xrealloc(inv->errors, inv->nerrors + 1, sizeof(char *));
    inv->errors[inv->nerrors++] = doc_sb_xtake(&b);
}

static bool valid_address(const char *a)
{
    if (!strcmp(a, "self"))
        return true;
    if (a[0] == '[') {
        size_t n = strlen(a);
        if (n < 3 || a[n - 1] != ']')
            return false;
        char inner[64];
        snprintf(inner, sizeof(inner), "%.*s", (int)(n - 2), a + 1);
        return valid_ipv6(inner);
    }
    return valid_ipv4(a) || valid_hostname(a);
}

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

static int default_port(const char *role)
{
    if (!strcmp(role, "node"))
        return 9100;
    if (!strcmp(role, "cadvisor"))
        return 8080;
    if (!strcmp(role, "watcher"))
        return 9202;
    return 0;
}

/* Splits "HOST:PORT" / "[v6]:PORT". */
static bool split_endpoint(const char *ep, char *host, size_t hostlen, int *port)
{
    const char *colon = ep[0] == '[' ? strstr(ep, "]:") : strrchr(ep, ':');
    if (!colon)
        return false;
    if (ep[0] == '[')
        colon++;
    if ((size_t)(colon - ep) >= hostlen || colon == ep)
        return false;
    snprintf(host, hostlen, "%.*s", (int)(colon - ep), ep);
    return valid_port(colon + 1, port) && valid_address(host) && strcmp(host, "self") != 0;
}

static void add_target(struct inventory *inv, const struct inv_target *t)
{
    inv->targets = doc_xrealloc(inv->targets, inv->n + 1, sizeof(*inv->targets));
    inv->targets[inv->n++] = *t;
}

/* One role entry: "node", "node:9101" or "node@HOST:PORT", into t (role
 * name cut at ':' or '@'). false when the entry is wrong (reported). */
static bool role_target(struct inventory *inv, const char *source, int lineno, const char *name,
                        const char *addr, bool self, char *r, struct inv_target *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->server, sizeof(t->server), "%s", name);
    t->line = lineno;
    t->self = self;
    char *at = strchr(r, '@');
    char *colon = strchr(r, ':');
    if (at) {
        *at = '\0';
        if (!split_endpoint(at + 1, t->host, sizeof(t->host), &t->port)) {
            err(inv, source, lineno, "endpoint \"%s\" must be HOST:PORT", at + 1);
            return false;
        }
        return true;
    }
    if (colon)
        *colon = '\0';
    if (self) {
        err(inv, source, lineno, "address \"self\" needs explicit endpoints (role@HOST:PORT)");
        return false;
    }
    snprintf(t->host, sizeof(t->host), "%s", addr);
    t->port = default_port(r);
    if (colon && !valid_port(colon + 1, &t->port)) {
        err(inv, source, lineno, "port \"%s\" of role %s is not 1-65535", colon + 1, r);
        return false;
    }
    return true;
}

/* Server names seen so far (every one: a duplicate after the 256th went
 * unnoticed). */
struct names {
    char (*v)[64];
    size_t n, cap;
};

static void parse_line(struct inventory *inv, char *line, int lineno, const char *source,
                       struct names *names)
{
    char *cols[4];
    int ncols = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        if (tok[0] == '#')
            break;
        if (ncols < 4)
            cols[ncols] = tok;
        ncols++;
    }
    if (ncols == 0)
        return;
    if (ncols != 3) {
        err(inv, source, lineno, "expected 3 columns (name address roles), found %d", ncols);
        return;
    }
    const char *name = cols[0], *addr = cols[1];
    if (!valid_name(name) || strlen(name) >= 64) {
        err(inv, source, lineno, "server name \"%s\" may only contain letters, digits, - and _",
            name);
        return;
    }
    for (size_t i = 0; i < names->n; i++)
        if (!strcmp(names->v[i], name)) {
            err(inv, source, lineno, "server \"%s\" is listed twice", name);
            return;
        }
    if (names->n == names->cap) {
        names->cap = names->cap ? names->cap * 2 : 64;
        names->v = doc_xrealloc(names->v, names->cap, sizeof(*names->v));
    }
    snprintf(names->v[names->n++], 64, "%s", name);
    inv->nservers++;
    if (!valid_address(addr)) {
        err(inv, source, lineno,
            "address \"%s\" is not an IPv4 address, [IPv6] address or host "
            "name",
            addr);
        return;
    }
    bool self = !strcmp(addr, "self");
    char *rsave = NULL;
    bool seen_node = false, seen_cadvisor = false, seen_watcher = false;
    if (!cols[2][strspn(cols[2], ",")]) {
        err(inv, source, lineno, "no role in \"%s\" (expected node, cadvisor and/or watcher)",
            cols[2]);
        return;
    }
    for (char *r = strtok_r(cols[2], ",", &rsave); r; r = strtok_r(NULL, ",", &rsave)) {
        struct inv_target t;
        if (!role_target(inv, source, lineno, name, addr, self, r, &t))
            continue;
        if (!default_port(r)) {
            err(inv, source, lineno, "unknown role \"%s\" (known: node, cadvisor, watcher)", r);
            continue;
        }
        bool *seen = !strcmp(r, "node")      ? &seen_node
                     : !strcmp(r, "watcher") ? &seen_watcher
                                             : &seen_cadvisor;
        if (*seen) {
            err(inv, source, lineno, "role %s listed twice for server %s", r, name);
            continue;
        }
        *seen = true;
        snprintf(t.role, sizeof(t.role), "%s", r);
        t.documentation = placeholder_kind(t.host) != NULL;
        add_target(inv, &t);
    }
}

void doc_inventory_parse(struct inventory *inv, const char *text, const char *source)
{
    struct names names = {0};
    const char *p = text;
    /* A byte-order mark, as some Windows editors write one. */
    if (!strncmp(p, "\xef\xbb\xbf", 3))
        p += 3;
    int lineno = 0;
    while (*p) {
        lineno++;
        size_t n = strcspn(p, "\n");
        char *line = doc_xstrndup(p, n);
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[l - 1] = '\0';
        parse_line(inv, line, lineno, source, &names);
        free(line);
        p += n;
        if (*p == '\n')
            p++;
    }
    free(names.v);
}

int doc_inventory_load(struct inventory *inv, const char *path, char *errbuf, size_t errlen)
{
    struct strbuf b;
    sb_init(&b);
    /* A file that cannot be opened, or one larger than INVENTORY_MAX_BYTES
     * (cutting it silently dropped servers), is an error; a read error keeps
     * what was read, and the parser reports what it finds there. */
    enum read_file_result rc = doc_read_file(path, INVENTORY_MAX_BYTES, &b, errbuf, errlen);
    if (rc == READ_FILE_TOO_LARGE)
        snprintf(errbuf, errlen, "%s is larger than %d bytes: not an inventory", path,
                 INVENTORY_MAX_BYTES);
    if (rc == READ_FILE_CANNOT_OPEN || rc == READ_FILE_TOO_LARGE) {
        sb_free(&b);
        return -1;
    }
    doc_inventory_parse(inv, sb_str(&b), path);
    sb_free(&b);
    return 0;
}
