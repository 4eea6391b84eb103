-- Commands to devices (#18): the store is the record, not the broker's memory. A command is
-- queued by the API, published to the device by the gateway holding its connection (sent), PUBACKed
-- by the device (delivered), answered on devices/{id}/commands/reply (replied | failed), or never
-- delivered before its deadline (expired). A device may get a command more than once (a resend after
-- a lost PUBACK or a reconnect): it dedupes on the command id.
CREATE TABLE device_commands (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id     text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (name ~ '^[A-Za-z][A-Za-z0-9_.:-]{0,63}$'),
  params        jsonb NOT NULL DEFAULT '{}'::jsonb,
  expect_reply  boolean NOT NULL DEFAULT false,
  status        text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sent', 'delivered', 'replied', 'failed', 'expired')),
  expires_at    timestamptz NOT NULL,
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz,
  delivered_at  timestamptz,
  replied_at    timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  reply         jsonb,
  error         text
);

-- what a gateway looks up when a device connects, and what the expiry sweep scans
CREATE INDEX device_commands_open ON device_commands (device_id, created_at)
  WHERE status IN ('queued', 'sent');
CREATE INDEX device_commands_device ON device_commands (tenant_id, device_id, created_at DESC);
