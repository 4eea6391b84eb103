import type pg from 'pg';

type Db = Pick<pg.ClientBase, 'query'>;

export interface DeviceTypeRow {
  name: string;
  expected_interval_s: number;
  deadband: Record<string, number>;
  metrics: Record<string, MetricDisplay>;
  devices: number;
}

/** How a metric of the type reads to people: "uptime_s" → label "Uptime", unit "s" (#21). */
export interface MetricDisplay {
  label?: string;
  unit?: string;
}

/** The device types of a tenant: those with settings, and those its devices name (default settings). */
export async function listDeviceTypes(db: Db, tenantId: string): Promise<DeviceTypeRow[]> {
  const { rows } = await db.query<DeviceTypeRow>(
    `SELECT n.name, coalesce(t.expected_interval_s, 60) AS expected_interval_s, -- without settings: the column's default
            coalesce(t.deadband, '{}'::jsonb) AS deadband,
            coalesce(t.metrics, '{}'::jsonb) AS metrics,
            (SELECT count(*)::int FROM devices d WHERE d.tenant_id = $1 AND d.device_type = n.name) AS devices
     FROM (SELECT name FROM device_types WHERE tenant_id = $1
           UNION SELECT DISTINCT device_type FROM devices WHERE tenant_id = $1) n
     LEFT JOIN device_types t ON t.tenant_id = $1 AND t.name = n.name
     ORDER BY n.name LIMIT 500`,
    [tenantId],
  );
  return rows;
}

/**
 * Sets a type's deadband (undefined: the tenant has no such type) ("stored only on change": metric -> band, `*` the default band; {}
 * keeps every raw reading) and optionally its expected interval. The pipeline reads
 * device_types.deadband for every batch (services/pipeline/src/deadband.ts).
 */
export async function putDeviceType(
  db: Db,
  tenantId: string,
  name: string,
  patch: { deadband?: Record<string, number>; expectedIntervalS?: number; metrics?: Record<string, MetricDisplay> },
): Promise<DeviceTypeRow | undefined> {
  // a type the tenant has (settings, or devices naming it): types are per tenant, so another
  // tenant's type name is simply unknown here (404), never created by a typo
  const known = await db.query(
    `SELECT 1 FROM device_types WHERE tenant_id = $1 AND name = $2
     UNION ALL SELECT 1 FROM devices WHERE tenant_id = $1 AND device_type = $2 LIMIT 1`,
    [tenantId, name],
  );
  if (!known.rowCount) return undefined;
  await db.query(
    `INSERT INTO device_types (tenant_id, name, expected_interval_s, deadband, metrics)
     VALUES ($1, $2, coalesce($3, 60), coalesce($4::jsonb, '{}'::jsonb), coalesce($5::jsonb, '{}'::jsonb))
     ON CONFLICT (tenant_id, name) DO UPDATE SET
       expected_interval_s = coalesce($3, device_types.expected_interval_s),
       deadband = coalesce($4::jsonb, device_types.deadband),
       metrics = coalesce($5::jsonb, device_types.metrics)`,
    [
      tenantId,
      name,
      patch.expectedIntervalS ?? null,
      patch.deadband ? JSON.stringify(patch.deadband) : null,
      patch.metrics ? JSON.stringify(patch.metrics) : null,
    ],
  );
  const rows = await listDeviceTypes(db, tenantId);
  return rows.find((r) => r.name === name);
}
