/* The dashboards' SQL generated from the schema contract: every SQL target
 * of grafana/dashboards/ has a template in sql/dashboard-sql.json, keyed by
 * dashboard uid and "TITLE (REFID)", whose {{TABLE}}, {{TABLE.ROLE}} and
 * {{TABLE.VALUE}} placeholders the contract fills in. A template is a list
 * of variants: the first whose "if" (an assumption of the contract, e.g.
 * fleet_positions.one_row_per_vehicle) holds and whose columns are all
 * declared is used, so a contract that drops incidents.severity or says
 * fleet_positions keeps many rows per vehicle gets a query written for
 * that. With no usable variant the panel is unavailable, not broken.
 *
 * `build/doctor --render-dashboards` rewrites only the rawSql strings of
 * the dashboard files (every other byte stays), so the committed
 * dashboards are exactly the rendering of the committed contract (a static
 * test proves it); the supabase checks EXPLAIN the rendering of the
 * contract they are given. Pure: no I/O. */
#ifndef DOCTOR_DASHGEN_H
#define DOCTOR_DASHGEN_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "contract.h"
#include "strbuf.h"

/* The SQL of target "TITLE (REFID)" of dashboard uid. Returns 0 with *sql
 * (malloc'd) set; 1 when no variant fits the contract (*sql is then a
 * one-row SELECT saying so and *why says which key is missing); -1 with
 * err when there is no template or it is malformed. */
int doc_dashgen_sql(const cJSON *templates, const struct contract *c, const char *uid,
                    const char *label, char **sql, char *why, size_t whysz, char *err,
                    size_t errsz);

/* Renders one dashboard file's text into out: the same bytes except each
 * SQL target's rawSql string. Unavailable panels are listed in notes (one
 * line each). Returns 0, or -1 with err ("uid / title (A): reason"). */
int doc_dashgen_render(const char *text, const cJSON *templates, const struct contract *c,
                       struct strbuf *out, struct strbuf *notes, char *err, size_t errsz);

#endif
