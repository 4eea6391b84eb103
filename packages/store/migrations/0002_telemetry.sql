-- Telemetry written by the pipeline worker (services/pipeline, SQL in packages/timeseries).
-- Plain tables here, so PostgreSQL without TimescaleDB works; 0002_telemetry.timescale.sql turns the
-- raw tables into hypertables where the extension exists. No foreign keys on the hot path: the edges
-- (mqtt-gateway, api) authenticate devices before anything reaches telemetry.raw.v1.

-- The judge of "seen". A unique index on a hypertable must include the time column, and a
-- retransmission may carry another timestamp, so dedupe lives in this plain table keyed without
-- time. `INSERT … ON CONFLICT DO NOTHING RETURNING` in the batch transaction tells which events are new.
-- src_* is the bus position of the message that stored the event: when that same message is delivered
-- again (a crash after COMMIT, before the offset commit), its accepted event is published again.
-- Rows are pruned once both device time and receive time are beyond the late window (see pruneSeen).
CREATE TABLE telemetry_seen (
  tenant_id     uuid NOT NULL,
  device_id     text NOT NULL,
  event_id      text NOT NULL,
  ts            timestamptz NOT NULL,
  received_at   timestamptz NOT NULL,
  src_partition integer NOT NULL,
  src_offset    bigint NOT NULL,
  late          boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, device_id, event_id)
);
CREATE INDEX telemetry_seen_received ON telemetry_seen (received_at);

-- Raw readings (kind = telemetry). ts is device time; a reading whose device time was too far in the
-- future is stored at its receive time with skewed = true and the device's time kept in device_ts.
CREATE TABLE telemetry_raw (
  tenant_id   uuid NOT NULL,
  device_id   text NOT NULL,
  event_id    text NOT NULL,
  ts          timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  kind        text NOT NULL,
  source      text NOT NULL,
  metrics     jsonb NOT NULL,
  attributes  jsonb NOT NULL DEFAULT '{}',
  skewed      boolean NOT NULL DEFAULT false,
  device_ts   timestamptz
);
CREATE INDEX telemetry_raw_device_ts ON telemetry_raw (tenant_id, device_id, ts DESC);
CREATE INDEX telemetry_raw_tenant_ts ON telemetry_raw (tenant_id, ts DESC);

-- Device events (kind = event | status: treatments, counters, levels, heartbeats). Same shape as
-- telemetry_raw, a table of its own so events (billing) can be kept longer than high-rate readings.
CREATE TABLE device_events (
  tenant_id   uuid NOT NULL,
  device_id   text NOT NULL,
  event_id    text NOT NULL,
  ts          timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  kind        text NOT NULL,
  source      text NOT NULL,
  metrics     jsonb NOT NULL,
  attributes  jsonb NOT NULL DEFAULT '{}',
  skewed      boolean NOT NULL DEFAULT false,
  device_ts   timestamptz
);
CREATE INDEX device_events_device_ts ON device_events (tenant_id, device_id, ts DESC);
CREATE INDEX device_events_tenant_ts ON device_events (tenant_id, ts DESC);

-- Rollups per metric, upserted by the worker from newly stored events only (so they work on plain
-- PostgreSQL too). Buckets are UTC. sum is numeric: a sum of decimal inputs is exact whatever order
-- the events arrive in. first/last are by (ts, value): order-independent even when two events share
-- a timestamp. Day and month buckets in other time zones are built from rollup_1h at query time.
CREATE TABLE rollup_1m (
  tenant_id   uuid NOT NULL,
  device_id   text NOT NULL,
  metric      text NOT NULL,
  bucket      timestamptz NOT NULL,
  count       bigint NOT NULL,
  sum         numeric NOT NULL,
  min         double precision NOT NULL,
  max         double precision NOT NULL,
  first_ts    timestamptz NOT NULL,
  first_value double precision NOT NULL,
  last_ts     timestamptz NOT NULL,
  last_value  double precision NOT NULL,
  PRIMARY KEY (tenant_id, device_id, metric, bucket)
);
CREATE INDEX rollup_1m_tenant_bucket ON rollup_1m (tenant_id, bucket);
CREATE TABLE rollup_1h (LIKE rollup_1m INCLUDING ALL);
CREATE TABLE rollup_1d (LIKE rollup_1m INCLUDING ALL);

-- Latest state per device. latest: {"metric": {"v": value, "t": epoch ms}}, each metric's value with
-- the greatest device time (ties: greater value), merged by telemetry_merge_latest so the upsert is
-- order-independent. deadband_ref: the last raw-kept value per metric, in arrival order.
CREATE TABLE device_state (
  tenant_id       uuid NOT NULL,
  device_id       text NOT NULL,
  last_seen       timestamptz NOT NULL,
  last_ts         timestamptz NOT NULL,
  last_event_id   text NOT NULL,
  last_kind       text NOT NULL,
  last_attributes jsonb NOT NULL DEFAULT '{}',
  latest          jsonb NOT NULL DEFAULT '{}',
  deadband_ref    jsonb NOT NULL DEFAULT '{}',
  event_count     bigint NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, device_id)
);

CREATE FUNCTION telemetry_merge_latest(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_object_agg(k, CASE
           WHEN x IS NULL THEN y
           WHEN y IS NULL THEN x
           WHEN (y->>'t')::numeric > (x->>'t')::numeric THEN y
           WHEN (y->>'t')::numeric < (x->>'t')::numeric THEN x
           WHEN (y->>'v')::float8 >= (x->>'v')::float8 THEN y
           ELSE x END), '{}'::jsonb)
  FROM (SELECT coalesce(ea.key, eb.key) AS k, ea.value AS x, eb.value AS y
        FROM jsonb_each(coalesce(a, '{}'::jsonb)) ea FULL JOIN jsonb_each(coalesce(b, '{}'::jsonb)) eb
          ON ea.key = eb.key) s
$$;
