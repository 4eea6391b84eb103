/**
 * A messy telemetry stream and, computed independently in plain TS, what the store must hold after
 * it: duplicates (in one batch and across batches, some with another timestamp or payload),
 * shuffled order, late arrivals, too-late and skewed events, garbage. Values have at most two
 * decimals so sums are exact in integer hundredths.
 */
import type { TelemetryRawV1 } from '@telemetry/contracts';

export interface StreamOptions {
  tenants: string[];
  devicesPerTenant: number;
  eventsPerDevice: number;
  /** The worker's clock. */
  now: number;
  lateWindowMs: number;
  futureSkewMs: number;
  /** Distance (in messages) that makes a duplicate land in another batch. */
  batchSize: number;
  seed: number;
}

export interface Stream {
  /** Messages in publish order (JSON text, or garbage). */
  messages: { key: string; value: string }[];
  /** The first copy of each accepted event, as the store must file it. */
  stored: Map<string, { event: TelemetryRawV1; ts: number }>;
  tooLate: Set<string>;
  garbage: number;
}

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MINUTE = 60_000;
const DAY = 86_400_000;

export function buildStream(o: StreamOptions): Stream {
  const rand = rng(o.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const cents = (lo: number, hi: number) => (lo * 100 + int((hi - lo) * 100)) / 100;
  const base = o.now - 2 * DAY; // two days of data, crossing day and hour buckets
  const events: TelemetryRawV1[] = [];
  const tooLate = new Set<string>();

  for (const tenantId of o.tenants) {
    for (let d = 0; d < o.devicesPerTenant; d++) {
      const deviceId = `dev-${d}`;
      let counter = int(1000);
      for (let i = 0; i < o.eventsPerDevice; i++) {
        counter += int(5);
        if (i === Math.floor(o.eventsPerDevice / 2)) counter = int(3); // a counter reset
        const ts = base + i * 7 * MINUTE + int(6 * MINUTE) + int(1000);
        events.push(
          raw(tenantId, deviceId, `${deviceId}-${i}`, ts, ts + int(2000), { temperature: cents(-10, 40), counter }),
        );
      }
      // late arrivals: 3-5 days back (inside the window), delivered at the end
      for (let i = 0; i < 3; i++) {
        const ts = o.now - (3 + i) * DAY + int(DAY);
        events.push(
          raw(tenantId, deviceId, `${deviceId}-late-${i}`, ts, o.now - int(MINUTE), { temperature: cents(0, 10) }),
        );
      }
      // too late: beyond the window
      const old = raw(tenantId, deviceId, `${deviceId}-old`, o.now - o.lateWindowMs - DAY, o.now - MINUTE, {
        temperature: 1,
      });
      tooLate.add(key(old));
      events.push(old);
      // a skewed clock: a year ahead, filed under its receive time
      events.push(
        raw(tenantId, deviceId, `${deviceId}-skew`, o.now + 365 * DAY, o.now - 30 * MINUTE, { temperature: 5.55 }),
      );
      // a heartbeat without metrics
      events.push({ ...raw(tenantId, deviceId, `${deviceId}-hb`, base + DAY, base + DAY, {}), kind: 'status' });
    }
  }

  // shuffle all but the late arrivals' relative position (they go last)
  const late = events.filter((e) => e.eventId.includes('-late-'));
  const rest = events.filter((e) => !e.eventId.includes('-late-'));
  for (let i = rest.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [rest[i], rest[j]] = [rest[j] as TelemetryRawV1, rest[i] as TelemetryRawV1];
  }
  const ordered: (TelemetryRawV1 | string)[] = [...rest, ...late];

  // duplicates, 20 % of the stream: half right after the original (same batch), half far later
  // (another batch); a third of them with another timestamp and payload (still the same event)
  const dupCount = Math.round(events.length * 0.25);
  for (let n = 0; n < dupCount; n++) {
    const idx = int(ordered.length);
    const original = ordered[idx];
    if (original === undefined || typeof original === 'string') continue;
    let copy: TelemetryRawV1 = { ...original };
    if (n % 3 === 0)
      copy = { ...copy, ts: iso(Date.parse(copy.ts) + 1000 + int(MINUTE)), metrics: { temperature: cents(50, 60) } };
    const at = n % 2 === 0 ? idx + 1 : Math.min(ordered.length, idx + o.batchSize + 1 + int(o.batchSize * 2));
    ordered.splice(at, 0, copy);
  }
  ordered.splice(int(ordered.length), 0, '{"not json');
  ordered.splice(int(ordered.length), 0, JSON.stringify({ v: 1, tenantId: o.tenants[0], deviceId: 'x' }));

  // what the store must hold: the first copy in publish order per device (Kafka key = device)
  const stored = new Map<string, { event: TelemetryRawV1; ts: number }>();
  for (const m of ordered) {
    if (typeof m === 'string') continue;
    const k = key(m);
    if (tooLate.has(k) || stored.has(k)) continue;
    const t = Date.parse(m.ts);
    const received = Date.parse(m.receivedAt);
    stored.set(k, { event: m, ts: t > received + o.futureSkewMs ? received : t });
  }
  return {
    messages: ordered.map((m) =>
      typeof m === 'string' ? { key: 'garbage', value: m } : { key: m.deviceId, value: JSON.stringify(m) },
    ),
    stored,
    tooLate,
    garbage: 2,
  };
}

export function key(e: { tenantId: string; deviceId: string; eventId: string }): string {
  return `${e.tenantId}|${e.deviceId}|${e.eventId}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function raw(
  tenantId: string,
  deviceId: string,
  eventId: string,
  ts: number,
  receivedAt: number,
  metrics: Record<string, number>,
): TelemetryRawV1 {
  return {
    v: 1,
    tenantId,
    deviceId,
    eventId,
    kind: 'telemetry',
    ts: iso(ts),
    receivedAt: iso(receivedAt),
    source: 'mqtt',
    metrics,
    attributes: {},
    trace: { bus: receivedAt },
  };
}

export interface ExpectedRollup {
  count: number;
  /** Exact sum in hundredths. */
  sumCents: bigint;
  min: number;
  max: number;
  first: [number, number];
  last: [number, number];
}

/** Rollups of the stored events, per "tenant|device|metric|bucketISO", for one bucket width. */
export function expectedRollups(
  stored: Stream['stored'],
  unit: 'minute' | 'hour' | 'day',
): Map<string, ExpectedRollup> {
  const width = unit === 'minute' ? MINUTE : unit === 'hour' ? 60 * MINUTE : DAY;
  const out = new Map<string, ExpectedRollup>();
  for (const { event, ts } of stored.values()) {
    for (const [metric, value] of Object.entries(event.metrics)) {
      const bucket = new Date(Math.floor(ts / width) * width).toISOString();
      const k = `${event.tenantId}|${event.deviceId}|${metric}|${bucket}`;
      const cur = out.get(k);
      const c = BigInt(Math.round(value * 100));
      if (!cur) {
        out.set(k, { count: 1, sumCents: c, min: value, max: value, first: [ts, value], last: [ts, value] });
        continue;
      }
      cur.count++;
      cur.sumCents += c;
      cur.min = Math.min(cur.min, value);
      cur.max = Math.max(cur.max, value);
      if (ts < cur.first[0] || (ts === cur.first[0] && value < cur.first[1])) cur.first = [ts, value];
      if (ts > cur.last[0] || (ts === cur.last[0] && value > cur.last[1])) cur.last = [ts, value];
    }
  }
  return out;
}

/** A numeric's text ("-12.3", "7", "0.05") in exact hundredths; throws on finer digits. */
export function centsOf(text: string): bigint {
  const neg = text.startsWith('-');
  const [whole = '0', frac = ''] = (neg ? text.slice(1) : text).split('.');
  if (frac.replace(/0+$/, '').length > 2) throw new Error(`${text} has more than two decimals`);
  const v = BigInt(whole) * 100n + BigInt(`${frac}00`.slice(0, 2));
  return neg ? -v : v;
}
