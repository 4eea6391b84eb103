import type { Response } from 'express';
import type pg from 'pg';
import { csvLine, startCsv, writeWithBackpressure } from './csv.js';

type Db = Pick<pg.Pool, 'query'>;

export interface RawExport {
  tenantId: string;
  /** undefined: every device of the tenant. */
  deviceIds: string[] | undefined;
  from: Date;
  to: Date;
  excludeStatus: boolean;
  /** Rows per query. */
  chunk?: number;
  filename: string;
}

/**
 * Streams raw events as CSV in bounded memory. Rows are read by KEYSET on ts in chunks of
 * `chunk` rows (a timestamp's rows are never split), each chunk its own short query, and the next
 * chunk is read only after the previous one was accepted by the socket ('drain'). Why not one
 * server-side cursor: the embedded store is ONE connection (PGlite is one session), so a cursor
 * would hold it for the whole download and stall the pipeline; with keyset chunks the
 * pipeline's transactions interleave between chunks. On PostgreSQL the same holds per pool
 * connection. A year of 1-minute data (525,600 rows) is ~530 queries of 1,000 rows.
 */
export async function streamRawCsv(db: Db, res: Response, q: RawExport): Promise<number> {
  const chunk = q.chunk ?? 1000;
  const metrics = await metricNames(db, q);
  startCsv(res, q.filename);
  if (
    !(await writeWithBackpressure(
      res,
      csvLine(['ts', 'device_id', 'event_id', 'kind', ...metrics, 'attributes', 'received_at']),
    ))
  )
    return 0;
  const kinds = q.excludeStatus ? ['telemetry', 'event'] : ['telemetry', 'event', 'status'];
  const read = (where: string, extra: unknown[], limit: number | null) => {
    const params: unknown[] = [q.tenantId, q.from, q.to, kinds, ...extra];
    let deviceFilter = '';
    // one device (the usual export): equality, so its (tenant, device, ts) index serves the range
    if (q.deviceIds?.length === 1) deviceFilter = ` AND device_id = $${params.push(q.deviceIds[0])}`;
    else if (q.deviceIds) deviceFilter = ` AND device_id = ANY($${params.push(q.deviceIds)}::text[])`;
    const lim = limit === null ? '' : ` LIMIT $${params.push(limit)}`;
    const part = (table: string) => `(SELECT ts, device_id, event_id, kind, metrics, attributes, received_at,
        to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts_key
      FROM ${table} WHERE tenant_id = $1 AND ts >= $2 AND ts < $3 AND kind = ANY($4::text[])${deviceFilter} AND ${where}
      ORDER BY ts${lim})`;
    return db.query<ExportRow>(
      `SELECT * FROM (${part('telemetry_raw')} UNION ALL ${part('device_events')}) u ORDER BY ts${lim}`,
      params,
    );
  };
  let after = '-infinity';
  let total = 0;
  for (;;) {
    // ORDER BY ts alone matches the indexes: the scan stops after `chunk` rows whatever the
    // planner's statistics say (a sort on (ts, device, event) made it read to the end each time)
    let { rows } = await read('ts > $5::timestamptz', [after], chunk);
    if (rows.length === 0) break;
    const full = rows.length === chunk;
    const lastKey = (rows[rows.length - 1] as ExportRow).ts_key;
    if (full) {
      // the last timestamp may continue beyond the chunk: take its rows whole, in one query
      rows = rows.filter((r) => r.ts_key !== lastKey);
      rows.push(...(await read('ts = $5::timestamptz', [lastKey], null)).rows);
    }
    rows.sort((a, b) => cmp(a.ts_key, b.ts_key) || cmp(a.device_id, b.device_id) || cmp(a.event_id, b.event_id));
    let text = '';
    for (const r of rows) {
      text += csvLine([
        r.ts.toISOString(),
        r.device_id,
        r.event_id,
        r.kind,
        ...metrics.map((m) => r.metrics[m]),
        Object.keys(r.attributes).length ? r.attributes : '',
        r.received_at.toISOString(),
      ]);
    }
    total += rows.length;
    if (!(await writeWithBackpressure(res, text))) return total; // client went away: stop reading
    if (!full) break;
    after = lastKey;
  }
  res.end();
  return total;
}

interface ExportRow {
  ts: Date;
  device_id: string;
  event_id: string;
  kind: string;
  metrics: Record<string, number>;
  attributes: Record<string, unknown>;
  received_at: Date;
  ts_key: string;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The metric columns: every metric the devices reported in the range (from the hourly rollups: cheap). */
async function metricNames(db: Db, q: RawExport): Promise<string[]> {
  const params: unknown[] = [q.tenantId, new Date(Math.floor(q.from.getTime() / 3_600_000) * 3_600_000), q.to];
  const filter = q.deviceIds ? ` AND device_id = ANY($${params.push(q.deviceIds)}::text[])` : '';
  const { rows } = await db.query<{ metric: string }>(
    `SELECT DISTINCT metric FROM rollup_1h WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3${filter} ORDER BY metric LIMIT 200`,
    params,
  );
  return rows.map((r) => r.metric);
}
