-- Rule kind "device sends invalid data" (#14): N rejections (device_rejections, 0012) within a
-- window (min_duration_s) open an alert; it resolves once a whole window passes without one.
ALTER TABLE rules DROP CONSTRAINT rules_kind_check;
ALTER TABLE rules ADD CONSTRAINT rules_kind_check CHECK (kind IN ('threshold', 'offline', 'maintenance', 'invalid_data'));
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
  CHECK (kind IN ('threshold', 'offline', 'maintenance', 'manual', 'invalid_data'));
