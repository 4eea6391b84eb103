-- #21: how a device type's metrics read to people ("uptime_s" → "Uptime", seconds), and who an
-- alert is assigned to (set when someone acknowledges it, or by a manager).
-- {"uptime_s": {"label": "Uptime", "unit": "s"}, "temperature": {"label": "Temperature", "unit": "°C"}}
ALTER TABLE device_types ADD COLUMN metrics jsonb NOT NULL DEFAULT '{}';
ALTER TABLE alerts ADD COLUMN assignee_id uuid REFERENCES users (id) ON DELETE SET NULL;
