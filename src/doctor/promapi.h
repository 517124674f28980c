/* Reading Prometheus' HTTP API answers (pure, unit-tested). */
#ifndef DOCTOR_PROMAPI_H
#define DOCTOR_PROMAPI_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct prom_sample {
    char labels[256]; /* "job/server" or the instance, for messages */
    double ts;        /* evaluation time */
    double value;
};

/* Parses an instant-query answer ({"status":"success","data":{"resultType":
 * "vector"|"scalar",...}}). Returns the number of samples stored (up to
 * max), or -1 with err. */
int prom_parse_vector(const char *json, struct prom_sample *out, int max, char *err, size_t errlen);

struct prom_targets {
    size_t total;
    size_t up;
    struct strbuf down; /* "job/server instance: lastError; ..." */
    struct strbuf jobs; /* "node 6, cadvisor 2, ..." */
};

/* Parses /api/v1/targets; false with err when the answer is not one. */
bool prom_parse_targets(const char *json, struct prom_targets *out, char *err, size_t errlen);
void prom_targets_free(struct prom_targets *t);
/* Counts activeAlertmanagers in /api/v1/alertmanagers; -1 on error. */
int prom_count_alertmanagers(const char *json);

#endif
