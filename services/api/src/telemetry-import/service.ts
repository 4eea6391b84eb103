import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AppError, canonicalJson, contentEventId, deviceTimeMs, fingerprint } from '@telemetry/contracts';
import type { Store } from '@telemetry/store';
import {
  type ConflictCandidate,
  eventKey,
  insertConflicts,
  insertSeen,
  loadSeen,
  type StoredEvent,
  writeStored,
} from '@telemetry/timeseries';

export type ImportFormat = 'csv' | 'ndjson';

interface ImportLimits {
  maxBytes: number;
  maxRows: number;
  /** Rows per transaction. */
  chunk: number;
  /** A progress line every this many lines. */
  progressEvery: number;
}

const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxBytes: 200 * 1024 * 1024,
  maxRows: 5_000_000,
  chunk: 1000,
  progressEvery: 10_000,
};

interface ImportSummary {
  accepted: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  errors: { line: number; reason: string }[];
}

interface Row {
  line: number;
  deviceId: string;
  eventId: string;
  ts: string;
  metrics: Record<string, number>;
  fingerprint: string;
}

const MAX_ERRORS = 100;
const MAX_ID = 128;

/**
 * Imports history into one tenant (#14 "History has a way in"). The body is read line by line
 * (never buffered whole), rows are stored in chunks, each chunk ONE transaction with the same
 * write API as the pipeline worker (seen marks -> dedupe/conflicts -> raw rows + rollups +
 * device state), so a re-import is all duplicates and rollups stay exact. The late window is
 * bypassed on purpose: old data is what an import is for. Between chunks the event loop is
 * yielded, since the embedded store is one session shared with the pipeline.
 */
export async function importHistory(
  store: Store,
  tenantId: string,
  format: ImportFormat,
  body: AsyncIterable<Buffer | string>,
  opts: { limits?: ImportLimits; onProgress?: (lines: number) => void; now?: () => number } = {},
): Promise<ImportSummary> {
  const limits = opts.limits ?? DEFAULT_IMPORT_LIMITS;
  const summary: ImportSummary = { accepted: 0, duplicates: 0, conflicts: 0, rejected: 0, errors: [] };
  const reject = (line: number, reason: string) => {
    summary.rejected++;
    if (summary.errors.length < MAX_ERRORS) summary.errors.push({ line, reason });
  };
  const knownDevices = new Map<string, boolean>();
  let pending: Row[] = [];
  let header: string[] | undefined;
  let lineNo = 0;
  let rows = 0;
  let bytes = 0;
  let rest = '';

  const flush = async () => {
    const chunk = pending;
    pending = [];
    if (chunk.length === 0) return;
    await storeChunk(store, tenantId, chunk, knownDevices, summary, reject, opts.now ?? Date.now);
    // bounded memory: the device cache is a hint, reloaded when it grows too big
    if (knownDevices.size > 100_000) knownDevices.clear();
    await yieldToLoop();
  };

  const handleLine = async (text: string) => {
    lineNo++;
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.trim() === '') return;
    if (format === 'csv' && header === undefined) {
      header = splitCsv(line).map((h) => h.trim());
      if (header[0] !== 'device_id' || header[1] !== 'ts' || header.length < 3)
        throw new AppError('VALIDATION_FAILED', 'CSV header must be device_id,ts,<metric columns...>[,event_id]');
      return;
    }
    rows++;
    if (rows > limits.maxRows)
      throw new AppError('TELEMETRY_TOO_LARGE', `more than ${limits.maxRows} rows; the rows before were stored`);
    const parsed = format === 'csv' ? parseCsvRow(header ?? [], line) : parseNdjsonRow(line);
    if (typeof parsed === 'string') reject(lineNo, parsed);
    else pending.push(toRow(lineNo, parsed));
    if (pending.length >= limits.chunk) await flush();
    if (rows % limits.progressEvery === 0) opts.onProgress?.(lineNo);
  };

  for await (const piece of body) {
    const s = typeof piece === 'string' ? piece : piece.toString('utf8');
    bytes += Buffer.byteLength(s);
    if (bytes > limits.maxBytes)
      throw new AppError('TELEMETRY_TOO_LARGE', `body is over ${limits.maxBytes} bytes; the rows before were stored`);
    const parts = (rest + s).split('\n');
    rest = parts.pop() ?? '';
    if (rest.length > 1024 * 1024) throw new AppError('TELEMETRY_TOO_LARGE', `line ${lineNo + 1} is over 1 MiB`);
    for (const p of parts) await handleLine(p);
  }
  if (rest !== '') await handleLine(rest);
  if (format === 'csv' && header === undefined) throw new AppError('VALIDATION_FAILED', 'empty CSV: no header row');
  await flush();
  return summary;
}

interface Parsed {
  deviceId: string;
  eventId: string | undefined;
  ts: string;
  metrics: Record<string, number>;
}

function toRow(line: number, p: Parsed): Row {
  // the pipeline's fingerprint of a device-timed telemetry event (kind, device time, metrics, attributes)
  const fp = fingerprint(canonicalJson(['telemetry', p.ts, p.metrics, {}]));
  const eventId = p.eventId ?? contentEventId(p.deviceId, 'telemetry', p.ts, canonicalJson(p.metrics));
  return { line, deviceId: p.deviceId, eventId, ts: p.ts, metrics: p.metrics, fingerprint: fp };
}

