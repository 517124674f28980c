#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dr_report_init(struct report *r, time_t at)
{
    memset(r, 0, sizeof(*r));
    r->at = at;
}

void dr_report_free(struct report *r)
{
    for (size_t i = 0; i < r->nservers; i++)
        free(r->servers[i].name);
    free(r->servers);
    for (size_t i = 0; i < r->nqueues; i++)
        free(r->queues[i].name);
    free(r->queues);
    dr_am_alerts_free(&r->alerts);
    free(r->cpu_chart.data);
    free(r->queue_chart.data);
    memset(r, 0, sizeof(*r));
}

int dr_report_unavailable_count(const struct report *r)
{
    int n = 0;
    for (int i = 0; i < SEC_COUNT; i++)
        if (!r->sec[i].available)
            n++;
    return n;
}

const char *dr_section_name(enum section_id id)
{
    switch (id) {
    case SEC_INFRA:
        return "infrastructure";
    case SEC_QUEUES:
        return "queues";
    case SEC_BUSINESS:
        return "business";
    case SEC_ALERTS:
        return "alerts";
    case SEC_COUNT:
        break;
    }
    return "?";
}

void dr_report_set_unavailable(struct report *r, enum section_id id, const char *fmt, ...)
{
    r->sec[id].available = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->sec[id].reason, sizeof(r->sec[id].reason), fmt, ap);
    va_end(ap);
}
