/* Exporter configuration: built-in defaults for the two plan tables, plus an
 * optional INI file (parsed by libinih) that adds queues or renames tables,
 * columns and status values.
 *
 *   [exporter]                       global settings (all optional)
 *   [queue NAME]                     one queue; NAME is the `queue` label
 *
 * A [queue NAME] section whose NAME is a built-in queue changes that queue;
 * any other NAME adds one. See sql/queue-exporter.example.ini. */
#ifndef QE_CONFIG_H
#define QE_CONFIG_H

#include <stddef.h>

struct contract; /* contract.h */
struct strbuf;   /* strbuf.h */

#define QE_MAX_QUEUES 32
/* pending, processing, failed + extra statuses reported in the depth metric */
#define QE_MAX_DEPTH_STATUSES 16
/* PostgreSQL truncates identifiers to 63 bytes; status values share the cap. */
#define QE_NAME_MAX 64
#define QE_ERR_MAX 512

struct qe_queue {
    char name[QE_NAME_MAX];   /* the `queue` label value */
    char schema[QE_NAME_MAX]; /* empty: unqualified, resolved by search_path */
    char table[QE_NAME_MAX];
    char status_column[QE_NAME_MAX];
    char created_column[QE_NAME_MAX];
    char updated_column[QE_NAME_MAX];
    char pending[QE_NAME_MAX];
    char processing[QE_NAME_MAX];
    char completed[QE_NAME_MAX];
    char failed[QE_NAME_MAX];
    /* Depth is reported for pending, processing, failed, then these. */
    char extra_statuses[QE_MAX_DEPTH_STATUSES - 3][QE_NAME_MAX];
    size_t n_extra;
    double stuck_after_seconds; /* < 0: inherit [exporter] stuck_after_seconds */
    int enabled;
    int line; /* line of the [queue] header in the file, 0 for a built-in */
};

struct qe_config {
    double cache_ttl_seconds;
    double collect_timeout_seconds;
    double stuck_after_seconds;
    double reconnect_max_seconds;
    unsigned http_max_connections;
    unsigned http_max_connections_per_ip;
    unsigned http_idle_timeout_seconds;
    unsigned http_threads;
    struct qe_queue queues[QE_MAX_QUEUES];
    size_t n_queues;
};

/* Built-in defaults: the two plan tables with status/created_at/updated_at
 * and statuses pending/processing/completed/failed. */
void qe_config_defaults(struct qe_config *cfg);

/* Points the two built-in queues at the schema contract's job tables
 * (sql/contract.yaml): their table names, status/created/updated columns
 * and status values. Returns 0, or -1 with "the contract declares no
 * pending_pdf_processing.status, ..." in err. */
int qe_config_apply_contract(struct qe_config *cfg, const struct contract *c, char *err,
                             size_t errsz);

/* Appends the built-in queues of cfg (the two the contract configures) as
 * [queue NAME] sections of this file's format: table, the three columns and
 * the four status values, every one written out. qe_config_load of the text
 * gives those queues back. The doctor's --print-exporter-config prints it
 * after qe_config_apply_contract, so there is one mapping from the
 * contract to the exporter's queues. */
void qe_config_builtin_ini(const struct qe_config *cfg, struct strbuf *b);

/* Loads FILE over the defaults and validates the result. On error returns -1
 * and writes "FILE:LINE: reason" (or "FILE: reason") into err. */
int qe_config_load(struct qe_config *cfg, const char *path, char *err, size_t errsz);

/* Number of depth statuses of q (pending, processing, failed + extras), and
 * the i-th of them. */
size_t qe_queue_depth_count(const struct qe_queue *q);
const char *qe_queue_depth_status(const struct qe_queue *q, size_t i);

/* Effective stuck threshold of q. */
double qe_queue_stuck_after(const struct qe_config *cfg, const struct qe_queue *q);

/* Number of enabled queues. */
size_t qe_config_enabled_queues(const struct qe_config *cfg);

#endif
