import { describe, expect, it } from 'vitest';
import { formatAgo, formatZoned, fromZonedInput, toZonedInput, tzOffsetMs } from './time.js';

describe('time zones', () => {
  it('computes offsets, including DST', () => {
    expect(tzOffsetMs(Date.UTC(2025, 0, 15, 12), 'Europe/Berlin')).toBe(3_600_000);
    expect(tzOffsetMs(Date.UTC(2025, 6, 15, 12), 'Europe/Berlin')).toBe(7_200_000);
    expect(tzOffsetMs(Date.UTC(2025, 6, 15, 12), 'UTC')).toBe(0);
    expect(tzOffsetMs(Date.UTC(2025, 6, 15, 12), 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
  });

  it('round-trips datetime-local values in the site zone', () => {
    const t = Date.UTC(2025, 2, 30, 0, 30); // 01:30 CET, 30 min before the spring-forward gap
    expect(toZonedInput(t, 'Europe/Berlin')).toBe('2025-03-30T01:30');
    expect(fromZonedInput('2025-03-30T01:30', 'Europe/Berlin')).toBe(t);
    expect(fromZonedInput('2025-07-01T09:15', 'America/New_York')).toBe(Date.UTC(2025, 6, 1, 13, 15));
    expect(fromZonedInput('2025-07-01T09:15', 'UTC')).toBe(Date.UTC(2025, 6, 1, 9, 15));
    expect(fromZonedInput('nonsense', 'UTC')).toBeNaN();
  });

  it('takes the earlier instant in a DST overlap', () => {
    // 02:30 happens twice in Berlin on 2025-10-26; the first is 00:30 UTC.
    expect(fromZonedInput('2025-10-26T02:30', 'Europe/Berlin')).toBe(Date.UTC(2025, 9, 26, 0, 30));
  });

  it('says how long ago', () => {
    const now = Date.UTC(2025, 0, 1, 12);
    expect(formatAgo(now - 2_000, now)).toBe('just now');
    expect(formatAgo(now - 90_000, now)).toBe('1 min ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3 d ago');
    expect(formatAgo(null, now)).toBe('never');
  });

  it('shows an instant in the site’s zone with the zone named (#21)', () => {
    const t = Date.UTC(2025, 0, 15, 12, 0, 5);
    // the hour as the locale writes it (13:00:05 or 1:00:05 PM), the zone always named
    expect(formatZoned(t, 'Europe/Berlin')).toMatch(/\b(13|1):00:05\b.* CET$/);
    expect(formatZoned(t, 'UTC')).toMatch(/\b(12):00:05\b.* UTC$/);
    expect(formatZoned(t, 'Not/AZone')).toMatch(/UTC$/);
    expect(formatZoned(null, 'UTC')).toBe('—');
  });
});
