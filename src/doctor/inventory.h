/* inventory/servers.txt, the same format scripts/render-config.sh reads:
 *   name  address  roles
 * roles: comma list of node | cadvisor | watcher, each optionally :PORT, or
 * role@HOST:PORT for an explicit endpoint. address "self" is Server F,
 * whose exporters run inside the compose network. '#' starts a comment. */
#ifndef DOCTOR_INVENTORY_H
#define DOCTOR_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

struct inv_target {
    char server[64];
    char role[16];  /* node | cadvisor | watcher */
    char host[256]; /* name, IPv4 or [IPv6] (brackets kept) */
    int port;
    bool self;          /* on Server F, inside the compose network */
    bool documentation; /* an RFC 5737 example address left in place */
    int line;
};

struct inventory {
    struct inv_target *targets;
    size_t n;
    size_t nservers;
    char **errors; /* "FILE:LINE: message" */
    size_t nerrors;
};

void doc_inventory_init(struct inventory *inv);
void doc_inventory_free(struct inventory *inv);
/* Parses text; source names the file in error messages. */
void doc_inventory_parse(struct inventory *inv, const char *text, const char *source);
/* Reads path; -1 with err when unreadable. */
int doc_inventory_load(struct inventory *inv, const char *path, char *err, size_t errlen);

#endif
