/**
 * Device time as firmware sends it, told apart by one documented rule (see #14):
 *
 *  - a number (or a string of digits) is epoch time; its unit is read from its magnitude:
 *      |n| <  1e11  -> seconds       (1e11 s is the year 5138; 1e11 ms would be 1973-03-03)
 *      |n| <  1e14  -> milliseconds  (up to the year 5138)
 *      otherwise    -> refused (microseconds and nanoseconds are ambiguous enough to want a decoder
 *                      that says so: `ts.unit` "us" / "ns")
 *    Fractions are kept (1700000000.25 s = ...00.250Z).
 *  - a string with a date is ISO 8601; without a zone it is UTC, as the seeds' firmware means
 *    ("2024-01-15 14:30:25" is accepted too).
 *
 * A decoder may pin the unit ("s", "ms", "us", "ns", "iso") instead of "auto".
 */
export type TimeUnit = 'auto' | 's' | 'ms' | 'us' | 'ns' | 'iso';

const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const DIGITS = /^\s*-?\d+(\.\d+)?\s*$/;
const FACTOR: Record<'s' | 'ms' | 'us' | 'ns', number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

/**
 * Device clocks that were never set (no RTC, no NTP yet) count from 1970 or 2000: anything before
 * 2000-01-01 is taken as "no wall clock" by the edges (see `isWallClock`), not as a 1970 reading.
 */
export const WALL_CLOCK_FROM_MS = Date.UTC(2000, 0, 1);

/** Epoch milliseconds of a device time, or a RangeError saying why it is not one. */
export function deviceTimeMs(value: string | number, unit: TimeUnit = 'auto'): number {
  if (typeof value === 'number' || (unit !== 'iso' && DIGITS.test(value))) {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n)) throw new RangeError('device time is not a finite number');
    if (unit === 'iso') throw new RangeError('device time must be an ISO 8601 string');
    let ms: number;
    if (unit === 'auto') {
      const abs = Math.abs(n);
      if (abs < SECONDS_BELOW) ms = n * 1000;
      else if (abs < MILLIS_BELOW) ms = n;
      else throw new RangeError('device time is neither epoch seconds nor milliseconds (set the decoder ts unit)');
    } else {
      ms = n * FACTOR[unit];
    }
    return checked(Math.round(ms));
  }
  if (unit !== 'auto' && unit !== 'iso') throw new RangeError(`device time must be a number of ${unit}`);
  const hasZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(value);
  // "2024-01-15 14:30:25" (legacy firmware) -> ISO
  const iso = value.includes('T') ? value : value.replace(' ', 'T');
  return checked(new Date(hasZone ? iso : `${iso}Z`).getTime());
}

function checked(ms: number): number {
  // Date's own range; the raw schema later refuses what is outside years 0000-9999
  if (Number.isNaN(ms) || Math.abs(ms) > 8.64e15) throw new RangeError('device time is not a valid date');
  return ms;
}

/** Parses device time to ISO 8601 UTC (undefined stays undefined). */
export function parseDeviceTime(value: string | number | undefined, unit: TimeUnit = 'auto'): string | undefined {
  if (value === undefined) return undefined;
  return new Date(deviceTimeMs(value, unit)).toISOString();
}

/** True when a device time reads as a set clock (on or after 2000-01-01), not an uptime counter. */
export function isWallClock(ms: number): boolean {
  return ms >= WALL_CLOCK_FROM_MS;
}
