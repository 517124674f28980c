#include "envtable.h"

static const struct env_var vars[] = {
    {"DOCTOR_PROMETHEUS_URL", ENV_OPTIONAL, env_check_http_url,
     "the Prometheus base URL, e.g. http://127.0.0.1:9090 (empty skips the stack group)", NULL},
    {"DOCTOR_ALERTMANAGER_URL", ENV_OPTIONAL, env_check_http_url,
     "the Alertmanager base URL, e.g. http://127.0.0.1:9093", NULL},
    {"DOCTOR_GRAFANA_URL", ENV_OPTIONAL, env_check_http_url,
     "the Grafana base URL, e.g. http://127.0.0.1:3000", NULL},
    {"DOCTOR_CADDY_URL", ENV_OPTIONAL, env_check_http_url,
     "the https:// URL whose certificate to check (empty skips it)", NULL},
    {"DOCTOR_CA_FILE", ENV_OPTIONAL, NULL, "a PEM file of CA certificates to trust", NULL},
};

const struct env_table doc_env_table = {"doctor", vars, sizeof(vars) / sizeof(vars[0])};
