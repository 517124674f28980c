-- Least-privilege roles for the monitoring stack. Idempotent: run it again
-- after a password rotation or a schema change.
-- Passwords come from psql variables, never from this file:
--   psql "$SUPABASE_ADMIN_DSN" -X \
--        -v grafana_password="$SUPABASE_GRAFANA_PASSWORD" \
--        -v exporter_password="$QUEUE_EXPORTER_DB_PASSWORD" \
--        -f sql/roles.sql
-- Run it as the owner of the tables (on Supabase: the postgres user, which
-- has CREATEROLE but is not a superuser; every statement here works so).
-- grafana_readonly: SELECT on the five tables the dashboards read.
-- queue_exporter:   SELECT on the two queue tables only.
\set ON_ERROR_STOP on

-- A missing or empty password stops the script before anything changes.
\if :{?grafana_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'sql/roles.sql: pass the password of grafana_readonly: psql -v grafana_password=... -v exporter_password=... -f sql/roles.sql'; END $$;
\endif
\if :{?exporter_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'sql/roles.sql: pass the password of queue_exporter: psql -v grafana_password=... -v exporter_password=... -f sql/roles.sql'; END $$;
\endif
SELECT length(:'grafana_password') = 0 AS grafana_password_empty,
       length(:'exporter_password') = 0 AS exporter_password_empty \gset
\if :grafana_password_empty
  DO $$ BEGIN RAISE EXCEPTION 'sql/roles.sql: grafana_password is empty'; END $$;
\endif
\if :exporter_password_empty
  DO $$ BEGIN RAISE EXCEPTION 'sql/roles.sql: exporter_password is empty'; END $$;
\endif

BEGIN;

-- Role attributes are set at creation: ALTER ROLE ... NOSUPERUSER and the
-- like need a superuser, which Supabase does not give.
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grafana_readonly') AS create_grafana \gset
\if :create_grafana
  CREATE ROLE grafana_readonly WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
\endif
-- Grafana holds up to 5 connections (maxOpenConns); the daily report and
-- the doctor add a few. The limit keeps a runaway client from exhausting
-- the shared database's connection slots.
ALTER ROLE grafana_readonly WITH LOGIN CONNECTION LIMIT 20 PASSWORD :'grafana_password';
-- Dashboards must never hold a query or a transaction open for minutes.
ALTER ROLE grafana_readonly SET statement_timeout = '30s';
ALTER ROLE grafana_readonly SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE grafana_readonly SET default_transaction_read_only = on;

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queue_exporter') AS create_exporter \gset
\if :create_exporter
  CREATE ROLE queue_exporter WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
\endif
ALTER ROLE queue_exporter WITH LOGIN CONNECTION LIMIT 10 PASSWORD :'exporter_password';
ALTER ROLE queue_exporter SET statement_timeout = '10s';
ALTER ROLE queue_exporter SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE queue_exporter SET default_transaction_read_only = on;

-- Start from nothing in public, then grant exactly what each role needs.
-- (Since PostgreSQL 15, PUBLIC may not create in schema public either, so
-- neither role can create tables there.)
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM grafana_readonly, queue_exporter;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM grafana_readonly, queue_exporter;
REVOKE CREATE ON SCHEMA public FROM grafana_readonly, queue_exporter;
GRANT USAGE ON SCHEMA public TO grafana_readonly, queue_exporter;
GRANT SELECT ON public.pending_transcriptions, public.pending_pdf_processing, public.incidents,
                public.fleet_positions, public.whatsapp_messages TO grafana_readonly;
GRANT SELECT ON public.pending_transcriptions, public.pending_pdf_processing TO queue_exporter;

-- Supabase tables usually have row level security on; a role without a
-- policy then reads zero rows and every panel shows 0. These policies let
-- each role read all rows of its tables and nothing else (a policy grants
-- no privilege: the GRANTs above still decide which tables). Harmless
-- where RLS is off.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pending_transcriptions', 'pending_pdf_processing', 'incidents',
                             'fleet_positions', 'whatsapp_messages'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = t
                       AND policyname = 'monitoring_grafana_readonly_select') THEN
            EXECUTE format('CREATE POLICY monitoring_grafana_readonly_select ON public.%I '
                           'FOR SELECT TO grafana_readonly USING (true)', t);
        END IF;
    END LOOP;
    FOREACH t IN ARRAY ARRAY['pending_transcriptions', 'pending_pdf_processing'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = t
                       AND policyname = 'monitoring_queue_exporter_select') THEN
            EXECUTE format('CREATE POLICY monitoring_queue_exporter_select ON public.%I '
                           'FOR SELECT TO queue_exporter USING (true)', t);
        END IF;
    END LOOP;
END $$;

COMMIT;
