/* Grafana's SQL data source macros and template variables, expanded the
 * way Grafana (and tests/dashboards/dashq.py, which the dashboard tests
 * use) expands them, so the doctor can EXPLAIN each dashboard SQL target
 * against the live database before Grafana ever runs it. Only what the
 * PostgreSQL data source defines: $__timeFilter, $__timeGroup(Alias),
 * $__timeFrom/To, $__time, $__timeEpoch, $__unixEpoch*, $__interval(_ms),
 * and $var / ${var} / [[var]] from the dashboard's templating list. Pure. */
#ifndef DOCTOR_SQLEXPAND_H
#define DOCTOR_SQLEXPAND_H

#include <stddef.h>

#include "strbuf.h"

struct grafana_var {
    const char *name;
    const char *value; /* as Grafana writes it into SQL (quotes already doubled) */
};

struct grafana_range {
    long from_s, to_s; /* Unix seconds */
    long interval_ms;  /* $__interval */
};

/* Expands raw into out. Returns 0, or -1 with err naming the macro. */
int doc_grafana_expand(const char *raw, const struct grafana_var *vars, size_t nvars,
                       const struct grafana_range *range, struct strbuf *out, char *err,
                       size_t errsz);

#endif
