import { type CompiledDecoder, DEFAULT_COMPILED_DECODER } from './decoder.js';
import { deviceTimeMs, isWallClock } from './device-time.js';
import { arrivalEventId, canonicalJson, contentEventId, fingerprint } from './event-id.js';
import type { DeadReason, EventKind, Metrics } from './messages.js';

/** Where a decoded event's id came from (event-id.ts has the rule). */
export type IdSource = 'device' | 'content' | 'arrival';

export interface DecodedPayload {
  eventId: string;
  idSource: IdSource;
  kind: EventKind;
  /** ISO 8601 UTC device time; undefined when the device sent none or its clock was never set. */
  ts: string | undefined;
  metrics: Metrics;
  attributes: Record<string, unknown>;
  /** Fingerprint of the canonical payload, set for arrival ids (the gateway's resend memory keys on it). */
  contentHash: string | undefined;
}

export type DecodeResult =
  | { ok: true; event: DecodedPayload }
  | { ok: false; reason: DeadReason; detail: string; eventId: string | null };

export interface DecodeInput {
  deviceId: string;
  kind: EventKind;
  payload: Buffer | string;
  receivedAt: Date;
  decoder?: CompiledDecoder;
  /** Ignore the device time for the id (a Last Will: fixed at CONNECT, it may fire many times). */
  arrivalId?: boolean;
}

const MAX_DEPTH = 8;
const MAX_ID = 128;
const MAX_METRIC_NAME = 64;
const NUMERIC = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;
const KV_KEY = /^[A-Za-z0-9_.\-[\]]{1,64}$/;

/**
 * One device payload -> the edge's view of an event, or a dead-letter reason. Pure and
 * deterministic: the same bytes, device, kind, receive time and decoder give the same event.
 * Never throws.
 */
export function decodeDevicePayload(input: DecodeInput): DecodeResult {
  const decoder = input.decoder ?? DEFAULT_COMPILED_DECODER;
  const text = typeof input.payload === 'string' ? input.payload : input.payload.toString('utf8');
  const parsed = parsePayload(text, decoder.format);
  if (!parsed.ok) return { ok: false, reason: 'not_json', detail: parsed.detail, eventId: null };

  let body: Record<string, unknown>;
  const value = parsed.value;
  if (isObject(value)) body = value;
  else {
    const n = toNumber(value);
    if (n === undefined) {
      return {
        ok: false,
        reason: 'schema_invalid',
        detail: '(root): payload must be a JSON object, a number or key=value pairs',
        eventId: null,
      };
    }
    body = { [decoder.value]: n };
  }

  const fail = (reason: DeadReason, detail: string, eventId: string | null = null): DecodeResult => ({
    ok: false,
    reason,
    detail,
    eventId,
  });

  // event id
  let eventId: string | undefined;
  let idPath: string | undefined;
  for (const path of decoder.idPaths) {
    const v = at(body, path);
    if (v === undefined || v === null) continue;
    idPath = path.join('.');
    if (typeof v === 'number' && Number.isFinite(v)) eventId = String(v);
    else if (typeof v === 'string' && v.length > 0) eventId = v;
    else return fail('schema_invalid', `${idPath}: event id must be a non-empty string or a number`);
    if (eventId.length > MAX_ID) return fail('schema_invalid', `${idPath}: event id longer than ${MAX_ID}`);
    break;
  }
  if (eventId === undefined && decoder.requireEventId) {
    return fail('no_event_id', `event id required by the decoder (${decoder.spec.eventId.join(', ')})`);
  }

  // device time
  let tsMs: number | undefined;
  let tsPath: string | undefined;
  let clockNotSet = false;
  for (const path of decoder.tsPaths) {
    const v = at(body, path);
    if (v === undefined || v === null) continue;
    tsPath = path.join('.');
    if (typeof v !== 'string' && typeof v !== 'number') {
      return fail('schema_invalid', `${tsPath}: device time must be a string or a number`, eventId ?? null);
    }
    try {
      tsMs = deviceTimeMs(v, decoder.tsUnit);
    } catch (err) {
      return fail('schema_invalid', `${tsPath}: ${(err as Error).message}`, eventId ?? null);
    }
    if (!isWallClock(tsMs)) {
      // an uptime counter or an unset RTC: kept as an attribute, the edge files it at receive time
      clockNotSet = true;
      tsMs = undefined;
    }
    break;
  }

  const metrics: Metrics = {};
  const attributes: Record<string, unknown> = {};
  const consumed = new Set<string>();
  if (idPath) consumed.add(idPath);
  if (tsPath && !clockNotSet) consumed.add(tsPath);
  const problem = walk(decoder, consumed, body, '', '', 0, metrics, attributes);
  if (problem) return fail('schema_invalid', problem, eventId ?? null);

  const ts = tsMs === undefined ? undefined : new Date(tsMs).toISOString();
  let idSource: IdSource = 'device';
  let contentHash: string | undefined;
  if (eventId === undefined) {
    const canonical = canonicalJson(value);
    if (ts !== undefined && !input.arrivalId) {
      eventId = contentEventId(input.deviceId, input.kind, ts, canonical);
      idSource = 'content';
    } else {
      eventId = arrivalEventId(input.deviceId, input.kind, input.receivedAt.getTime(), canonical);
      idSource = 'arrival';
      contentHash = fingerprint(canonical);
    }
  }
  return { ok: true, event: { eventId, idSource, kind: input.kind, ts, metrics, attributes, contentHash } };
}

