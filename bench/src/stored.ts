/**
 * What the stack stored, to check the promises: every acknowledged event stored (loss 0), and
 * stored once (duplicates 0). Through SQL when the bench can reach the database (PostgreSQL
 * backend), else through the REST API as a dashboard would (the embedded store is one PGlite
 * session inside the stack's process: no second connection).
 */
import pg from 'pg';
import type { RunResult } from './loadgen/index.js';
import type { ApiClient } from './provision.js';

export interface StoredCheck {
  /** Rows of this step's events in telemetry_raw. */
  rows: number;
  distinct: number;
  /** Acknowledged (PUBACK) events that are not stored. */
  lost: number;
  /** rows − distinct: an event stored more than once. */
  duplicates: number;
  /** Stored events the generator does not count as acknowledged (sent, PUBACK lost): allowed, reported. */
  unacked: number;
}

export interface StoredReader {
  /** Events stored so far for the tenant (device_state.event_count, one small query). */
  count(): Promise<number>;
  /** (device id, event id) of every stored event whose id starts with `${tag}-`. */
  events(tag: string, from: Date, to: Date): Promise<Array<[string, string]>>;
  close(): Promise<void>;
}

export function sqlReader(databaseUrl: string, tenantId: string): StoredReader {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: 'bench-reader' });
  return {
    async count() {
      const { rows } = await pool.query<{ n: string }>(
        'SELECT coalesce(sum(event_count), 0)::text AS n FROM device_state WHERE tenant_id = $1',
        [tenantId],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async events(tag, from, to) {
      const { rows } = await pool.query<{ d: string; e: string }>(
        `SELECT device_id AS d, event_id AS e FROM telemetry_raw
         WHERE tenant_id = $1 AND ts >= $2 AND ts < $3 AND event_id LIKE $4`,
        [tenantId, from, to, `${tag}-%`],
      );
      return rows.map((r) => [r.d, r.e]);
    },
    close: () => pool.end(),
  };
}

export function apiReader(api: ApiClient, tenantId: string): StoredReader {
  return {
    async count() {
      const r = await api.request<{ items: { eventCount: number }[] }>(
        'GET',
        `/api/telemetry/latest?tenantId=${tenantId}`,
      );
      return r.items.reduce((n, i) => n + Number(i.eventCount), 0);
    },
    async events(tag, from, to) {
      const q = new URLSearchParams({ tenantId, from: from.toISOString(), to: to.toISOString() });
      const res = await api.fetch(`/api/telemetry/export.csv?${q}`);
      if (!res.ok) throw new Error(`export.csv answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      const text = await res.text();
      const prefix = `${tag}-`;
      const out: Array<[string, string]> = [];
      // ts,device_id,event_id,…: ids never hold a comma or a quote (device id pattern, our event ids)
      for (const line of text.split('\n').slice(1)) {
        const a = line.indexOf(',');
        const b = line.indexOf(',', a + 1);
        const c = line.indexOf(',', b + 1);
        if (a < 0 || b < 0) continue;
        const eventId = line.slice(b + 1, c < 0 ? undefined : c);
        if (eventId.startsWith(prefix)) out.push([line.slice(a + 1, b), eventId]);
      }
      return out;
    },
    close: async () => {},
  };
}

/** Compares what was acknowledged (per device: published seqs minus the ones not acknowledged) with what is stored. */
export function checkStored(tag: string, run: RunResult, stored: Array<[string, string]>): StoredCheck {
  const byDevice = new Map<string, Set<string>>();
  let rows = 0;
  for (const [device, event] of stored) {
    rows++;
    const set = byDevice.get(device) ?? new Set<string>();
    byDevice.set(device, set);
    set.add(event);
  }
  let distinct = 0;
  for (const set of byDevice.values()) distinct += set.size;
  let lost = 0;
  let unacked = 0;
  for (const d of run.perDevice) {
    const set = byDevice.get(d.clientId) ?? new Set<string>();
    const notAcked = new Set(d.notAcked);
    for (let seq = 0; seq < d.published; seq++) {
      const has = set.has(`${tag}-${seq}`);
      if (notAcked.has(seq)) {
        if (has) unacked++;
      } else if (!has) lost++;
    }
  }
  return { rows, distinct, lost, duplicates: rows - distinct, unacked };
}
