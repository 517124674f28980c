/* `queue-exporter --probe[=PATH]`: a tiny HTTP client for container health
 * checks (the runtime image has no curl). GETs PATH from the exporter's own
 * listen address (a wildcard address is reached through loopback). */
#ifndef QE_PROBE_H
#define QE_PROBE_H

#include <stddef.h>

#include "listenaddr.h"

/* Returns the HTTP status code, or -1 with a message in err. */
int qe_probe(const struct listen_addr *listen_addr, const char *path, double timeout_s, char *err,
             size_t errsz);

#endif
