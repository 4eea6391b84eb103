import type { Queryable } from '../db.js';
import { contextKey } from './context.js';
import { foldRollups, type Grain } from './rollups.js';

export type EventKindName = 'telemetry' | 'event' | 'status';

/** A first-seen event as the worker stores it. */
export interface StoredEvent {
  tenantId: string;
  deviceId: string;
  eventId: string;
  /** Time the event is filed under (ISO): device time, or receive time when the device clock was skewed. */
  ts: string;
  receivedAt: string;
  kind: EventKindName;
  source: string;
  metrics: Record<string, number>;
  attributes: Record<string, unknown>;
  skewed: boolean;
  /** The device's own time when it differs from ts (skewed), else null. */
  deviceTs: string | null;
  /** False when the deadband suppressed the raw row; rollups and device state still count the event. */
  keepRaw: boolean;
}

export interface WriteResult {
  raw: number;
  events: number;
  rollups: { '1m': number; '1h': number; '1d': number };
  states: number;
}

/**
 * Stores first-seen events in ONE statement (one round trip): raw rows (telemetry_raw or
 * device_events by kind, unless the deadband dropped them), the 1m/1h/1d rollups of every metric,
 * and device state. Run it in the transaction that inserted the events' seen marks, so a retry
 * after a failure never counts an event twice.
 *
 * The batch's rollup rows are folded in JS (foldRollups: exact decimal sums, first/last by (ts,
 * value) at microsecond precision) and upserted once per bucket; the upsert merges them with the
 * stored rows by the same rules, so any split of the same events into batches yields the same rows.
 *
 * `deadbandRefs`: the devices' deadband references after this batch (merged over the stored ones).
 */
export async function writeStored(
  db: Queryable,
  events: readonly StoredEvent[],
  deadbandRefs: ReadonlyMap<string, Record<string, number>> = new Map(),
): Promise<WriteResult> {
  const empty: WriteResult = { raw: 0, events: 0, rollups: { '1m': 0, '1h': 0, '1d': 0 }, states: 0 };
  if (events.length === 0) return empty;
  const raw = events.filter((e) => e.keepRaw);
  const rollups = foldRollups(
    events.flatMap((e) =>
      Object.entries(e.metrics).map(([metric, value]) => ({
        tenantId: e.tenantId,
        deviceId: e.deviceId,
        metric,
        ts: e.ts,
        value,
      })),
    ),
  );
  const states = statePatches(events, deadbandRefs);

  const { rows } = await db.query<{ raw: number; events: number; r1m: number; r1h: number; r1d: number; st: number }>(
    `WITH raw_in AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[],
                            $7::text[], $8::jsonb[], $9::jsonb[], $10::bool[], $11::timestamptz[])
         AS r(tenant_id, device_id, event_id, ts, received_at, kind, source, metrics, attributes, skewed, device_ts)
     ),
     ins_raw AS (
       INSERT INTO telemetry_raw (tenant_id, device_id, event_id, ts, received_at, kind, source, metrics, attributes, skewed, device_ts)
       SELECT * FROM raw_in WHERE kind = 'telemetry' RETURNING 1
     ),
     ins_events AS (
       INSERT INTO device_events (tenant_id, device_id, event_id, ts, received_at, kind, source, metrics, attributes, skewed, device_ts)
       SELECT * FROM raw_in WHERE kind <> 'telemetry' RETURNING 1
     ),
     roll AS (
       SELECT * FROM unnest($12::text[], $13::uuid[], $14::text[], $15::text[], $16::timestamptz[], $17::bigint[],
                            $18::numeric[], $19::float8[], $20::float8[], $21::timestamptz[], $22::float8[],
                            $23::timestamptz[], $24::float8[])
         AS p(grain, tenant_id, device_id, metric, bucket, count, sum, min, max, first_ts, first_value, last_ts, last_value)
     ),
     ${rollupCte('r1m', 'rollup_1m', '1m')},
     ${rollupCte('r1h', 'rollup_1h', '1h')},
     ${rollupCte('r1d', 'rollup_1d', '1d')},
     st AS (
       INSERT INTO device_state AS s (tenant_id, device_id, last_seen, last_ts, last_event_id, last_kind, last_attributes,
                                      latest, deadband_ref, event_count)
       SELECT * FROM unnest($25::uuid[], $26::text[], $27::timestamptz[], $28::timestamptz[], $29::text[], $30::text[],
                            $31::jsonb[], $32::jsonb[], $33::jsonb[], $34::bigint[])
       ON CONFLICT (tenant_id, device_id) DO UPDATE SET
         last_seen = greatest(s.last_seen, excluded.last_seen),
         last_ts = greatest(s.last_ts, excluded.last_ts),
         last_event_id = CASE WHEN excluded.last_ts >= s.last_ts THEN excluded.last_event_id ELSE s.last_event_id END,
         last_kind = CASE WHEN excluded.last_ts >= s.last_ts THEN excluded.last_kind ELSE s.last_kind END,
         last_attributes = CASE WHEN excluded.last_ts >= s.last_ts THEN excluded.last_attributes ELSE s.last_attributes END,
         latest = telemetry_merge_latest(s.latest, excluded.latest),
         deadband_ref = s.deadband_ref || excluded.deadband_ref,
         event_count = s.event_count + excluded.event_count,
         updated_at = now()
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ins_raw)::int AS raw, (SELECT count(*) FROM ins_events)::int AS events,
            (SELECT count(*) FROM r1m)::int AS r1m, (SELECT count(*) FROM r1h)::int AS r1h,
            (SELECT count(*) FROM r1d)::int AS r1d, (SELECT count(*) FROM st)::int AS st`,
    [
      raw.map((e) => e.tenantId),
      raw.map((e) => e.deviceId),
      raw.map((e) => e.eventId),
      raw.map((e) => e.ts),
      raw.map((e) => e.receivedAt),
      raw.map((e) => e.kind),
      raw.map((e) => e.source),
      raw.map((e) => JSON.stringify(e.metrics)),
      raw.map((e) => JSON.stringify(e.attributes)),
      raw.map((e) => e.skewed),
      raw.map((e) => e.deviceTs),
      rollups.map((r) => r.grain),
      rollups.map((r) => r.tenantId),
      rollups.map((r) => r.deviceId),
      rollups.map((r) => r.metric),
      rollups.map((r) => r.bucket),
      rollups.map((r) => r.count),
      rollups.map((r) => r.sum),
      rollups.map((r) => r.min),
      rollups.map((r) => r.max),
      rollups.map((r) => r.firstTs),
      rollups.map((r) => r.firstValue),
      rollups.map((r) => r.lastTs),
      rollups.map((r) => r.lastValue),
      states.map((s) => s.tenantId),
      states.map((s) => s.deviceId),
      states.map((s) => s.lastSeen),
      states.map((s) => s.lastTs),
      states.map((s) => s.lastEventId),
      states.map((s) => s.lastKind),
      states.map((s) => JSON.stringify(s.lastAttributes)),
      states.map((s) => JSON.stringify(s.latest)),
      states.map((s) => JSON.stringify(s.deadbandRef)),
      states.map((s) => s.eventCount),
    ],
  );
  const r = rows[0];
  if (!r) return empty;
  return { raw: r.raw, events: r.events, rollups: { '1m': r.r1m, '1h': r.r1h, '1d': r.r1d }, states: r.st };
}

