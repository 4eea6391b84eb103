/**
 * Store ceiling: COPY … FROM STDIN of telemetry_raw rows into a fresh database migrated like the
 * stack's (the table with its indexes), no dedupe, no rollups: what PostgreSQL ingests doing no work.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createStore, IN_MEMORY } from '@telemetry/store';
import { from as copyFrom } from 'pg-copy-streams';
import { scratchDatabase } from '../engines.js';
import type { CeilingResult } from './kafka.js';

export async function copyCeiling(o: { adminUrl: string; rows: number; devices: number }): Promise<CeilingResult> {
  const db = await scratchDatabase(o.adminUrl, 'bench_copy');
  try {
    const store = await createStore(
      { databaseUrl: db.url, dataDir: IN_MEMORY, port: 0, poolSize: 1 },
      { applicationName: 'bench-copy' },
    );
    try {
      await store.migrate();
      const tenantId = randomUUID();
      const now = Date.now();
      function* csv(): Generator<string> {
        let chunk = '';
        for (let i = 0; i < o.rows; i++) {
          const device = `bench-${i % o.devices}`;
          const ts = new Date(now - (o.rows - i) * 10).toISOString();
          const metrics = `"{""temperature"": ${20 + (i % 100) / 10}, ""humidity"": ${40 + (i % 37)}, ""counter"": ${i}}"`;
          chunk += `${tenantId},${device},c-${i},${ts},${ts},telemetry,mqtt,${metrics}\n`;
          if (chunk.length > 64 * 1024) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      }
      const chunks = [...csv()]; // built before the clock starts: the ceiling is the server's, not ours
      const client = await store.pool.connect();
      try {
        const t0 = performance.now();
        await pipeline(
          Readable.from(chunks),
          client.query(
            copyFrom(
              'COPY telemetry_raw (tenant_id, device_id, event_id, ts, received_at, kind, source, metrics) FROM STDIN WITH (FORMAT csv)',
            ),
          ),
        );
        const seconds = (performance.now() - t0) / 1000;
        return {
          messages: o.rows,
          seconds,
          perSec: o.rows / seconds,
          note: `COPY FROM STDIN of ${o.rows} rows into telemetry_raw (with its indexes) of a fresh database, one connection`,
        };
      } finally {
        client.release();
      }
    } finally {
      await store.close();
    }
  } finally {
    await db.close();
  }
}
