/* Fills a report from its three sources. A source that is unset or fails
 * marks its sections unavailable (with the reason); it never stops the
 * others. The PromQL below is the report's definition of each figure. */
#ifndef DAILY_REPORT_COLLECT_H
#define DAILY_REPORT_COLLECT_H

#include "report.h"
#include "settings.h"

/* Node job filesystems that are real disks (not tmpfs, container layers...). */
#define Q_FS_FILTER                                                                                \
    "fstype!~\"tmpfs|devtmpfs|ramfs|squashfs|overlay|nsfs|autofs|iso9660|fuse.*\","                \
    "mountpoint!~\"/(run|var/lib/docker|snap)($|/.*)\""
#define Q_UP "max by (server) (up{job=\"node\"})"
#define Q_CPU                                                                                      \
    "100 * (1 - avg by (server) (rate(node_cpu_seconds_total{job=\"node\",mode=\"idle\"}[5m])))"
#define Q_RAM                                                                                      \
    "100 * (1 - sum by (server) (node_memory_MemAvailable_bytes{job=\"node\"})"                    \
    " / sum by (server) (node_memory_MemTotal_bytes{job=\"node\"}))"
#define Q_DISK                                                                                     \
    "max by (server) (100 * (1 - node_filesystem_avail_bytes{job=\"node\"," Q_FS_FILTER "}"        \
    " / node_filesystem_size_bytes{job=\"node\"," Q_FS_FILTER "}))"
/* 24 h maxima: a 1-minute subquery, so short peaks are not averaged away. */
#define Q_MAX_24H(q) "max_over_time((" q ")[24h:1m])"
#define Q_QUEUE_DEPTH "sum by (queue, status) (supabase_queue_depth)"
#define Q_QUEUE_STUCK "sum by (queue) (supabase_queue_stuck_jobs)"
#define Q_QUEUE_FAILED "sum by (queue) (supabase_queue_failed_last_24h)"
#define Q_QUEUE_CHART "sum by (queue) (supabase_queue_depth{status=\"pending\"})"

/* Bounds on the work of one report (the container has 64 MiB): answers
 * of at most 2 MiB and 5000 series per query; tables list the worst
 * REPORT_TABLE_ROWS rows (report.h) and say how many more there are; charts draw the
 * 16 highest series (topk in the query, so Prometheus does the cutting). */
#define REPORT_MAX_BODY (2u * 1024u * 1024u)
#define REPORT_MAX_SERIES 5000
#define CHART_MAX_LINES 16
#define Q_TOPK(q) "topk(16, " q ")"

#define CHART_WIDTH 640
#define CHART_HEIGHT 260
#define CHART_STEP_S 120.0

void dr_collect_report(const struct config *cfg, struct report *r);

#endif
