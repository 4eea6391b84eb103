import { AppError } from '@telemetry/contracts';
import type { Queryable } from '../db.js';
import { assertTenant, toDate } from './validate.js';

export type RawKind = 'telemetry' | 'event' | 'status';

export interface RawEventsQuery {
  tenantId: string;
  deviceId?: string;
  deviceIds?: readonly string[];
  /** Range of device time [from, to). */
  from?: Date | string;
  to?: Date | string;
  /** Shorthand for from = now - days (the ozone seed's `days`); ignored when `from` is given. */
  days?: number;
  /** Default: every kind. */
  kinds?: readonly RawKind[];
  /** Drop kind=status (the ozone seed's exclude_status heartbeats). */
  excludeStatus?: boolean;
  /** Page size, 1..1000, default 100. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string | null;
  /** For `days`; default Date.now. */
  now?: () => number;
}

export interface RawEvent {
  deviceId: string;
  eventId: string;
  /** Time the event is filed under (device time; receive time when the device clock was skewed). */
  ts: string;
  receivedAt: string;
  kind: RawKind;
  source: string;
  metrics: Record<string, number>;
  attributes: Record<string, unknown>;
  skewed: boolean;
  /** The device's own (skewed) time when it differs from ts. */
  deviceTs: string | null;
}

export interface RawEventsPage {
  items: RawEvent[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const COLUMNS = `device_id, event_id, ts, received_at, kind, source, metrics, attributes, skewed, device_ts,
  to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts_key`;

/**
 * Stored raw events, newest first, paginated by keyset on (ts, device_id, event_id): pages stay
 * stable while new events arrive. Rows suppressed by a deadband are not here (their readings are in
 * the rollups and device state). Readings live in telemetry_raw, events and heartbeats in device_events.
 */
export async function listRawEvents(db: Queryable, q: RawEventsQuery): Promise<RawEventsPage> {
  assertTenant(q.tenantId);
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new AppError('VALIDATION_FAILED', 'limit must be an integer from 1 to 1000', { details: { field: 'limit' } });
  }
  let kinds = new Set<RawKind>(q.kinds ?? ['telemetry', 'event', 'status']);
  if (q.excludeStatus) kinds.delete('status');
  kinds = new Set([...kinds].filter((k) => k === 'telemetry' || k === 'event' || k === 'status'));
  if (kinds.size === 0) return { items: [], nextCursor: null };

  const params: unknown[] = [q.tenantId];
  const p = (v: unknown) => `$${params.push(v)}`;
  let where = 'tenant_id = $1';
  const devices = q.deviceIds ? [...q.deviceIds] : q.deviceId ? [q.deviceId] : undefined;
  if (devices) where += ` AND device_id = ANY(${p(devices)}::text[])`;
  const from = q.from
    ? toDate(q.from, 'from')
    : q.days !== undefined
      ? new Date((q.now ?? Date.now)() - daysMs(q.days))
      : undefined;
  if (from) where += ` AND ts >= ${p(from.toISOString())}`;
  if (q.to) where += ` AND ts < ${p(toDate(q.to, 'to').toISOString())}`;
  where += ` AND kind = ANY(${p([...kinds])}::text[])`;
  if (q.cursor) {
    const [ts, deviceId, eventId] = decodeCursor(q.cursor);
    where += ` AND (ts, device_id, event_id) < (${p(ts)}::timestamptz, ${p(deviceId)}, ${p(eventId)})`;
  }
  const order = 'ORDER BY ts DESC, device_id DESC, event_id DESC';
  const lim = p(limit + 1);
  const parts: string[] = [];
  if (kinds.has('telemetry')) parts.push(`(SELECT ${COLUMNS} FROM telemetry_raw WHERE ${where} ${order} LIMIT ${lim})`);
  if (kinds.has('event') || kinds.has('status')) {
    parts.push(`(SELECT ${COLUMNS} FROM device_events WHERE ${where} ${order} LIMIT ${lim})`);
  }
  const { rows } = await db.query<{
    device_id: string;
    event_id: string;
    ts: Date;
    received_at: Date;
    kind: RawKind;
    source: string;
    metrics: Record<string, number>;
    attributes: Record<string, unknown>;
    skewed: boolean;
    device_ts: Date | null;
    ts_key: string;
  }>(`SELECT * FROM (${parts.join(' UNION ALL ')}) u ${order} LIMIT ${lim}`, params);

  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      deviceId: r.device_id,
      eventId: r.event_id,
      ts: r.ts.toISOString(),
      receivedAt: r.received_at.toISOString(),
      kind: r.kind,
      source: r.source,
      metrics: r.metrics,
      attributes: r.attributes,
      skewed: r.skewed,
      deviceTs: r.device_ts ? r.device_ts.toISOString() : null,
    })),
    // ts_key keeps microseconds, which a JS Date would drop (and the keyset would then skip rows)
    nextCursor: rows.length > limit && last ? encodeCursor([last.ts_key, last.device_id, last.event_id]) : null,
  };
}

function daysMs(days: number): number {
  if (!Number.isFinite(days) || days <= 0 || days > 3660) {
    throw new AppError('VALIDATION_FAILED', 'days must be a positive number up to 3660', {
      details: { field: 'days' },
    });
  }
  return days * 86_400_000;
}

function encodeCursor(key: [string, string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 3 && key.every((k) => typeof k === 'string')) {
      if (!Number.isNaN(Date.parse(key[0] as string))) return key as [string, string, string];
    }
  } catch {
    // falls through to the error below
  }
  throw new AppError('VALIDATION_FAILED', 'cursor is not one this API returned', { details: { field: 'cursor' } });
}
