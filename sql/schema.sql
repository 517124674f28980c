-- Reference schema of the five Supabase tables this stack reads.
-- It mirrors the production tables closely enough that every query of the
-- exporter, the dashboards and the daily report can be proven on a local
-- PostgreSQL. It is NOT applied to Supabase (the tables exist there).
-- Idempotent: safe to run twice.

-- Job queues: one row per job; a worker moves it pending -> processing ->
-- completed | failed and touches updated_at on every move, so for a job in
-- 'processing' updated_at is when it was picked up.
CREATE TABLE IF NOT EXISTS pending_transcriptions (
    id          bigserial PRIMARY KEY,
    audio_url   text        NOT NULL,
    status      text        NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    attempts    integer     NOT NULL DEFAULT 0,
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pending_pdf_processing (
    id           bigserial PRIMARY KEY,
    document_url text        NOT NULL,
    status       text        NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Operational incidents reported by drivers or dispatch.
CREATE TABLE IF NOT EXISTS incidents (
    id          bigserial PRIMARY KEY,
    vehicle_id  text        NOT NULL,
    category    text        NOT NULL,
    severity    text        NOT NULL DEFAULT 'minor'
                CHECK (severity IN ('minor', 'major', 'critical')),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Latest known position per vehicle (upserted by the GPS feed), so "GPS
-- coverage" is the share of rows with updated_at in the last 10 minutes.
CREATE TABLE IF NOT EXISTS fleet_positions (
    vehicle_id  text PRIMARY KEY,
    latitude    double precision NOT NULL,
    longitude   double precision NOT NULL,
    speed_kmh   real,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS whatsapp_messages (
    id          bigserial PRIMARY KEY,
    direction   text        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    phone       text        NOT NULL,
    body        text,
    status      text        NOT NULL DEFAULT 'received',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Time-range scans used by the dashboards and the report.
CREATE INDEX IF NOT EXISTS incidents_created_at_idx ON incidents (created_at);
CREATE INDEX IF NOT EXISTS whatsapp_messages_created_at_idx ON whatsapp_messages (created_at);
