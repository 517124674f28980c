#include "bizsql.h"

#include <stdio.h>
#include <string.h>

#define R(x) (1u << (x))

struct fig_spec {
    const char *key;
    enum ct_table table;
    unsigned roles;    /* columns needed */
    enum ct_value val; /* value compared with, or CT_NVALUES */
};

/* Failures are counted by updated_at, the moment a job moved to 'failed';
 * GPS coverage follows the dashboards: updated in the last 10 minutes. */
static const struct fig_spec figs[DR_NFIGS] = {
    {"incidents_24h", CT_INCIDENTS, R(CT_CREATED_AT), CT_NVALUES},
    {"incidents_prev_24h", CT_INCIDENTS, R(CT_CREATED_AT), CT_NVALUES},
    {"incidents_24h_critical", CT_INCIDENTS, R(CT_CREATED_AT) | R(CT_SEVERITY), CT_CRITICAL},
    {"incidents_24h_major", CT_INCIDENTS, R(CT_CREATED_AT) | R(CT_SEVERITY), CT_MAJOR},
    {"incidents_24h_minor", CT_INCIDENTS, R(CT_CREATED_AT) | R(CT_SEVERITY), CT_MINOR},
    {"fleet_total", CT_FLEET, 0, CT_NVALUES},
    {"fleet_reporting", CT_FLEET, R(CT_UPDATED_AT), CT_NVALUES},
    {"transcriptions_failed_24h", CT_TRANSCRIPTIONS, R(CT_STATUS) | R(CT_UPDATED_AT), CT_FAILED},
    {"transcriptions_failed_total", CT_TRANSCRIPTIONS, R(CT_STATUS), CT_FAILED},
    {"pdf_failed_24h", CT_PDF, R(CT_STATUS) | R(CT_UPDATED_AT), CT_FAILED},
    {"pdf_failed_total", CT_PDF, R(CT_STATUS), CT_FAILED},
};

const char *dr_fig_key(enum dr_fig f)
{
    return f < DR_NFIGS ? figs[f].key : "?";
}

enum ct_table dr_fig_table(enum dr_fig f)
{
    return figs[f].table;
}

/* The columns a figure needs: its own, plus vehicle_id for the fleet when
 * a vehicle may have several rows. */
static unsigned needed_roles(const struct contract *c, enum dr_fig f)
{
    unsigned roles = figs[f].roles;
    if (figs[f].table == CT_FLEET && !c->t[CT_FLEET].one_row_per_vehicle)
        roles |= R(CT_VEHICLE_ID);
    return roles;
}

int dr_fig_available(const struct contract *c, const dr_colwhy *cw, enum dr_fig f, char *why,
                     size_t whysz)
{
    const struct fig_spec *s = &figs[f];
    const char *tkey = ct_table_key(s->table);
    unsigned roles = needed_roles(c, f);
    for (int r = 0; r < CT_NROLES; r++) {
        if (!(roles & R(r)))
            continue;
        if (!ct_col(c, s->table, (enum ct_role)r)) {
            snprintf(why, whysz,
                     "unavailable: the contract declares no %s.%s (sql/contract.yaml "
                     "tables.%s.columns.%s)",
                     tkey, ct_role_key((enum ct_role)r), tkey, ct_role_key((enum ct_role)r));
            return -1;
        }
        if (cw && (*cw)[s->table][r][0]) {
            snprintf(why, whysz, "unavailable: %s", (*cw)[s->table][r]);
            return -1;
        }
    }
    if (s->val != CT_NVALUES && !ct_val(c, s->table, s->val)) {
        snprintf(why, whysz,
                 "unavailable: the contract declares no %s value '%s' (sql/contract.yaml "
                 "tables.%s.values.%s)",
                 tkey, ct_value_key(s->val), tkey, ct_value_key(s->val));
        return -1;
    }
    why[0] = '\0';
    return 0;
}

/* The figure's scalar subquery; r.t is the reference time. */
static void fig_expr(const struct contract *c, enum dr_fig f, struct strbuf *o)
{
    const struct fig_spec *s = &figs[f];
    const struct ct_table_decl *d = &c->t[s->table];
    const char *created = d->column[CT_CREATED_AT], *updated = d->column[CT_UPDATED_AT];
    const char *status = d->column[CT_STATUS], *sev = d->column[CT_SEVERITY];
    const char *val = s->val != CT_NVALUES ? d->value[s->val] : "";
    switch (f) {
    case DR_FIG_INCIDENTS_24H:
    case DR_FIG_INCIDENTS_CRITICAL:
    case DR_FIG_INCIDENTS_MAJOR:
    case DR_FIG_INCIDENTS_MINOR:
        sb_printf(o, "(SELECT count(*) FROM %s, r WHERE ", d->name);
        if (f != DR_FIG_INCIDENTS_24H)
            sb_printf(o, "%s = '%s' AND ", sev, val);
        sb_printf(o, "%s > r.t - interval '24 hours' AND %s <= r.t)", created, created);
        break;
    case DR_FIG_INCIDENTS_PREV_24H:
        sb_printf(o,
                  "(SELECT count(*) FROM %s, r WHERE %s > r.t - interval '48 hours' "
                  "AND %s <= r.t - interval '24 hours')",
                  d->name, created, created);
        break;
    case DR_FIG_FLEET_TOTAL:
        if (d->one_row_per_vehicle)
            sb_printf(o, "(SELECT count(*) FROM %s)", d->name);
        else
            sb_printf(o, "(SELECT count(DISTINCT %s) FROM %s)", d->column[CT_VEHICLE_ID], d->name);
        break;
    case DR_FIG_FLEET_REPORTING:
        sb_printf(o, "(SELECT count(%s%s) FROM %s, r WHERE %s > r.t - interval '10 minutes')",
                  d->one_row_per_vehicle ? "*" : "DISTINCT ",
                  d->one_row_per_vehicle ? "" : d->column[CT_VEHICLE_ID], d->name, updated);
        break;
    case DR_FIG_TRANSCRIPTIONS_FAILED_24H:
    case DR_FIG_PDF_FAILED_24H:
        sb_printf(o,
                  "(SELECT count(*) FROM %s, r WHERE %s = '%s' AND %s > r.t - interval "
                  "'24 hours' AND %s <= r.t)",
                  d->name, status, val, updated, updated);
        break;
    default: /* the failed totals */
        sb_printf(o, "(SELECT count(*) FROM %s WHERE %s = '%s')", d->name, status, val);
        break;
    }
}

static const char WITH_T[] = "WITH r AS (SELECT to_timestamp($1::double precision) AS t)\nSELECT";

int dr_figure_sql(const struct contract *c, enum dr_fig f, struct strbuf *sql, char *why,
                  size_t whysz)
{
    if (dr_fig_available(c, NULL, f, why, whysz) != 0)
        return -1;
    sb_printf(sql, "%s ", WITH_T);
    fig_expr(c, f, sql);
    sb_printf(sql, " AS %s", figs[f].key);
    return 0;
}

void dr_business_sql(const struct contract *c, const dr_colwhy *cw, struct strbuf *sql,
                     char why[DR_NFIGS][DR_WHY_MAX])
{
    sb_puts(sql, WITH_T);
    for (int f = 0; f < DR_NFIGS; f++) {
        sb_puts(sql, f ? ",\n " : "\n ");
        if (dr_fig_available(c, cw, (enum dr_fig)f, why[f], DR_WHY_MAX) == 0)
            fig_expr(c, (enum dr_fig)f, sql);
        else
            sb_puts(sql, "NULL::bigint");
        sb_printf(sql, " AS %s", figs[f].key);
    }
}
