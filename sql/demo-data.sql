-- Synthetic but realistic data for the loopback stack's PostgreSQL (never
-- for Supabase). Timestamps are relative to now(), so the demo always shows
-- "today". setseed makes the random parts the same on every load.
-- Covers: every queue status, stuck jobs (processing > 35 min), recent and
-- old failures, 30 days of incidents, silent vehicles, WhatsApp traffic.
SELECT setseed(0.42) \g /dev/null

TRUNCATE pending_transcriptions, pending_pdf_processing, incidents,
         fleet_positions, whatsapp_messages RESTART IDENTITY;

-- Transcriptions: 7 days of completed history, about 20 an hour.
INSERT INTO pending_transcriptions (audio_url, status, attempts, created_at, updated_at)
SELECT 's3://audio/' || g || '.ogg', 'completed', 1,
       now() - (g * interval '3 minutes') - interval '4 minutes',
       now() - (g * interval '3 minutes')
FROM generate_series(1, 3360) AS g;
-- Failed permanently: 6 in the last 24 h, 9 older.
INSERT INTO pending_transcriptions (audio_url, status, attempts, error, created_at, updated_at)
SELECT 's3://audio/failed-' || g || '.ogg', 'failed', 3, 'whisper: audio decode error',
       now() - (g * interval '3 hours') - interval '10 minutes', now() - (g * interval '3 hours')
FROM generate_series(1, 15) AS g;
-- Backlog: 42 pending, the oldest waiting 25 minutes.
INSERT INTO pending_transcriptions (audio_url, status, created_at, updated_at)
SELECT 's3://audio/new-' || g || '.ogg', 'pending',
       now() - (g * interval '35 seconds') - interval '30 seconds',
       now() - (g * interval '35 seconds') - interval '30 seconds'
FROM generate_series(1, 42) AS g;
-- In flight: 3 healthy, 2 stuck (picked up 50 and 95 minutes ago).
INSERT INTO pending_transcriptions (audio_url, status, attempts, created_at, updated_at) VALUES
    ('s3://audio/run-1.ogg', 'processing', 1, now() - interval '6 minutes',  now() - interval '2 minutes'),
    ('s3://audio/run-2.ogg', 'processing', 1, now() - interval '9 minutes',  now() - interval '4 minutes'),
    ('s3://audio/run-3.ogg', 'processing', 2, now() - interval '20 minutes', now() - interval '12 minutes'),
    ('s3://audio/stuck-1.ogg', 'processing', 1, now() - interval '55 minutes',  now() - interval '50 minutes'),
    ('s3://audio/stuck-2.ogg', 'processing', 1, now() - interval '100 minutes', now() - interval '95 minutes');

-- PDF jobs: 7 days of history, about 9 an hour.
INSERT INTO pending_pdf_processing (document_url, status, attempts, created_at, updated_at)
SELECT 's3://pdf/' || g || '.pdf', 'completed', 1,
       now() - (g * interval '7 minutes') - interval '1 minute',
       now() - (g * interval '7 minutes')
FROM generate_series(1, 1440) AS g;
INSERT INTO pending_pdf_processing (document_url, status, attempts, error, created_at, updated_at)
SELECT 's3://pdf/failed-' || g || '.pdf', 'failed', 3, 'flask-pdf: 500 from renderer',
       now() - (g * interval '10 hours'), now() - (g * interval '10 hours')
FROM generate_series(1, 5) AS g;
INSERT INTO pending_pdf_processing (document_url, status, created_at, updated_at)
SELECT 's3://pdf/new-' || g || '.pdf', 'pending',
       now() - (g * interval '40 seconds'), now() - (g * interval '40 seconds')
FROM generate_series(1, 12) AS g;
INSERT INTO pending_pdf_processing (document_url, status, attempts, created_at, updated_at) VALUES
    ('s3://pdf/run-1.pdf', 'processing', 1, now() - interval '3 minutes', now() - interval '1 minute'),
    ('s3://pdf/stuck-1.pdf', 'processing', 1, now() - interval '70 minutes', now() - interval '61 minutes');

-- Incidents: 30 days, 2 to 11 a day, today included.
INSERT INTO incidents (vehicle_id, category, severity, description, created_at)
SELECT 'TRK-' || lpad((1 + floor(random() * 40))::int::text, 3, '0'),
       (ARRAY['breakdown', 'delay', 'accident', 'cargo', 'customs'])[1 + floor(random() * 5)::int],
       (ARRAY['minor', 'minor', 'minor', 'major', 'critical'])[1 + floor(random() * 5)::int],
       'synthetic incident',
       date_trunc('day', now()) - (d * interval '1 day') + (random() * interval '23 hours')
FROM generate_series(1, 30) AS d, LATERAL generate_series(1, 2 + (d * 7) % 10) AS n;
INSERT INTO incidents (vehicle_id, category, severity, description, created_at)
SELECT 'TRK-0' || (10 + g), 'delay', 'minor', 'synthetic incident today',
       now() - (g * interval '17 minutes')
FROM generate_series(1, 4) AS g;

-- Fleet: 40 vehicles, 34 reported in the last 10 minutes, 6 silent.
INSERT INTO fleet_positions (vehicle_id, latitude, longitude, speed_kmh, updated_at)
SELECT 'TRK-' || lpad(g::text, 3, '0'),
       48.0 + random() * 6, 2.0 + random() * 12, (random() * 90)::real,
       CASE WHEN g <= 34 THEN now() - (random() * interval '9 minutes')
            ELSE now() - interval '15 minutes' - (g - 34) * interval '30 minutes' END
FROM generate_series(1, 40) AS g;

-- WhatsApp: 30 days of traffic, more on weekdays.
INSERT INTO whatsapp_messages (direction, phone, body, status, created_at)
SELECT CASE WHEN random() < 0.6 THEN 'inbound' ELSE 'outbound' END,
       '+3361234' || lpad((floor(random() * 9999))::int::text, 4, '0'),
       'synthetic message', 'delivered',
       now() - (random() * interval '30 days')
FROM generate_series(1, 4000);

ANALYZE;
