import type { Queryable } from './db.js';

/**
 * Devices per DELETE in a chunk that straddles the cutoff. TimescaleDB decompresses only the
 * batches a DELETE cuts through: with segmentby (tenant_id, device_id) that is at most one batch
 * (≤ 1000 rows) per device, so 50 devices stay far below its per-transaction limit of 100,000
 * decompressed tuples (`timescaledb.max_tuples_decompressed_per_dml_transaction`). One DELETE for
 * the whole tenant hit that limit at about 100 busy devices and then failed every hour (#16).
 */
const DEVICES_PER_DELETE = 50;
/** Rows per DELETE on plain tables: each step is short, so other writers wait little. */
const ROWS_PER_DELETE = 10_000;

export interface RetentionTarget {
  table: string;
  column: string;
  /** A TimescaleDB hypertable (deleted chunk by chunk) or a plain table (in row batches). */
  hypertable: boolean;
}

/**
 * Deletes one tenant's rows older than `cutoff`, in bounded steps, each its own statement: a
 * failed step leaves the ones before it done, and the next pass goes on from there.
 */
export async function deleteTenantRows(
  db: Queryable,
  target: RetentionTarget,
  tenantId: string,
  cutoff: Date,
): Promise<number> {
  return target.hypertable
    ? deleteByChunk(db, target, tenantId, cutoff)
    : deleteInBatches(db, target, tenantId, cutoff);
}

async function deleteByChunk(db: Queryable, t: RetentionTarget, tenantId: string, cutoff: Date): Promise<number> {
  const { rows: chunks } = await db.query<{ range_start: Date; range_end: Date }>(
    `SELECT range_start, range_end FROM timescaledb_information.chunks
      WHERE hypertable_schema = current_schema() AND hypertable_name = $1 AND range_start < $2
      ORDER BY range_start`,
    [t.table, cutoff],
  );
  let deleted = 0;
  for (const chunk of chunks) {
    const end = chunk.range_end < cutoff ? chunk.range_end : cutoff;
    if (chunk.range_end <= cutoff) {
      // Constant bounds that cover the whole chunk: TimescaleDB drops the tenant's compressed
      // batches whole, without decompressing them; uncompressed rows: one chunk's worth at most.
      const { rowCount } = await db.query(
        `DELETE FROM ${t.table} WHERE tenant_id = $1 AND ${t.column} >= $2 AND ${t.column} < $3`,
        [tenantId, chunk.range_start, end],
      );
      deleted += rowCount ?? 0;
      continue;
    }
    const { rows: devices } = await db.query<{ device_id: string }>(
      `SELECT DISTINCT device_id FROM ${t.table} WHERE tenant_id = $1 AND ${t.column} >= $2 AND ${t.column} < $3`,
      [tenantId, chunk.range_start, end],
    );
    for (let i = 0; i < devices.length; i += DEVICES_PER_DELETE) {
      const ids = devices.slice(i, i + DEVICES_PER_DELETE).map((d) => d.device_id);
      const { rowCount } = await db.query(
        `DELETE FROM ${t.table} WHERE tenant_id = $1 AND device_id = ANY($2::text[]) AND ${t.column} >= $3 AND ${t.column} < $4`,
        [tenantId, ids, chunk.range_start, end],
      );
      deleted += rowCount ?? 0;
    }
  }
  return deleted;
}

async function deleteInBatches(db: Queryable, t: RetentionTarget, tenantId: string, cutoff: Date): Promise<number> {
  let deleted = 0;
  for (;;) {
    // ctid batches: PostgreSQL's DELETE has no LIMIT; the subquery picks one bounded slice
    const { rowCount } = await db.query(
      `DELETE FROM ${t.table} WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM ${t.table} WHERE tenant_id = $1 AND ${t.column} < $2 LIMIT ${ROWS_PER_DELETE}))`,
      [tenantId, cutoff],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < ROWS_PER_DELETE) return deleted;
  }
}