/** Returns a problem (-> schema_invalid) or undefined. */
function walk(
  d: CompiledDecoder,
  consumed: ReadonlySet<string>,
  obj: Record<string, unknown>,
  pathPrefix: string,
  namePrefix: string,
  depth: number,
  metrics: Metrics,
  attributes: Record<string, unknown>,
): string | undefined {
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const v = obj[key];
    const path = pathPrefix ? `${pathPrefix}.${key}` : key;
    if (consumed.has(path) || d.ignore.has(path)) continue;
    // an id or time candidate not used for this message (a second one): data, not a metric
    if (d.attributes.has(path) || d.reserved.has(path)) {
      put(attributes, path, v);
      continue;
    }
    const mapping = d.mapped.get(path);
    if (mapping) {
      const n = toNumber(v);
      if (n === undefined) put(attributes, path, v);
      else put(metrics, mapping.name, n * mapping.scale + mapping.offset);
      continue;
    }
    if (isObject(v) && depth < MAX_DEPTH) {
      const container = d.containers.has(path);
      const problem = walk(
        d,
        consumed,
        v,
        path,
        container ? namePrefix : `${namePrefix}${key}.`,
        depth + 1,
        metrics,
        attributes,
      );
      if (problem) return problem;
      continue;
    }
    const n = d.flatten ? toNumber(v) : undefined;
    if (n === undefined) {
      put(attributes, path, v);
      continue;
    }
    const name = `${namePrefix}${key}`;
    if (name.length > MAX_METRIC_NAME) return `${path}: metric name longer than ${MAX_METRIC_NAME} characters`;
    put(metrics, name, n);
  }
  return undefined;
}

function at(obj: Record<string, unknown>, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isObject(cur) || !Object.hasOwn(cur, p)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Numbers, numeric strings ("22.0") and booleans (0/1) are metric values; anything else is not. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.length <= 64 && NUMERIC.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** `__proto__` from JSON is an own key: defined, never assigned (assignment would set a prototype). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true });
  else target[key] = value;
}

type Parsed = { ok: true; value: unknown } | { ok: false; detail: string };

function parsePayload(text: string, format: CompiledDecoder['format']): Parsed {
  if (format === 'kv') return parseKv(text) ?? { ok: false, detail: 'payload is not key=value pairs' };
  const first = firstChar(text);
  const jsonLike = first === '{' || first === '[' || first === '"' || first === '-' || (first >= '0' && first <= '9');
  const literal = first === 't' || first === 'f' || first === 'n';
  if (jsonLike || literal || format !== 'auto') {
    try {
      const value: unknown = JSON.parse(text);
      if (format === 'number' && toNumber(value) === undefined) return { ok: false, detail: 'payload is not a number' };
      return { ok: true, value };
    } catch (err) {
      if (format !== 'auto' || jsonLike) return { ok: false, detail: (err as Error).message };
    }
  }
  return (
    parseKv(text) ?? {
      ok: false,
      detail: 'payload is neither JSON, a number nor key=value pairs',
    }
  );
}

function firstChar(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') return c;
  }
  return '';
}

/** `t=22.1&h=40`, `t=22.1,h=40`, `t=22.1;h=40` or one pair per line; values URL-decoded. */
function parseKv(text: string): Parsed | undefined {
  const out: Record<string, unknown> = {};
  let pairs = 0;
  for (const raw of text.split(/[&,;\r\n]/)) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = decode(part.slice(0, eq).trim());
    if (!KV_KEY.test(key)) return undefined;
    put(out, key, decode(part.slice(eq + 1).trim()));
    pairs++;
  }
  return pairs > 0 ? { ok: true, value: out } : undefined;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
