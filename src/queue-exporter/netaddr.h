/* "ADDR:PORT" listen addresses: 127.0.0.1:9200, [::1]:9200, 0.0.0.0:9200,
 * localhost:9200. */
#ifndef QE_NETADDR_H
#define QE_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

struct qe_netaddr {
    struct sockaddr_storage ss;
    socklen_t len;
    char text[80]; /* normalized, for logs: 127.0.0.1:9200 or [::1]:9200 */
};

/* Returns 0, or -1 with a message naming the problem in err. */
int qe_netaddr_parse(const char *spec, struct qe_netaddr *out, char *err, size_t errsz);

/* The address to connect to for reaching a listener on a: a wildcard
 * (0.0.0.0, ::) becomes the loopback address of the same family. */
void qe_netaddr_connectable(const struct qe_netaddr *a, struct qe_netaddr *out);

/* Opens a listening TCP socket (SO_REUSEADDR, IPV6_V6ONLY for IPv6,
 * non-blocking, close-on-exec). Returns the fd, or -1 with err. */
int qe_netaddr_listen(const struct qe_netaddr *a, int backlog, char *err, size_t errsz);

#endif
