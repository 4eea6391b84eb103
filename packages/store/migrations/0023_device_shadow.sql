-- Desired configuration of devices (the device-shadow idea, #18) and commands sent by rules.
--
-- Versions come from ONE sequence, shared by a device's own desire and its type's defaults: the
-- version a device is given is the larger of the two, so any change to either yields a larger
-- number than every version given before, and a report for an older version is recognizably stale.
CREATE SEQUENCE desired_version_seq;

-- Defaults per device type (within a tenant): what every device of the type is to have unless it
-- has its own value. Not tied to a device_types row: devices name their type freely.
CREATE TABLE device_type_desired (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_type  text NOT NULL,
  desired      jsonb NOT NULL DEFAULT '{}'::jsonb,
  version      bigint NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  updated_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  PRIMARY KEY (tenant_id, device_type)
);

-- A device's own desired attributes (over its type's defaults) and what it last reported applying.
-- The tenant is the device's (devices.tenant_id): not copied here, so it cannot go stale.
CREATE TABLE device_shadows (
  device_id         text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  desired           jsonb NOT NULL DEFAULT '{}'::jsonb,
  desired_version   bigint NOT NULL DEFAULT 0,
  desired_at        timestamptz,
  desired_by        uuid REFERENCES users (id) ON DELETE SET NULL,
  reported          jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- the desired version the device said it applied; a report of a smaller one is refused
  reported_version  bigint NOT NULL DEFAULT 0,
  reported_at       timestamptz
);

-- A rule may send a command when it fires: {"name": "refill_request", "params": {...}, "ttlS": 600}.
ALTER TABLE rules ADD COLUMN command jsonb;

-- The alert (episode) a rule's command was sent for: one command per episode, by this index,
-- whatever the redeliveries of the batch that opened it.
ALTER TABLE device_commands ADD COLUMN alert_id uuid REFERENCES alerts (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX device_commands_alert ON device_commands (alert_id) WHERE alert_id IS NOT NULL;
