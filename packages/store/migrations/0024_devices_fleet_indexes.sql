-- The fleet table (#21): GET /api/devices pages a tenant's devices by name, type or age with a
-- keyset (sort key, id). Each sort has its index, so a page at 10,000 devices reads `limit + 1`
-- index entries instead of sorting the tenant (the embedded store has one session for everyone).
CREATE INDEX devices_tenant_name ON devices (tenant_id, name, id);
CREATE INDEX devices_tenant_type ON devices (tenant_id, device_type, id);
CREATE INDEX devices_tenant_created ON devices (tenant_id, created_at, id);
