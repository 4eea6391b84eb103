/**
 * The aggregator seed's timestamps: Python's `datetime.isoformat()` of an aware UTC time,
 * `2021-01-01T00:00:00+00:00` (fractional seconds only when there are any), where JSON.stringify
 * would give `2021-01-01T00:00:00.000Z`. The same instant; the seed's clients compare strings.
 */
export function seedTime(t: Date | string): string {
  const iso = (typeof t === 'string' ? new Date(t) : t).toISOString();
  return iso.replace(/\.000Z$/, '+00:00').replace(/Z$/, '+00:00');
}