/** One rollup table's upsert as a data-modifying CTE over `roll` (the batch's rows of that grain). */
function rollupCte(name: string, table: string, grain: Grain): string {
  return `${name} AS (
       INSERT INTO ${table} AS t (tenant_id, device_id, metric, bucket, count, sum, min, max, first_ts, first_value, last_ts, last_value)
       SELECT tenant_id, device_id, metric, bucket, count, sum, min, max, first_ts, first_value, last_ts, last_value
       FROM roll WHERE grain = '${grain}'
       ON CONFLICT (tenant_id, device_id, metric, bucket) DO UPDATE SET
         count = t.count + excluded.count,
         sum = t.sum + excluded.sum,
         min = least(t.min, excluded.min),
         max = greatest(t.max, excluded.max),
         first_ts = CASE WHEN (excluded.first_ts, excluded.first_value) < (t.first_ts, t.first_value) THEN excluded.first_ts ELSE t.first_ts END,
         first_value = CASE WHEN (excluded.first_ts, excluded.first_value) < (t.first_ts, t.first_value) THEN excluded.first_value ELSE t.first_value END,
         last_ts = CASE WHEN (excluded.last_ts, excluded.last_value) > (t.last_ts, t.last_value) THEN excluded.last_ts ELSE t.last_ts END,
         last_value = CASE WHEN (excluded.last_ts, excluded.last_value) > (t.last_ts, t.last_value) THEN excluded.last_value ELSE t.last_value END
       RETURNING 1
     )`;
}

interface StatePatch {
  tenantId: string;
  deviceId: string;
  lastSeen: string;
  lastTs: string;
  lastEventId: string;
  lastKind: string;
  lastAttributes: Record<string, unknown>;
  latest: Record<string, { v: number; t: number }>;
  deadbandRef: Record<string, number>;
  eventCount: number;
}

/** Folds a batch's events into one state row per device, with the same rules as the SQL merge. */
export function statePatches(
  events: readonly StoredEvent[],
  deadbandRefs: ReadonlyMap<string, Record<string, number>> = new Map(),
): StatePatch[] {
  const byDevice = new Map<string, StatePatch>();
  for (const e of events) {
    const key = contextKey(e.tenantId, e.deviceId);
    const t = Date.parse(e.ts);
    let s = byDevice.get(key);
    if (!s) {
      s = {
        tenantId: e.tenantId,
        deviceId: e.deviceId,
        lastSeen: e.receivedAt,
        lastTs: e.ts,
        lastEventId: e.eventId,
        lastKind: e.kind,
        lastAttributes: e.attributes,
        latest: {},
        deadbandRef: deadbandRefs.get(key) ?? {},
        eventCount: 0,
      };
      byDevice.set(key, s);
    }
    s.eventCount += 1;
    if (Date.parse(e.receivedAt) > Date.parse(s.lastSeen)) s.lastSeen = e.receivedAt;
    if (t >= Date.parse(s.lastTs)) {
      s.lastTs = e.ts;
      s.lastEventId = e.eventId;
      s.lastKind = e.kind;
      s.lastAttributes = e.attributes;
    }
    for (const [metric, v] of Object.entries(e.metrics)) {
      const cur = s.latest[metric];
      if (!cur || t > cur.t || (t === cur.t && v >= cur.v)) s.latest[metric] = { v, t };
    }
  }
  return [...byDevice.values()];
}
