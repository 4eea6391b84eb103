-- Every rejection is visible (#14): the dead letters of telemetry.dead.v1 (MQTT acl_denied and
-- malformed payloads, HTTP refusals, the pipeline's too_late / id_conflict / unknown_device ...) are
-- kept per tenant and device with their reason, time and an excerpt of the payload, for the API
-- (GET /api/devices/{id}/rejections, /api/rejections/summary), the dashboard and the rule kind
-- "device sends invalid data". Written by the pipeline's rejections consumer (group "rejections").

CREATE TABLE device_rejections (
  id            bigserial PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- null: the dead letter named no device (kept for the tenant-wide view)
  device_id     text,
  reason        text NOT NULL,
  detail        text NOT NULL,
  -- mqtt | http | pipeline: the stage that refused it
  source        text NOT NULL,
  -- the MQTT topic or HTTP route it came on
  channel       text NOT NULL,
  event_id      text,
  -- the first bytes of the payload as text (invalid UTF-8 replaced), and its full size
  excerpt       text NOT NULL,
  payload_bytes integer NOT NULL,
  received_at   timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  -- sha256 of the dead letter's content: a dead letter published again (a redelivered batch, a
  -- consumer restart) is kept once
  dedupe_key    text NOT NULL,
  UNIQUE (tenant_id, dedupe_key)
);

-- a device's rejections, newest first (the API's page, the per-device bound, the rule's window)
CREATE INDEX device_rejections_device ON device_rejections (tenant_id, device_id, received_at DESC, id DESC);
-- the tenant's (summary windows, the tenant bound, retention)
CREATE INDEX device_rejections_tenant ON device_rejections (tenant_id, received_at);

-- Counts since the first rejection, by device and reason: the rows above are bounded per device and
-- per tenant and expire, these totals do not (a few rows per misbehaving device).
CREATE TABLE device_rejection_counts (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id  text NOT NULL DEFAULT '',
  reason     text NOT NULL,
  count      bigint NOT NULL,
  first_at   timestamptz NOT NULL,
  last_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, device_id, reason)
);
