-- Least-privilege roles for the monitoring stack. Idempotent: run it again
-- after a password rotation or a schema change.
--
-- Passwords never reach the server, the server's log or a command line:
-- the roles get SCRAM-SHA-256 verifiers computed on the operator's machine
-- by `build/doctor --scram-verifier ROLE` (libpq's PQencryptPasswordConn).
-- Run it through sql/roles.sh, which reads the passwords from files or a
-- prompt and feeds the verifiers to psql on standard input:
--   sql/roles.sh apply --grafana-password-file G --exporter-password-file E -- "host=... user=postgres ..."
-- or render plain SQL with the verifiers filled in, for Supabase's SQL editor:
--   sql/roles.sh render --grafana-password-file G --exporter-password-file E > roles-filled.sql
-- By hand: psql -v grafana_verifier=... -v exporter_verifier=... -f sql/roles.sql
-- (a verifier on a command line is not the password, but keep it off anyway).
-- Run it as the owner of the tables (on Supabase: the postgres user, which
-- has CREATEROLE but is not a superuser; every statement here works so).
-- grafana_readonly: column-level SELECT on exactly the columns the schema
--                   contract (sql/contract.yaml) declares, on the tables it
--                   names grafana_readonly as a reader of;
-- queue_exporter:   the same on the tables naming queue_exporter (the two
--                   queue tables). Message bodies, phone numbers, URLs and
--                   coordinates are not declared, so not granted.
-- The contract arrives as JSON in the psql variable contract (sql/roles.sh
-- passes it: build/doctor --print-contract); without it, psql asks
-- $REPO/build/doctor (default ./build/doctor) for $REPO/sql/contract.yaml.
--
-- Lines starting with a backslash, and \if ... \endif blocks, are psql's;
-- sql/roles.sh render drops them and fills in :'grafana_verifier' and
-- :'exporter_verifier', so keep every other statement plain SQL.
\set ON_ERROR_STOP on

-- The former plaintext variables are refused (they would reach the log).
\if :{?grafana_password}
  DO $$ BEGIN RAISE EXCEPTION 'sql/roles.sql takes SCRAM verifiers, not passwords: use sql/roles.sh apply (or build/doctor --scram-verifier grafana_readonly and -v grafana_verifier=...)'; END $$;
\endif
\if :{?exporter_password}
  DO $$ BEGIN RAISE EXCEPTION 'sql/roles.sql takes SCRAM verifiers, not passwords: use sql/roles.sh apply (or build/doctor --scram-verifier queue_exporter and -v exporter_verifier=...)'; END $$;
\endif
-- A missing verifier stops the script before anything changes.
\if :{?grafana_verifier}
\else
  DO $$ BEGIN RAISE EXCEPTION 'sql/roles.sql: pass the verifier of grafana_readonly: sql/roles.sh apply ..., or psql -v grafana_verifier=... -v exporter_verifier=... (build/doctor --scram-verifier grafana_readonly)'; END $$;
\endif
\if :{?exporter_verifier}
\else
  DO $$ BEGIN RAISE EXCEPTION 'sql/roles.sql: pass the verifier of queue_exporter: sql/roles.sh apply ..., or psql -v grafana_verifier=... -v exporter_verifier=... (build/doctor --scram-verifier queue_exporter)'; END $$;
\endif
\if :{?contract}
\else
  \set contract `"${REPO:-.}/build/doctor" --print-contract --contract "${REPO:-.}/sql/contract.yaml"`
\endif

BEGIN;

-- The verifiers, for this transaction only (is_local = true).
SELECT set_config('monitoring_roles.grafana_verifier', :'grafana_verifier', true),
       set_config('monitoring_roles.exporter_verifier', :'exporter_verifier', true),
       set_config('monitoring_roles.contract', :'contract', true);

-- Only a SCRAM-SHA-256 verifier is accepted: a plaintext password here
-- would be hashed by the server, after travelling and being logged.
-- Role attributes are set at creation: ALTER ROLE ... NOSUPERUSER and the
-- like need a superuser, which Supabase does not give.
-- Grafana holds up to 5 connections (maxOpenConns); the daily report and
-- the doctor add a few. The limit keeps a runaway client from exhausting
-- the shared database's connection slots.
DO $$
DECLARE
    r record;
    v text;
BEGIN
    FOR r IN SELECT * FROM (VALUES ('grafana_readonly', 'grafana_verifier', 20),
                                   ('queue_exporter', 'exporter_verifier', 10)) AS t(role, var, connlimit) LOOP
        v := current_setting('monitoring_roles.' || r.var);
        IF v !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
            RAISE EXCEPTION 'sql/roles.sql: % is not a SCRAM-SHA-256 verifier (make it with build/doctor --scram-verifier %)',
                r.var, r.role;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.role) THEN
            EXECUTE format('CREATE ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS', r.role);
        END IF;
        EXECUTE format('ALTER ROLE %I WITH LOGIN CONNECTION LIMIT %s PASSWORD %L', r.role, r.connlimit, v);
    END LOOP;
END $$;
-- Dashboards must never hold a query or a transaction open for minutes.
ALTER ROLE grafana_readonly SET statement_timeout = '30s';
ALTER ROLE grafana_readonly SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE grafana_readonly SET default_transaction_read_only = on;
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
-- (REVOKE on a table revokes its column privileges too, so a column taken
-- out of the contract loses its grant when this file runs again.)
-- Column-level SELECT from the contract. count(*) needs SELECT on one
-- column of the table, which every declared table has.
DO $$
DECLARE
    c jsonb;
    t record;
    cols text;
    reader text;
