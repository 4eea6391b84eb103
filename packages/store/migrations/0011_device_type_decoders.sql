-- #14: a payload decoder per device type (packages/contracts decoder.ts): declarative JSON a
-- manager sets through PUT /api/device-types/{name}/decoder. NULL = the built-in default decoder.
-- The edges (MQTT gateway) read it per device with a short TTL cache.
ALTER TABLE device_types ADD COLUMN decoder jsonb;
ALTER TABLE device_types ADD COLUMN decoder_updated_at timestamptz;
