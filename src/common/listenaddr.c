#include "listenaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void format_text(struct listen_addr *a)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        port = ntohs(s6->sin6_port);
        snprintf(a->text, sizeof(a->text), "[%s]:%u", host, port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        port = ntohs(s4->sin_port);
        snprintf(a->text, sizeof(a->text), "%s:%u", host, port);
    }
}

int listen_addr_parse(const char *spec, struct listen_addr *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    char host[256];
    const char *port;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errsz, "listen address '%s': expected [IPv6]:PORT", spec);
            return -1;
        }
        size_t n = (size_t)(close - spec - 1);
        if (n == 0 || n >= sizeof(host)) {
            snprintf(err, errsz, "listen address '%s': bad IPv6 address", spec);
            return -1;
        }
        memcpy(host, spec + 1, n);
        host[n] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon || colon == spec || strchr(spec, ':') != colon) {
            snprintf(err, errsz,
                     "listen address '%s': expected ADDR:PORT (IPv6 as [ADDR]:PORT), e.g. "
                     "127.0.0.1:9200",
                     spec);
            return -1;
        }
        size_t n = (size_t)(colon - spec);
        if (n >= sizeof(host)) {
            snprintf(err, errsz, "listen address '%s': host name too long", spec);
            return -1;
        }
        memcpy(host, spec, n);
        host[n] = '\0';
        port = colon + 1;
    }
    char *end = NULL;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 || p < 1 || p > 65535) {
        snprintf(err, errsz, "listen address '%s': port must be 1-65535", spec);
        return -1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    hints.ai_family = spec[0] == '[' ? AF_INET6 : AF_UNSPEC;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0 || !res) {
        snprintf(err, errsz, "listen address '%s': cannot resolve '%s': %s", spec, host,
                 gai_strerror(gai));
        return -1;
    }
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    format_text(out);
    return 0;
}

void listen_addr_connectable(const struct listen_addr *a, struct listen_addr *out)
{
    *out = *a;
    if (a->ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
        if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
            s6->sin6_addr = in6addr_loopback;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
        if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
            s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    format_text(out);
}

int listen_addr_open(const struct listen_addr *a, int backlog, char *err, size_t errsz)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errsz, "socket: %s", strerror(errno));
        return -1;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (a->ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
        snprintf(err, errsz, "cannot listen on %s: bind: %s", a->text, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, backlog) != 0) {
        snprintf(err, errsz, "cannot listen on %s: listen: %s", a->text, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

bool listen_addr_check(const char *spec, struct strbuf *why)
{
    struct listen_addr a;
    char err[300];
    if (listen_addr_parse(spec, &a, err, sizeof(err)) == 0)
        return true;
    /* err starts with "listen address 'SPEC': "; keep the reason. */
    const char *reason = strstr(err, "': ");
    sb_puts(why, reason ? reason + 3 : err);
    return false;
}

unsigned listen_addr_port(const struct listen_addr *a)
{
    if (a->ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}
