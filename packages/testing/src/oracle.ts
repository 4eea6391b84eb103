type Db = { query<R extends object>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> };

export interface OracleReport {
  /** Acknowledged ids that are not stored. */
  missing: string[];
  /** Stored more than once. */
  duplicated: string[];
  /** rollup_1m rows (tenant|device|metric|bucket) that differ from a recomputation over telemetry_raw. */
  rollupMismatches: string[];
}

/**
 * The resilience oracle (#15): every acknowledged event id of `tenantId` stored exactly once in
 * telemetry_raw, and rollup_1m equal to a recomputation from telemetry_raw (count, sum, min, max).
 * Only numeric metrics count, as in the pipeline's rollups.
 */
export async function checkStored(db: Db, tenantId: string, acknowledged: Iterable<string>): Promise<OracleReport> {
  const { rows } = await db.query<{ event_id: string; n: number }>(
    'SELECT event_id, count(*)::int AS n FROM telemetry_raw WHERE tenant_id = $1 GROUP BY event_id',
    [tenantId],
  );
  const stored = new Map(rows.map((r) => [r.event_id, r.n]));
  const missing: string[] = [];
  for (const id of acknowledged) if (!stored.has(id)) missing.push(id);
  const duplicated = rows.filter((r) => r.n > 1).map((r) => r.event_id);
  const mismatches = await db.query<{ k: string }>(
    `WITH recomputed AS (
       SELECT r.tenant_id, r.device_id, m.key AS metric, date_trunc('minute', r.ts) AS bucket,
              count(*)::bigint AS count, sum((m.value #>> '{}')::numeric) AS sum,
              min((m.value #>> '{}')::float8) AS min, max((m.value #>> '{}')::float8) AS max
       FROM telemetry_raw r, jsonb_each(r.metrics) m
       WHERE r.tenant_id = $1 AND jsonb_typeof(m.value) = 'number'
       GROUP BY 1, 2, 3, 4)
     SELECT coalesce(a.device_id, b.device_id) || '|' || coalesce(a.metric, b.metric) || '|' || coalesce(a.bucket, b.bucket)::text AS k
     FROM recomputed a FULL JOIN (SELECT * FROM rollup_1m WHERE tenant_id = $1) b
       ON a.device_id = b.device_id AND a.metric = b.metric AND a.bucket = b.bucket
     WHERE a.device_id IS NULL OR b.device_id IS NULL
        OR a.count <> b.count OR a.sum <> b.sum OR a.min <> b.min OR a.max <> b.max`,
    [tenantId],
  );
  return { missing, duplicated, rollupMismatches: mismatches.rows.map((r) => r.k) };
}
