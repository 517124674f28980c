/* The daily report's business figures, built from the schema contract
 * (sql/contract.yaml, src/common/contract.h). Each figure is one scalar
 * subquery naming only the columns the contract declares for it, so a
 * column the database lacks (or the role may not read) blanks that figure
 * alone: the report asks the catalog first, replaces the figures it cannot
 * compute with NULL and says why ("unavailable: incidents.severity does not
 * exist"). The doctor EXPLAINs the same statements (dr_figure_sql). Pure:
 * no I/O. */
#ifndef DAILY_REPORT_BIZSQL_H
#define DAILY_REPORT_BIZSQL_H

#include "contract.h"
#include "strbuf.h"

enum dr_fig {
    DR_FIG_INCIDENTS_24H,
    DR_FIG_INCIDENTS_PREV_24H,
    DR_FIG_INCIDENTS_CRITICAL,
    DR_FIG_INCIDENTS_MAJOR,
    DR_FIG_INCIDENTS_MINOR,
    DR_FIG_FLEET_TOTAL,
    DR_FIG_FLEET_REPORTING,
    DR_FIG_TRANSCRIPTIONS_FAILED_24H,
    DR_FIG_TRANSCRIPTIONS_FAILED_TOTAL,
    DR_FIG_PDF_FAILED_24H,
    DR_FIG_PDF_FAILED_TOTAL,
    DR_NFIGS
};

#define DR_WHY_MAX 200

/* Why each contract column cannot be read ("" = it can), as found in the
 * catalog by the caller; NULL: assume every declared column can. */
typedef char dr_colwhy[CT_NTABLES][CT_NROLES][DR_WHY_MAX];

/* The figure's field name (the data-field of the HTML mail). */
const char *dr_fig_key(enum dr_fig f);
/* The table a figure reads. */
enum ct_table dr_fig_table(enum dr_fig f);

/* Whether figure f can be computed: 0, or -1 with why set, e.g.
 * "unavailable: incidents.severity does not exist" or "unavailable: the
 * contract declares no incidents.severity (tables.incidents.columns)". */
int dr_fig_available(const struct contract *c, const dr_colwhy *cw, enum dr_fig f, char *why,
                     size_t whysz);

/* One figure as a standalone statement ($1 = the reference time in Unix
 * seconds); -1 (why set) when the contract lacks what it needs. */
int dr_figure_sql(const struct contract *c, enum dr_fig f, struct strbuf *sql, char *why,
                  size_t whysz);

/* The report's one statement: DR_NFIGS columns, NULL for each figure that
 * is not available, whose reason is written to why[f] ("" otherwise). */
void dr_business_sql(const struct contract *c, const dr_colwhy *cw, struct strbuf *sql,
                     char why[DR_NFIGS][DR_WHY_MAX]);

#endif
