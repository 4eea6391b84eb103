/**
 * The 1m/1h/1d rollups of a batch, folded in JS so the database upserts one row per bucket instead
 * of sorting and aggregating every point three times (#23: that was most of the batch statement's
 * time, 3× the WASM work on the embedded store). The fold gives the rows the SQL aggregation gave:
 *  - sum is exact: each value as the shortest decimal that reads back as the same double
 *    (String(number), what the SQL version sent as numeric), added as a scaled BigInt, sent as
 *    numeric text with the scale numeric's own sum would have (the largest of the inputs);
 *  - first/last are by (ts, value) with ts compared at the database's precision (microseconds, as
 *    timestamptz parses it), so the pick is the one `ORDER BY ts, f` made;
 *  - buckets are UTC (date_trunc(unit, ts, 'UTC')).
 * So any split of the same events into batches still yields the same rows (the upsert merges them).
 */

export type Grain = '1m' | '1h' | '1d';

export interface RollupPoint {
  tenantId: string;
  deviceId: string;
  metric: string;
  /** ISO time as the event carries it. */
  ts: string;
  value: number;
}

export interface RollupRow {
  grain: Grain;
  tenantId: string;
  deviceId: string;
  metric: string;
  /** ISO, UTC, truncated to the grain. */
  bucket: string;
  count: number;
  /** Exact decimal text (numeric input). */
  sum: string;
  min: number;
  max: number;
  firstTs: string;
  firstValue: number;
  lastTs: string;
  lastValue: number;
}

