import type { Queryable } from '@telemetry/timeseries';

export interface DecoderRow {
  name: string;
  expected_interval_s: number;
  deadband: Record<string, number>;
  decoder: unknown;
  decoder_updated_at: Date | null;
}

export async function getDecoderRow(db: Queryable, tenantId: string, name: string): Promise<DecoderRow | null> {
  const { rows } = await db.query<DecoderRow>(
    `SELECT name, expected_interval_s, deadband, decoder, decoder_updated_at FROM device_types
     WHERE tenant_id = $1 AND name = $2`,
    [tenantId, name],
  );
  return rows[0] ?? null;
}

/** Sets (or with null clears) the type's decoder; creates the type row when the tenant had none of that name. */
export async function setDecoder(db: Queryable, tenantId: string, name: string, decoder: unknown): Promise<void> {
  await db.query(
    `INSERT INTO device_types (tenant_id, name, decoder, decoder_updated_at) VALUES ($1, $2, $3::jsonb, now())
     ON CONFLICT (tenant_id, name) DO UPDATE SET decoder = EXCLUDED.decoder, decoder_updated_at = now()`,
    [tenantId, name, decoder === null ? null : JSON.stringify(decoder)],
  );
}

/** A type the tenant has: a device_types row, or a device of that type. Other names are 404 (no oracle). */
export async function typeExists(db: Queryable, tenantId: string, name: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM device_types WHERE tenant_id = $1 AND name = $2
     UNION ALL SELECT 1 FROM devices WHERE tenant_id = $1 AND device_type = $2 LIMIT 1`,
    [tenantId, name],
  );
  return rows.length > 0;
}
