-- #14: conflicts are not duplicates. The same (tenant, device, event_id) with another payload
-- (another device time or other values, e.g. a counter reset by a reboot) is kept here, apart from the
-- stored version, instead of being dropped as a duplicate. The stored version stays in
-- telemetry_raw / device_events (and in the rollups); this table holds each other version once.

-- Fingerprint of the stored version (kind, device time, metrics, attributes): a resend has the same
-- one, a conflict another. NULL for marks written before this migration: judged as duplicates, as before.
ALTER TABLE telemetry_seen ADD COLUMN fingerprint text;

CREATE TABLE telemetry_conflicts (
  id             bigserial PRIMARY KEY,
  tenant_id      uuid NOT NULL,
  device_id      text NOT NULL,
  event_id       text NOT NULL,
  fingerprint    text NOT NULL,
  -- the stored version's fingerprint when the conflict was found
  stored_fingerprint text,
  kind           text NOT NULL,
  source         text NOT NULL,
  -- device time as sent (NULL: none, the edge used its receive time)
  device_ts      timestamptz,
  ts             timestamptz NOT NULL,
  received_at    timestamptz NOT NULL,
  metrics        jsonb NOT NULL,
  attributes     jsonb NOT NULL DEFAULT '{}',
  src_partition  integer NOT NULL,
  src_offset     bigint NOT NULL,
  detected_at    timestamptz NOT NULL DEFAULT now(),
  -- a resend of the conflicting version is one conflict, not two
  UNIQUE (tenant_id, device_id, event_id, fingerprint)
);
CREATE INDEX telemetry_conflicts_device ON telemetry_conflicts (tenant_id, device_id, detected_at DESC);
CREATE INDEX telemetry_conflicts_tenant ON telemetry_conflicts (tenant_id, detected_at DESC);
