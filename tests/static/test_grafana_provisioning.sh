#!/usr/bin/env bash
# shellcheck disable=SC2016 # literal ${VAR} references are what is checked
# Grafana cannot run here: check its data source provisioning for what a
# user would notice — the right default, the plan's Supabase settings, the
# uids the dashboards use, and no secret written in the file.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
f=$REPO/grafana/provisioning/datasources/datasources.yml
q() { "$PY3" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); exec(sys.argv[2])' "$f" "$1"; }

assert_eq "data source uids: thanos, prometheus, supabase, alertmanager" "thanos prometheus supabase alertmanager" \
    "$(q 'print(" ".join(s["uid"] for s in d["datasources"]))')"
assert_eq "Thanos Query is the only default data source" "thanos" \
    "$(q 'print(" ".join(s["uid"] for s in d["datasources"] if s.get("isDefault")))')"
assert_eq "Thanos Query is reached inside the compose network" "http://thanos-query:10902" \
    "$(q 'print([s for s in d["datasources"] if s["uid"] == "thanos"][0]["url"])')"
sb=$(q 'import json; print(json.dumps([s for s in d["datasources"] if s["uid"] == "supabase"][0], sort_keys=True))')
for kv in '"sslmode": "$__file{/run/monitoring/supabase_sslmode}"' '"tlsConfigurationMethod": "file-path"' \
    '"sslRootCertFile": "$__file{/run/monitoring/supabase_ca_path}"' '"maxOpenConns": 5' '"maxIdleConns": 2' '"connMaxLifetime": 14400' \
    '"postgresVersion": 1500' '"timescaledb": false' '"database": "postgres"' '"password": "$__file{/run/monitoring/supabase_password}"' \
    '"url": "${SUPABASE_DB_HOST}:${SUPABASE_DB_PORT}"' '"type": "grafana-postgresql-datasource"'; do
    assert_contains "Supabase data source: $kv" "$sb" "$kv"
done
assert_eq "the Supabase password is only in secureJsonData, read from the file config-init renders" \
    '{"password": "$__file{/run/monitoring/supabase_password}"}' "$(q 'import json; print(json.dumps([s for s in d["datasources"] if s["uid"] == "supabase"][0]["secureJsonData"]))')"
dp=$REPO/grafana/provisioning/dashboards
if ls "$dp"/*.yml >/dev/null 2>&1; then
    prov=$(cat "$dp"/*.yml)
    assert_contains "dashboards are provisioned from the path compose mounts" "$prov" "/var/lib/grafana/dashboards"
    assert_not_contains "provisioned dashboards cannot be edited in the UI" "$prov" "allowUiUpdates: true"
else
    not_ok "a dashboards provider exists in grafana/provisioning/dashboards/"
fi
grafana_env=$("$PY3" -c 'import yaml; print(yaml.safe_load(open("'"$REPO"'/compose.yaml"))["services"]["grafana"]["environment"])')
assert_contains "anonymous access is off" "$grafana_env" "'GF_AUTH_ANONYMOUS_ENABLED': 'false'"
assert_contains "sign-up is off" "$grafana_env" "'GF_USERS_ALLOW_SIGN_UP': 'false'"
assert_contains "the admin password comes from a file (Grafana's __FILE variable)" "$grafana_env" \
    "'GF_SECURITY_ADMIN_PASSWORD__FILE': '/run/monitoring/admin_password'"
assert_not_contains "no password in Grafana's environment" "$grafana_env" "PASSWORD'"
for kv in "'GF_SNAPSHOTS_ENABLED': 'false'" "'GF_SNAPSHOTS_EXTERNAL_ENABLED': 'false'" "'GF_PUBLIC_DASHBOARDS_ENABLED': 'false'"; do
    assert_contains "sharing without a login is off: $kv" "$grafana_env" "$kv"
done
finish