/** Minimal CSV fields: commas, with "quoted" fields ("" inside quotes is a quote). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function parseCsvRow(header: string[], line: string): Parsed | string {
  const cells = splitCsv(line);
  if (cells.length !== header.length) return `expected ${header.length} columns, got ${cells.length}`;
  const metrics: Record<string, number> = {};
  let eventId: string | undefined;
  for (let i = 2; i < header.length; i++) {
    const name = header[i] as string;
    const cell = (cells[i] ?? '').trim();
    if (name === 'event_id') {
      eventId = cell === '' ? undefined : cell;
      continue;
    }
    if (cell === '') continue;
    const v = Number(cell);
    if (!Number.isFinite(v)) return `metric ${name} is not a number`;
    metrics[name] = v;
  }
  return common((cells[0] ?? '').trim(), (cells[1] ?? '').trim(), eventId, metrics);
}

function parseNdjsonRow(line: string): Parsed | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.device_id !== 'string') return 'device_id must be a string';
  if (typeof o.ts !== 'string' && typeof o.ts !== 'number') return 'ts must be a string or a number';
  if (o.event_id !== undefined && typeof o.event_id !== 'string') return 'event_id must be a string';
  if (!o.metrics || typeof o.metrics !== 'object' || Array.isArray(o.metrics)) return 'metrics must be an object';
  const metrics: Record<string, number> = {};
  for (const [k, m] of Object.entries(o.metrics as Record<string, unknown>)) {
    if (typeof m !== 'number' || !Number.isFinite(m)) return `metric ${k} is not a number`;
    metrics[k] = m;
  }
  return common(o.device_id, o.ts, o.event_id as string | undefined, metrics);
}

function common(
  deviceId: string,
  rawTs: string | number,
  eventId: string | undefined,
  metrics: Record<string, number>,
): Parsed | string {
  if (deviceId === '' || deviceId.length > MAX_ID) return `device_id must be 1-${MAX_ID} characters`;
  if (eventId !== undefined && (eventId.length === 0 || eventId.length > MAX_ID))
    return `event_id must be 1-${MAX_ID} characters`;
  if (Object.keys(metrics).length === 0) return 'no metric values';
  let ms: number;
  try {
    ms = deviceTimeMs(rawTs);
  } catch (err) {
    return `ts: ${(err as Error).message}`;
  }
  const year = new Date(ms).getUTCFullYear();
  if (year < 1970 || year > 9999) return 'ts is out of range';
  return { deviceId, eventId, ts: new Date(ms).toISOString(), metrics };
}

/** One chunk, one transaction: tenant check of the devices, dedupe, conflicts, then the pipeline's write. */
async function storeChunk(
  store: Store,
  tenantId: string,
  chunk: Row[],
  known: Map<string, boolean>,
  summary: ImportSummary,
  reject: (line: number, reason: string) => void,
  now: () => number,
): Promise<void> {
  const unknown = [...new Set(chunk.map((r) => r.deviceId))].filter((d) => !known.has(d));
  if (unknown.length > 0) {
    const { rows } = await store.pool.query<{ id: string }>(
      'SELECT id FROM devices WHERE tenant_id = $1::uuid AND id = ANY($2::text[])',
      [tenantId, unknown],
    );
    const found = new Set(rows.map((r) => r.id));
    for (const d of unknown) known.set(d, found.has(d));
  }
  // first copy in the file wins, as the pipeline's partition order does
  const firsts = new Map<string, Row>();
  const later: Row[] = [];
  for (const r of chunk) {
    if (!known.get(r.deviceId)) {
      reject(r.line, `device ${r.deviceId} is not a device of this tenant`);
      continue;
    }
    const key = eventKey(tenantId, r.deviceId, r.eventId);
    const first = firsts.get(key);
    if (!first) firsts.set(key, r);
    else if (first.fingerprint === r.fingerprint) summary.duplicates++;
    else later.push(r);
  }
  if (firsts.size === 0 && later.length === 0) return;
  const receivedAt = new Date(now()).toISOString();
  const candidates = [...firsts.values()];
  const id = (r: Row) => ({ tenantId, deviceId: r.deviceId, eventId: r.eventId });
  await store.withTransaction(async (client) => {
    const fresh = await insertSeen(
      client,
      candidates.map((r) => ({
        ...id(r),
        ts: r.ts,
        receivedAt,
        // not from the bus: partition -1, the file's line number as the position
        srcPartition: -1,
        srcOffset: String(r.line),
        late: false,
        fingerprint: r.fingerprint,
      })),
    );
    const isFresh = (r: Row) => fresh.has(eventKey(tenantId, r.deviceId, r.eventId));
    const seenBefore = [...candidates.filter((r) => !isFresh(r)), ...later];
    const marks = await loadSeen(client, seenBefore.map(id));
    const conflicts: ConflictCandidate[] = [];
    for (const r of seenBefore) {
      const mark = marks.get(eventKey(tenantId, r.deviceId, r.eventId));
      if (!mark || mark.fingerprint === null || mark.fingerprint === r.fingerprint) {
        summary.duplicates++;
        continue;
      }
      summary.conflicts++;
      conflicts.push({
        ...id(r),
        fingerprint: r.fingerprint,
        storedFingerprint: mark.fingerprint,
        kind: 'telemetry',
        source: 'import',
        deviceTs: r.ts,
        ts: r.ts,
        receivedAt,
        metrics: r.metrics,
        attributes: {},
        srcPartition: -1,
        srcOffset: String(r.line),
      });
    }
    await insertConflicts(client, conflicts);
    const events: StoredEvent[] = candidates.filter(isFresh).map((r) => ({
      ...id(r),
      ts: r.ts,
      receivedAt,
      kind: 'telemetry',
      source: 'import',
      metrics: r.metrics,
      attributes: {},
      skewed: false,
      deviceTs: null,
      keepRaw: true,
    }));
    await writeStored(client, events);
    summary.accepted += events.length;
  });
}
