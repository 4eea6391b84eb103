/** JSON text with object keys sorted: two values are equal when their canonical texts are. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * The desired keys the device does not report with the same value (AWS IoT's "delta"): what is
 * still to be applied. Keys only the device reports (its own state) are not a difference.
 */
export function deltaOf(
  desired: Record<string, unknown>,
  reported: Record<string, unknown>,
): Record<string, { desired: unknown; reported: unknown }> {
  const out: Record<string, { desired: unknown; reported: unknown }> = {};
  for (const [key, want] of Object.entries(desired)) {
    const has = Object.hasOwn(reported, key);
    if (!has || canonical(want) !== canonical(reported[key])) {
      out[key] = { desired: want, reported: has ? reported[key] : null };
    }
  }
  return out;
}
