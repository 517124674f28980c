/* Listen addresses, parsed once for every daemon: "ADDR:PORT" with ADDR an
 * IPv4 address, a host name, or an IPv6 address in brackets:
 *   127.0.0.1:9200   [::1]:9200   0.0.0.0:9200   [::]:9200   localhost:9200
 * getaddrinfo(AI_PASSIVE) does the resolving, so the result binds exactly
 * as the kernel understands the address. A wildcard (0.0.0.0, ::) is for
 * binding only: a health probe on the same machine reaches it through the
 * loopback address of the same family (listen_addr_connectable). */
#ifndef COMMON_LISTENADDR_H
#define COMMON_LISTENADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "strbuf.h"

struct listen_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    char text[80]; /* normalized, for logs and URLs: 127.0.0.1:9200 or [::1]:9200 */
};

/* Returns 0, or -1 with a message naming the problem in err. */
int listen_addr_parse(const char *spec, struct listen_addr *out, char *err, size_t errsz);

/* The env-table validator (QUEUE_EXPORTER_LISTEN, REPORT_METRICS_LISTEN). */
bool listen_addr_check(const char *spec, struct strbuf *why);

/* The address to connect to for reaching a listener on a: a wildcard
 * (0.0.0.0, ::) becomes the loopback address of the same family. */
void listen_addr_connectable(const struct listen_addr *a, struct listen_addr *out);

/* The port, in host byte order. */
unsigned listen_addr_port(const struct listen_addr *a);

/* Opens a listening TCP socket (SO_REUSEADDR, IPV6_V6ONLY for IPv6,
 * non-blocking, close-on-exec). Returns the fd, or -1 with err. */
int listen_addr_open(const struct listen_addr *a, int backlog, char *err, size_t errsz);

#endif
