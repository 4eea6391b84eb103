-- Device edge hardening (security review of the ozone seed's device endpoints). Per-device flags an
-- admin sets, and the state behind the per-MAC handshake limit. The wire protocol is unchanged.

ALTER TABLE devices
  -- How a handshake of this MAC gets a token (packages/registry/README.md):
  --   'mac'   the seed's protocol, the MAC alone (legacy firmware); re-handshakes rate-limited per MAC;
  --   'proof' the MAC alone only while the device holds no token (its first claim); afterwards the
  --           handshake must present the current token (Bearer) or the unused claim code.
  -- Existing rows keep 'mac' (the fleet in the field is seed firmware); the admin API pre-registers
  -- with 'proof'; devices auto-created by an unknown MAC are created with 'mac' explicitly.
  ADD COLUMN handshake_policy         text NOT NULL DEFAULT 'mac' CHECK (handshake_policy IN ('mac', 'proof')),
  -- POST /api/iot/ identifies a device by its MAC alone: only devices an admin opted in.
  ADD COLUMN legacy_http              boolean NOT NULL DEFAULT false,
  -- POST /api/device/readings/ naming devices other than the sender: only gateway devices.
  ADD COLUMN can_relay                boolean NOT NULL DEFAULT false,
  -- MAC-only re-handshakes of an active 'mac' device inside the token grace window, counted per hour.
  ADD COLUMN mac_handshake_window_at  timestamptz,
  ADD COLUMN mac_handshakes           integer NOT NULL DEFAULT 0;

-- Devices first seen on POST /api/iot/ (created with firmware 'legacy') and assigned since are
-- legacy-form devices by construction: they keep working. Every other device must be opted in.
UPDATE devices SET legacy_http = true WHERE firmware = 'legacy' AND state = 'active';

-- The pending cap counts, and the prune deletes, devices waiting for an admin.
CREATE INDEX devices_pending_updated ON devices (updated_at) WHERE state = 'pending' AND tenant_id IS NULL;
