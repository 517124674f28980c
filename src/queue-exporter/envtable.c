#include "envtable.h"

#include "listenaddr.h"
#include "pgconn.h"

static const struct env_var vars[] = {
    {"QUEUE_EXPORTER_DSN", ENV_SECRET, pg_check_conninfo,
     "host=<db host> port=5432 dbname=postgres user=queue_exporter password=... sslmode=require",
     "QUEUE_EXPORTER_DSN"},
    {"QUEUE_EXPORTER_LISTEN", ENV_OPTIONAL, listen_addr_check,
     "ADDR:PORT, e.g. QUEUE_EXPORTER_LISTEN=127.0.0.1:9200 ([ADDR]:PORT for IPv6)", NULL},
    {"QUEUE_EXPORTER_CONFIG", ENV_OPTIONAL, NULL, "the path of an INI file (see --help)", NULL},
    {"QUEUE_EXPORTER_CONTRACT", ENV_OPTIONAL, NULL,
     "the schema contract, e.g. QUEUE_EXPORTER_CONTRACT=/etc/queue-exporter/contract.yaml", NULL},
};

const struct env_table qe_env_table = {"queue-exporter", vars, sizeof(vars) / sizeof(vars[0])};
