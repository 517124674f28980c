/* Name resolution facts for the supabase and dns groups: the addresses a
 * host name has, and whether this machine has a usable IPv6 route to them
 * (Supabase's direct host is IPv6-only; an IPv4-only server must use the
 * session pooler). */
#ifndef DOCTOR_RESOLVE_H
#define DOCTOR_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

enum v6_route {
    V6_ROUTE_NONE,         /* connect() says the network is unreachable */
    V6_ROUTE_PRIVATE_ONLY, /* routed, but from a ULA/link-local source only */
    V6_ROUTE_GLOBAL,       /* routed from a global address */
};

struct resolved {
    char v4[8][64];
    size_t n4;
    char v6[8][64];
    size_t n6;
    enum v6_route route; /* towards v6[0], when n6 > 0 */
    char v6_source[64];  /* the source address the kernel picked */
    char error[256];     /* resolution failure, or "" */
};

/* getaddrinfo(host) plus, for IPv6 answers, which route this machine has
 * towards the first one (a UDP connect: no packet is sent). */
bool doc_resolve_host(const char *host, struct resolved *out);
/* "1.2.3.4, 2a05::1" */
void doc_resolved_list(const struct resolved *r, char *out, size_t outlen);
/* Whether the address literal a is among r's addresses. */
bool doc_resolved_contains(const struct resolved *r, const char *a);
/* The verdict on a database host: passes (true) unless it has only IPv6
 * addresses and this machine cannot use them, which is judged from the
 * route and, when a connection was tried, whether it failed on the
 * network. msg says what was found either way. */
bool doc_ipv6_only_verdict(const char *host, const struct resolved *r, bool tried,
                           bool network_failure, char *msg, size_t msglen);
/* True when a (IPv6 literal) is fc00::/7 (ULA), fe80::/10 or ::1. */
bool doc_ipv6_is_private(const char *a);

#endif
