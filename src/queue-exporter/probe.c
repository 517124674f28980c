#include "probe.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        double left = deadline - qe_mono_now();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)ceil(left * 1000));
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

int qe_probe(const struct listen_addr *listen_addr, const char *path, double timeout_s, char *err,
             size_t errsz)
{
    struct listen_addr a;
    listen_addr_connectable(listen_addr, &a);
    double deadline = qe_mono_now() + timeout_s;
    int fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errsz, "socket: %s", strerror(errno));
        return -1;
    }
    int status = -1;
    if (connect(fd, (const struct sockaddr *)&a.ss, a.len) != 0 && errno != EINPROGRESS) {
        snprintf(err, errsz, "connect to %s: %s", a.text, strerror(errno));
        goto out;
    }
    if (wait_fd(fd, POLLOUT, deadline) <= 0) {
        snprintf(err, errsz, "connect to %s: timed out", a.text);
        goto out;
    }
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
        snprintf(err, errsz, "connect to %s: %s", a.text, strerror(soerr));
        goto out;
    }
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: queue-exporter-probe\r\n\r\n",
                     path, a.text);
    if (n < 0 || (size_t)n >= sizeof(req)) {
        snprintf(err, errsz, "probe path too long");
        goto out;
    }
    size_t sent = 0;
    while (sent < (size_t)n) {
        ssize_t w = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline) <= 0) {
                snprintf(err, errsz, "send to %s: timed out", a.text);
                goto out;
            }
            continue;
        }
        if (w < 0) {
            snprintf(err, errsz, "send to %s: %s", a.text, strerror(errno));
            goto out;
        }
        sent += (size_t)w;
    }
    /* Only the status line matters: "HTTP/1.x NNN ...". */
    char buf[64] = "";
    size_t got = 0;
    while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
        if (wait_fd(fd, POLLIN, deadline) <= 0) {
            snprintf(err, errsz, "no answer from %s within %.1f s", a.text, timeout_s);
            goto out;
        }
        ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    int code = 0;
    if (sscanf(buf, "HTTP/%*d.%*d %3d", &code) != 1 || code < 100 || code > 599) {
        snprintf(err, errsz, "%s answered something that is not HTTP", a.text);
        goto out;
    }
    status = code;
out:
    close(fd);
    return status;
}
