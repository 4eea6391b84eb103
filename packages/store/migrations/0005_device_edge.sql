-- Device edge (MQTT gateway + device HTTP endpoints): token rotation with a grace period,
-- revocation, and presence as seen by the gateways. The pipeline worker owns device_state
-- (latest values); these columns are the connection view only.

ALTER TABLE devices
  -- the token replaced by the last rotation stays valid until previous_token_expires_at, so a
  -- device that rebooted and re-handshook while an old session/request was in flight keeps working
  ADD COLUMN previous_token_hash       text,
  ADD COLUMN previous_token_expires_at timestamptz,
  ADD COLUMN claimed_at                timestamptz,
  ADD COLUMN revoked_at                timestamptz,
  -- presence: written on CONNECT/DISCONNECT by the gateway holding the session
  ADD COLUMN online                    boolean NOT NULL DEFAULT false,
  ADD COLUMN connected_gateway         text,
  ADD COLUMN last_connected_at         timestamptz,
  ADD COLUMN last_disconnected_at      timestamptz,
  -- last packet or HTTP request seen from the device (coalesced, written every few seconds)
  ADD COLUMN last_seen_at              timestamptz;

-- HTTP device endpoints find the device by its Bearer token alone (sha256 of a 32-byte random token).
CREATE UNIQUE INDEX devices_token_hash ON devices (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX devices_previous_token_hash ON devices (previous_token_hash) WHERE previous_token_hash IS NOT NULL;
CREATE UNIQUE INDEX devices_claim_code_hash ON devices (claim_code_hash) WHERE claim_code_hash IS NOT NULL;
