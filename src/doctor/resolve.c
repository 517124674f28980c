#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool doc_ipv6_is_private(const char *a)
{
    struct in6_addr x;
    if (inet_pton(AF_INET6, a, &x) != 1)
        return false;
    if ((x.s6_addr[0] & 0xfe) == 0xfc) /* fc00::/7 */
        return true;
    if (x.s6_addr[0] == 0xfe && (x.s6_addr[1] & 0xc0) == 0x80) /* fe80::/10 */
        return true;
    return IN6_IS_ADDR_LOOPBACK(&x);
}

static enum v6_route probe_v6_route(const struct sockaddr_in6 *dst, char *src, size_t srclen)
{
    src[0] = '\0';
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return V6_ROUTE_NONE; /* no IPv6 in this kernel */
    struct sockaddr_in6 to = *dst;
    if (!to.sin6_port)
        to.sin6_port = htons(5432);
    /* Connecting a UDP socket only selects a route and a source address. */
    if (connect(fd, (const struct sockaddr *)&to, sizeof(to)) != 0) {
        close(fd);
        return V6_ROUTE_NONE;
    }
    struct sockaddr_in6 me;
    socklen_t ml = sizeof(me);
    enum v6_route r = V6_ROUTE_GLOBAL;
    if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0) {
        inet_ntop(AF_INET6, &me.sin6_addr, src, (socklen_t)srclen);
        char dsts[64];
        inet_ntop(AF_INET6, &to.sin6_addr, dsts, sizeof(dsts));
        /* A private source towards a public destination: no IPv6 internet
         * (NAT66 is rare enough on servers to be treated as absent). */
        if (doc_ipv6_is_private(src) && !doc_ipv6_is_private(dsts))
            r = V6_ROUTE_PRIVATE_ONLY;
    }
    close(fd);
    return r;
}

bool doc_resolve_host(const char *host, struct resolved *out)
{
    memset(out, 0, sizeof(*out));
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(out->error, sizeof(out->error), "%s", gai_strerror(rc));
        return false;
    }
    bool route_done = false;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        char buf[64];
        if (a->ai_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)a->ai_addr)->sin_addr, buf, sizeof(buf));
            bool dup = false;
            for (size_t i = 0; i < out->n4; i++)
                dup |= !strcmp(out->v4[i], buf);
            if (!dup && out->n4 < 8)
                snprintf(out->v4[out->n4++], sizeof(out->v4[0]), "%s", buf);
        } else if (a->ai_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a->ai_addr;
            inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf));
            bool dup = false;
            for (size_t i = 0; i < out->n6; i++)
                dup |= !strcmp(out->v6[i], buf);
            if (!dup && out->n6 < 8)
                snprintf(out->v6[out->n6++], sizeof(out->v6[0]), "%s", buf);
            if (!route_done) {
                out->route = probe_v6_route(s6, out->v6_source, sizeof(out->v6_source));
                route_done = true;
            }
        }
    }
    freeaddrinfo(res);
    if (!out->n4 && !out->n6) {
        snprintf(out->error, sizeof(out->error), "no IPv4 or IPv6 address");
        return false;
    }
    return true;
}

void doc_resolved_list(const struct resolved *r, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n4 + r->n6; i++) {
        const char *a = i < r->n4 ? r->v4[i] : r->v6[i - r->n4];
        int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", a);
        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
    }
}

bool doc_resolved_contains(const struct resolved *r, const char *a)
{
    /* Compare binary forms: "2001:DB8::1" and "2001:db8:0::1" are equal. */
    unsigned char want[16], have[16];
    if (inet_pton(AF_INET, a, want) == 1) {
        for (size_t i = 0; i < r->n4; i++)
            if (inet_pton(AF_INET, r->v4[i], have) == 1 && !memcmp(want, have, 4))
                return true;
        return false;
    }
    if (inet_pton(AF_INET6, a, want) == 1) {
        for (size_t i = 0; i < r->n6; i++)
            if (inet_pton(AF_INET6, r->v6[i], have) == 1 && !memcmp(want, have, 16))
                return true;
    }
    return false;
}

bool doc_ipv6_only_verdict(const char *host, const struct resolved *r, bool tried,
                           bool network_failure, char *msg, size_t msglen)
{
    char list[600];
    doc_resolved_list(r, list, sizeof(list));
    if (r->n4 > 0) {
        snprintf(msg, msglen, "%s resolves to %s", host, list);
        return true;
    }
    if (r->route == V6_ROUTE_NONE) {
        snprintf(msg, msglen, "%s has only IPv6 addresses (%s) and this server has no IPv6 route",
                 host, list);
        return false;
    }
    if (tried && network_failure) {
        if (r->route == V6_ROUTE_PRIVATE_ONLY)
            snprintf(msg, msglen,
                     "%s has only IPv6 addresses (%s); this server has only a private IPv6 "
                     "address (%s) and the connection failed",
                     host, list, r->v6_source);
        else
            snprintf(msg, msglen,
                     "%s has only IPv6 addresses (%s) and the connection over IPv6 failed", host,
                     list);
        return false;
    }
    snprintf(msg, msglen, "%s resolves to IPv6 only (%s); reachable over IPv6", host, list);
    return true;
}