interface Acc {
  tenantId: string;
  deviceId: string;
  metric: string;
  bucketMs: number;
  count: number;
  /** sum = mantissa × 10^exp; a safe integer while it fits, else a BigInt */
  mantissa: number | bigint;
  exp: number;
  min: number;
  max: number;
  firstKey: number;
  firstTs: string;
  firstValue: number;
  lastKey: number;
  lastTs: string;
  lastValue: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Folds the points into one row per (grain, tenant, device, metric, bucket), sorted by key. */
export function foldRollups(points: readonly RollupPoint[]): RollupRow[] {
  const minutes = new Map<string, Acc>();
  for (const p of points) {
    // the double as the database sees it: numeric of String(v), then float8 (no -0 there)
    const value = p.value === 0 ? 0 : p.value;
    const key = tsMicros(p.ts);
    const bucketMs = Math.floor(key / 60_000_000) * 60_000;
    const k = `${p.tenantId}\u0000${p.deviceId}\u0000${p.metric}\u0000${bucketMs}`;
    const [mantissa, exp] = decimalOf(value);
    const acc = minutes.get(k);
    if (!acc) {
      minutes.set(k, {
        tenantId: p.tenantId,
        deviceId: p.deviceId,
        metric: p.metric,
        bucketMs,
        count: 1,
        mantissa,
        exp,
        min: value,
        max: value,
        firstKey: key,
        firstTs: p.ts,
        firstValue: value,
        lastKey: key,
        lastTs: p.ts,
        lastValue: value,
      });
      continue;
    }
    acc.count++;
    addDecimal(acc, mantissa, exp);
    if (value < acc.min) acc.min = value;
    if (value > acc.max) acc.max = value;
    if (key < acc.firstKey || (key === acc.firstKey && value < acc.firstValue)) {
      acc.firstKey = key;
      acc.firstTs = p.ts;
      acc.firstValue = value;
    }
    if (key > acc.lastKey || (key === acc.lastKey && value > acc.lastValue)) {
      acc.lastKey = key;
      acc.lastTs = p.ts;
      acc.lastValue = value;
    }
  }
  const hours = coarsen(minutes, HOUR);
  const days = coarsen(hours, DAY);
  const rows = [...rowsOf('1m', minutes), ...rowsOf('1h', hours), ...rowsOf('1d', days)];
  // a fixed order: concurrent batches take the rows' locks in the same order
  return rows.sort((a, b) => compare(a, b));
}

function coarsen(finer: ReadonlyMap<string, Acc>, unitMs: number): Map<string, Acc> {
  const out = new Map<string, Acc>();
  for (const a of finer.values()) {
    const bucketMs = Math.floor(a.bucketMs / unitMs) * unitMs;
    const k = `${a.tenantId}\u0000${a.deviceId}\u0000${a.metric}\u0000${bucketMs}`;
    const acc = out.get(k);
    if (!acc) {
      out.set(k, { ...a, bucketMs });
      continue;
    }
    acc.count += a.count;
    addDecimal(acc, a.mantissa, a.exp);
    if (a.min < acc.min) acc.min = a.min;
    if (a.max > acc.max) acc.max = a.max;
    if (a.firstKey < acc.firstKey || (a.firstKey === acc.firstKey && a.firstValue < acc.firstValue)) {
      acc.firstKey = a.firstKey;
      acc.firstTs = a.firstTs;
      acc.firstValue = a.firstValue;
    }
    if (a.lastKey > acc.lastKey || (a.lastKey === acc.lastKey && a.lastValue > acc.lastValue)) {
      acc.lastKey = a.lastKey;
      acc.lastTs = a.lastTs;
      acc.lastValue = a.lastValue;
    }
  }
  return out;
}

function rowsOf(grain: Grain, accs: ReadonlyMap<string, Acc>): RollupRow[] {
  return [...accs.values()].map((a) => ({
    grain,
    tenantId: a.tenantId,
    deviceId: a.deviceId,
    metric: a.metric,
    bucket: new Date(a.bucketMs).toISOString(),
    count: a.count,
    sum: formatDecimal(a.mantissa, a.exp),
    min: a.min,
    max: a.max,
    firstTs: a.firstTs,
    firstValue: a.firstValue,
    lastTs: a.lastTs,
    lastValue: a.lastValue,
  }));
}

function compare(a: RollupRow, b: RollupRow): number {
  return (
    cmp(a.grain, b.grain) ||
    cmp(a.tenantId, b.tenantId) ||
    cmp(a.deviceId, b.deviceId) ||
    cmp(a.metric, b.metric) ||
    cmp(a.bucket, b.bucket)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function addDecimal(acc: { mantissa: number | bigint; exp: number }, mantissa: number | bigint, exp: number): void {
  const k = Math.abs(exp - acc.exp);
  // fast path: integers below 2^53 add exactly as doubles; a step that would not fit goes BigInt
  if (typeof acc.mantissa === 'number' && typeof mantissa === 'number' && k <= 22) {
    const a = exp < acc.exp ? acc.mantissa * 10 ** k : acc.mantissa;
    const b = exp < acc.exp ? mantissa : mantissa * 10 ** k;
    const sum = a + b;
    if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && Number.isSafeInteger(sum)) {
      acc.mantissa = sum;
      acc.exp = Math.min(exp, acc.exp);
      return;
    }
  }
  const x = BigInt(acc.mantissa);
  const y = BigInt(mantissa);
  if (exp < acc.exp) {
    acc.mantissa = x * 10n ** BigInt(k) + y;
    acc.exp = exp;
  } else {
    acc.mantissa = x + y * 10n ** BigInt(k);
  }
}

/**
 * A finite double as mantissa × 10^exp, from its shortest decimal text: "20.5" → [205, -1],
 * "1e+21" → [1, 21], "1.5e-7" → [15, -8]. The exponent is the negated scale numeric gives that text.
 * The mantissa is a number up to 15 digits (exact), else a BigInt.
 */
export function decimalOf(value: number): [number | bigint, number] {
  const text = String(value);
  const e = text.indexOf('e');
  const digits = e < 0 ? text : text.slice(0, e);
  let exp = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = digits.indexOf('.');
  if (dot >= 0) exp -= digits.length - dot - 1;
  const whole = dot >= 0 ? digits.slice(0, dot) + digits.slice(dot + 1) : digits;
  return [whole.replace('-', '').length <= 15 ? Number(whole) : BigInt(whole), exp];
}

/** numeric input text of mantissa × 10^exp, with scale max(0, -exp) as numeric's sum keeps it. */
export function formatDecimal(value: number | bigint, exp: number): string {
  const mantissa = BigInt(value);
  if (exp >= 0) return `${mantissa}${'0'.repeat(exp)}`;
  const negative = mantissa < 0n;
  const s = (negative ? -mantissa : mantissa).toString().padStart(-exp + 1, '0');
  return `${negative ? '-' : ''}${s.slice(0, exp)}.${s.slice(exp)}`;
}

/**
 * Microseconds since the epoch, as timestamptz reads the text: the fraction of a second rounded
 * to microseconds (rint, half to even), so two times the database tells apart compare apart here.
 */
export function tsMicros(iso: string): number {
  const m = /\.(\d+)/.exec(iso);
  if (!m) return Date.parse(iso) * 1000;
  const whole = Date.parse(iso.slice(0, m.index) + iso.slice(m.index + m[0].length));
  return whole * 1000 + rint(Number(`0.${m[1]}`) * 1e6);
}

function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
