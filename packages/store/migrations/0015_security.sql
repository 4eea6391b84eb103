-- #20 production without demo doors.
-- Where an unauthenticated handshake that created a pending device came from: one source address
-- may create only so many (DEVICE_MAX_PENDING_PER_IP per DEVICE_PENDING_WINDOW), so a flood from
-- one address cannot fill the global cap and lock real devices out.
ALTER TABLE devices ADD COLUMN created_from text;
CREATE INDEX devices_pending_source ON devices (created_from, created_at) WHERE state = 'pending' AND tenant_id IS NULL;

-- Trust on first use: an assigned 'mac' device gets ONE MAC-only handshake (its first after
-- assignment, or after an admin re-opened it); from then on it must prove itself with its current
-- token ('proof'). A tenant keeps MAC-only devices (the seed's legacy firmware) only by opting in
-- knowingly: this flag, set through the API and written to the audit log.
ALTER TABLE tenants ADD COLUMN allow_mac_only boolean NOT NULL DEFAULT false;
