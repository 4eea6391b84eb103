-- Firmware updates over the air (#18). An image is stored in the database, in bounded chunks, so
-- every API instance serves it and a download of a byte range reads only the chunks it covers
-- (the embedded default shares one DB session: never one query for a whole image).
CREATE TABLE firmware_images (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_type  text NOT NULL,
  version      text NOT NULL CHECK (version ~ '^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$'),
  size         bigint NOT NULL CHECK (size > 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  chunk_size   integer NOT NULL CHECK (chunk_size > 0),
  notes        text NOT NULL DEFAULT '',
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, device_type, version)
);

CREATE TABLE firmware_chunks (
  image_id  uuid NOT NULL REFERENCES firmware_images (id) ON DELETE CASCADE,
  seq       integer NOT NULL CHECK (seq >= 0),
  data      bytea NOT NULL,
  PRIMARY KEY (image_id, seq)
);

-- A rollout: an image for chosen devices, until it expires. The API refuses to delete an image
-- while a rollout of it is open (devices may be downloading it); a finished rollout keeps what it
-- rolled out (version, checksum, size) when its image is deleted later.
CREATE TABLE firmware_rollouts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  image_id    uuid REFERENCES firmware_images (id) ON DELETE SET NULL,
  device_type text NOT NULL,
  version     text NOT NULL,
  sha256      text NOT NULL,
  size        bigint NOT NULL,
  expires_at  timestamptz NOT NULL,
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX firmware_rollouts_tenant ON firmware_rollouts (tenant_id, created_at DESC);
CREATE INDEX firmware_rollouts_image ON firmware_rollouts (image_id);

-- Per device: pending (created) -> notified (its firmware_update command reached it) ->
-- downloading -> installing -> updated | failed, as the device reports it.
CREATE TABLE firmware_rollout_devices (
  rollout_id    uuid NOT NULL REFERENCES firmware_rollouts (id) ON DELETE CASCADE,
  device_id     text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- no foreign key: device_commands (0020) comes after this migration on a fresh database
  command_id    uuid,
  state         text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'notified', 'downloading', 'installing', 'updated', 'failed')),
  from_version  text,
  bytes         bigint NOT NULL DEFAULT 0,
  downloads     integer NOT NULL DEFAULT 0,
  error         text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX firmware_rollout_devices_device ON firmware_rollout_devices (device_id, updated_at DESC);
