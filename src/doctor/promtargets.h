/* Reading the Prometheus API answers only the doctor asks for: the scrape
 * targets (/api/v1/targets) and the Alertmanagers Prometheus sends to
 * (/api/v1/alertmanagers). Pure, unit-tested. Queries go through
 * src/common/promapi.h. */
#ifndef DOCTOR_PROMTARGETS_H
#define DOCTOR_PROMTARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct prom_targets {
    size_t total;
    size_t up;
    struct strbuf down; /* "job/server instance: lastError; ..." */
    struct strbuf jobs; /* "node 6, cadvisor 2, ..." */
};

/* Parses /api/v1/targets; false with err when the answer is not one. */
bool doc_prom_parse_targets(const char *json, struct prom_targets *out, char *err, size_t errlen);
void doc_prom_targets_free(struct prom_targets *t);
/* Counts activeAlertmanagers in /api/v1/alertmanagers; -1 on error. */
int doc_prom_count_alertmanagers(const char *json);

#endif
