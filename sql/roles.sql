-- Least-privilege roles for the monitoring stack. Idempotent.
-- Passwords come from psql variables, never from this file:
--   psql "$SUPABASE_ADMIN_DSN" -v ON_ERROR_STOP=1 \
--        -v grafana_password="$SUPABASE_GRAFANA_PASSWORD" \
--        -v exporter_password="$QUEUE_EXPORTER_DB_PASSWORD" \
--        -f sql/roles.sql
-- grafana_readonly: SELECT on the five tables the dashboards read.
-- queue_exporter:   SELECT on the two queue tables only.
\if :{?grafana_password}
\else
  \echo 'sql/roles.sql: set -v grafana_password=... (the password for grafana_readonly)'
  \quit 3
\endif
\if :{?exporter_password}
\else
  \echo 'sql/roles.sql: set -v exporter_password=... (the password for queue_exporter)'
  \quit 3
\endif

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grafana_readonly') AS create_grafana \gset
\if :create_grafana
  CREATE ROLE grafana_readonly WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
\endif
ALTER ROLE grafana_readonly WITH LOGIN PASSWORD :'grafana_password';
-- Dashboards must never hold a query open for minutes on the shared database.
ALTER ROLE grafana_readonly SET statement_timeout = '30s';
ALTER ROLE grafana_readonly SET default_transaction_read_only = on;

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queue_exporter') AS create_exporter \gset
\if :create_exporter
  CREATE ROLE queue_exporter WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
\endif
ALTER ROLE queue_exporter WITH LOGIN PASSWORD :'exporter_password';
ALTER ROLE queue_exporter SET default_transaction_read_only = on;

-- Start from nothing on public, then grant exactly what each role needs.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM grafana_readonly, queue_exporter;
REVOKE CREATE ON SCHEMA public FROM grafana_readonly, queue_exporter;
GRANT USAGE ON SCHEMA public TO grafana_readonly, queue_exporter;
GRANT SELECT ON pending_transcriptions, pending_pdf_processing, incidents,
                fleet_positions, whatsapp_messages TO grafana_readonly;
GRANT SELECT ON pending_transcriptions, pending_pdf_processing TO queue_exporter;