BEGIN
    BEGIN
        c := current_setting('monitoring_roles.contract')::jsonb;
    EXCEPTION WHEN others THEN
        c := NULL;
    END;
    IF c IS NULL OR jsonb_typeof(c -> 'tables') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'sql/roles.sql: the schema contract is missing or not JSON: pass -v contract="$(build/doctor --print-contract)" (sql/roles.sh does), or run psql from the repository after make';
    END IF;
    FOR t IN SELECT key, value FROM jsonb_each(c -> 'tables') LOOP
        SELECT string_agg(format('%I', col), ', ' ORDER BY col) INTO cols
        FROM (SELECT DISTINCT value AS col FROM jsonb_each_text(t.value -> 'columns')) x;
        CONTINUE WHEN cols IS NULL;
        FOR reader IN SELECT jsonb_array_elements_text(t.value -> 'readers') LOOP
            EXECUTE format('GRANT SELECT (%s) ON public.%I TO %I', cols, t.value ->> 'table', reader);
        END LOOP;
    END LOOP;
END $$;

-- Supabase tables usually have row level security on; a role without a
-- policy then reads zero rows and every panel shows 0. These policies let
-- each role read all rows of its tables and nothing else (a policy grants
-- no privilege: the GRANTs above still decide which tables). Harmless
-- where RLS is off.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.value ->> 'table' AS tbl, reader
             FROM jsonb_each(current_setting('monitoring_roles.contract')::jsonb -> 'tables') t,
                  jsonb_array_elements_text(t.value -> 'readers') AS reader LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = r.tbl
                       AND policyname = 'monitoring_' || r.reader || '_select') THEN
            EXECUTE format('CREATE POLICY %I ON public.%I FOR SELECT TO %I USING (true)',
                           'monitoring_' || r.reader || '_select', r.tbl, r.reader);
        END IF;
    END LOOP;
END $$;

-- Functions. PostgreSQL grants EXECUTE on every new function to PUBLIC, so
-- both roles could call any function in a schema they can use -- including
-- SECURITY DEFINER functions (Supabase RPCs), which run with their owner's
-- rights and can read tables these roles cannot. A Grafana viewer can send
-- raw SQL through /api/ds/query, so this matters. A grant to PUBLIC cannot
-- be revoked from one role only (PostgreSQL has no "deny"), hence, for every
-- function in a schema either role can use (pg_catalog and
-- information_schema aside: built-ins):
--   * Supabase's API roles (anon, authenticated, service_role, where they
--     exist) that can execute it now get an explicit grant, so they keep
--     exactly what they have;
--   * the grant to PUBLIC and any direct grant to our two roles go;
--   * functions in the allow-list below are granted to the role explicitly.
-- Other roles that relied on PUBLIC's grant lose it; name them in
-- keep_roles if they need it. Functions this user may not alter (owned by
-- another role, e.g. supabase_admin in schema extensions) are reported as a
-- WARNING and left alone.
DO $$
DECLARE
    -- The contract's allow-lists, as regprocedure text, e.g.
    -- 'public.queue_depth(text)'. Today the dashboards and the exporter
    -- call no function outside pg_catalog.
    allow_grafana  text[] := ARRAY[]::text[];
    allow_exporter text[] := ARRAY[]::text[];
    keep_roles     text[] := ARRAY['anon', 'authenticated', 'service_role'];
    f record;
    r text;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure AS sig, p.proowner
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
          AND (has_schema_privilege('grafana_readonly', n.oid, 'USAGE')
               OR has_schema_privilege('queue_exporter', n.oid, 'USAGE'))
          AND (has_function_privilege('grafana_readonly', p.oid, 'EXECUTE')
               OR has_function_privilege('queue_exporter', p.oid, 'EXECUTE'))
          AND NOT (p.oid::regprocedure::text = ANY (allow_grafana || allow_exporter))
        ORDER BY 1::text
    LOOP
        IF NOT pg_has_role(current_user, f.proowner, 'USAGE') THEN
            RAISE WARNING 'sql/roles.sql: % is owned by % and stays callable by the monitoring roles; as its owner run: REVOKE EXECUTE ON ROUTINE % FROM PUBLIC (grant it back to the roles that need it)',
                f.sig, f.proowner::regrole, f.sig;
            CONTINUE;
        END IF;
        FOREACH r IN ARRAY keep_roles LOOP
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)
               AND has_function_privilege(r, f.sig, 'EXECUTE') THEN
                EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO %I', f.sig, r);
            END IF;
        END LOOP;
        EXECUTE format('REVOKE EXECUTE ON ROUTINE %s FROM PUBLIC, grafana_readonly, queue_exporter', f.sig);
    END LOOP;
    FOR f IN SELECT unnest(allow_grafana) AS sig LOOP
        EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO grafana_readonly', f.sig);
    END LOOP;
    FOR f IN SELECT unnest(allow_exporter) AS sig LOOP
        EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO queue_exporter', f.sig);
    END LOOP;
    -- Functions this user creates from now on: no EXECUTE for PUBLIC (a
    -- default that can only be changed for all schemas at once), but the
    -- Supabase API roles still get it in schema public, as before.
    -- Functions created by other roles are checked by re-running this file.
    ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON ROUTINES FROM PUBLIC;
    FOREACH r IN ARRAY keep_roles LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON ROUTINES TO %I', r);
        END IF;
    END LOOP;
END $$;

COMMIT;
