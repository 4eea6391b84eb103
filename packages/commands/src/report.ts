/** What a device says it applied: the desired version and the attributes (null removes one). */
export interface Report {
  version: number;
  reported: Record<string, unknown>;
}

const KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const MAX_KEYS = 64;
const MAX_BYTES = 8_192;

/** Why a set of attributes is refused (undefined when fine): bounded keys, count and size. */
export function attributesProblem(a: Record<string, unknown>): string | undefined {
  const keys = Object.keys(a);
  if (keys.length > MAX_KEYS) return `at most ${MAX_KEYS} attributes`;
  const bad = keys.find((k) => !KEY.test(k));
  if (bad !== undefined) return `attribute name "${bad.slice(0, 70)}": letters, digits, _ . -, starting with a letter`;
  if (Buffer.byteLength(JSON.stringify(a)) > MAX_BYTES) return `attributes larger than ${MAX_BYTES} bytes`;
  return undefined;
}

/**
 * `{"version": N, "reported": {...}}` as sent on devices/{id}/reported or POSTed over HTTP.
 * Returns a reason when the payload is not a report.
 */
export function parseReport(payload: Buffer | string | unknown): Report | { invalid: string } {
  let v: unknown = payload;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    try {
      v = JSON.parse(payload.toString());
    } catch {
      return { invalid: 'report is not JSON' };
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { invalid: 'report is not a JSON object' };
  const o = v as Record<string, unknown>;
  if (typeof o.version !== 'number' || !Number.isSafeInteger(o.version) || o.version < 0)
    return { invalid: 'report has no desired version ("version", a whole number >= 0)' };
  const reported = o.reported;
  if (typeof reported !== 'object' || reported === null || Array.isArray(reported))
    return { invalid: 'report has no "reported" object' };
  const problem = attributesProblem(reported as Record<string, unknown>);
  if (problem) return { invalid: `reported: ${problem}` };
  return { version: o.version, reported: reported as Record<string, unknown> };
}
