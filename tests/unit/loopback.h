/* Loopback sockets for unit tests that need a peer: a TCP socket bound
 * to 127.0.0.1 on a port the kernel picks. Listening, it is a server the
 * test controls (fakesmtp.h, a silent peer); not listening, its port
 * refuses connections for as long as the test holds it. Static: each test
 * program has its own. */
#ifndef TESTS_UNIT_LOOPBACK_H
#define TESTS_UNIT_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* Returns the socket (port in *port), or -1. */
static int loopback_socket(int listening, unsigned *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        (listening && listen(s, 8) != 0) || getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return s;
}

#endif
