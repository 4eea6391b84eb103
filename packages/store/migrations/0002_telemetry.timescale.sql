-- Only where TimescaleDB is installed (the embedded PGlite build, a TimescaleDB server): the raw
-- tables of 0002_telemetry.sql become hypertables with compression enabled. The policies themselves
-- (compress after, drop after) come from the tenants' settings and are applied by
-- applyTelemetryPolicies in packages/timeseries, so they can change without a migration.
-- Rollups and telemetry_seen stay plain tables: the worker upserts them, which compressed chunks
-- would slow down, and telemetry_seen's key has no time column by design.

SELECT create_hypertable('telemetry_raw', by_range('ts', INTERVAL '1 day'), migrate_data => true);
SELECT create_hypertable('device_events', by_range('ts', INTERVAL '7 days'), migrate_data => true);

ALTER TABLE telemetry_raw SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'tenant_id, device_id',
  timescaledb.compress_orderby = 'ts DESC'
);
ALTER TABLE device_events SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'tenant_id, device_id',
  timescaledb.compress_orderby = 'ts DESC'
);
