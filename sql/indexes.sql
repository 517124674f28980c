-- Partial indexes for the queue exporter (src/queue-exporter): a collection
-- then costs in proportion to the ACTIVE jobs, not to the table's history.
-- Every aggregate of the collection query filters on a single status value,
-- which lets the planner pick these indexes (docs/queue-exporter.md shows the
-- EXPLAIN; tests/integration/test_queue_exporter.sh asserts it with
-- auto_explain on the exporter's own statements).
--
--   *_queue_active_idx     depth of pending/processing/failed, stuck jobs
--                          (processing, updated_at < now() - 35 min), oldest
--                          processing age, failed in the last 24 h
--   *_queue_pending_idx    oldest pending age (min(created_at))
--   *_queue_completed_idx  completed in the last hour (a range at the end)
--
-- CONCURRENTLY: building them does not block the workers' writes on the live
-- Supabase tables. Run with psql in autocommit mode (no -1 / --single-transaction):
--   psql "$SUPABASE_ADMIN_DSN" -v ON_ERROR_STOP=1 -f sql/indexes.sql
-- If a concurrent build fails it leaves an INVALID index that IF NOT EXISTS
-- would then skip: check with
--   SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid;
-- and DROP INDEX CONCURRENTLY it before running this file again.
-- Idempotent. Renamed statuses or columns (a [queue] section in the exporter's
-- config) need the same three indexes with the new names.

CREATE INDEX CONCURRENTLY IF NOT EXISTS pending_transcriptions_queue_active_idx
    ON pending_transcriptions (status, updated_at)
    WHERE status IN ('pending', 'processing', 'failed');
CREATE INDEX CONCURRENTLY IF NOT EXISTS pending_transcriptions_queue_pending_idx
    ON pending_transcriptions (created_at)
    WHERE status = 'pending';
CREATE INDEX CONCURRENTLY IF NOT EXISTS pending_transcriptions_queue_completed_idx
    ON pending_transcriptions (updated_at)
    WHERE status = 'completed';

CREATE INDEX CONCURRENTLY IF NOT EXISTS pending_pdf_processing_queue_active_idx
    ON pending_pdf_processing (status, updated_at)
    WHERE status IN ('pending', 'processing', 'failed');
CREATE INDEX CONCURRENTLY IF NOT EXISTS pending_pdf_processing_queue_pending_idx
    ON pending_pdf_processing (created_at)
    WHERE status = 'pending';
CREATE INDEX CONCURRENTLY IF NOT EXISTS pending_pdf_processing_queue_completed_idx
    ON pending_pdf_processing (updated_at)
    WHERE status = 'completed';
