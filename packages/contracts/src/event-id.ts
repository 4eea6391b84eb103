import { createHash } from 'node:crypto';

/**
 * Event ids for firmware that sends none (see #14 and docs in packages/contracts/README.md).
 *
 * The rule has to give a QoS 1 resend the id of its first copy (stored once) and two different
 * readings different ids (never merged). What a device sends decides which id it gets:
 *
 *  - a set device clock: `c-` + hash(device, kind, device time, canonical payload). A resend is the
 *    same bytes, so the same id, whenever and through whichever edge it arrives. Two readings that
 *    differ in time or in any value differ in id. Two readings with the same time AND the same values
 *    are indistinguishable in content, and are one event (that is what they say).
 *  - no device time (or a clock that was never set): the content cannot tell a resend from a new
 *    reading of the same value, so the id is `a-` + hash(device, kind, receive time in ms, canonical
 *    payload): two readings are never merged (even with equal values) unless they arrive in the
 *    same millisecond with the same bytes. A resend would get a new id from its later arrival, so the
 *    MQTT gateway remembers, per device, the id it gave each QoS 1 packet id until that packet id is
 *    reused: a PUBLISH with DUP=1, the same packet id and the same payload gets the first copy's id.
 *    What this cannot cover: a resend after that memory was lost (gateway restart, or a reconnect to
 *    another gateway instance) is stored again. Firmware that needs exactly-once across those should
 *    send a `ts` (or an `event_id`); the tradeoff is documented in the README.
 */
export function contentEventId(deviceId: string, kind: string, tsIso: string, canonicalPayload: string): string {
  return `c-${digest(`${deviceId}|${kind}|${tsIso}|${canonicalPayload}`)}`;
}

export function arrivalEventId(deviceId: string, kind: string, receivedAtMs: number, canonicalPayload: string): string {
  return `a-${digest(`${deviceId}|${kind}|${receivedAtMs}|${canonicalPayload}`)}`;
}

/** Deterministic id from parts (the seeds' formats: legacy form, readings, levels, wills). */
export function derivedEventId(...parts: (string | number | undefined)[]): string {
  return `h-${createHash('sha256').update(parts.map(String).join('|')).digest('hex').slice(0, 32)}`;
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

/** A short hash of a string (a payload's canonical form): equal content, equal fingerprint. */
export function fingerprint(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 22);
}

/**
 * JSON with object keys sorted at every level: the same value whatever the key order or the
 * whitespace of the bytes it was parsed from. Undefined members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}
