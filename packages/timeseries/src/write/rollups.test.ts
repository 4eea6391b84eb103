import { describe, expect, it } from 'vitest';
import { decimalOf, foldRollups, formatDecimal, tsMicros } from './rollups.js';

const T = '00000000-0000-4000-8000-000000000001';

describe('foldRollups', () => {
  it('sums exactly, as numeric would (0.1 + 0.2 is 0.3, scale of the widest input)', () => {
    const rows = foldRollups(
      [0.1, 0.2, 1e21, 1.5e-7, -3].map((value, i) => ({
        tenantId: T,
        deviceId: 'd',
        metric: 'm',
        ts: `2026-01-01T00:00:0${i}.000Z`,
        value,
      })),
    );
    const m = rows.find((r) => r.grain === '1m');
    expect(m?.sum).toBe('999999999999999999997.30000015');
    expect(rows.map((r) => [r.grain, r.bucket, r.count])).toEqual([
      ['1d', '2026-01-01T00:00:00.000Z', 5],
      ['1h', '2026-01-01T00:00:00.000Z', 5],
      ['1m', '2026-01-01T00:00:00.000Z', 5],
    ]);
    expect([m?.min, m?.max, m?.firstValue, m?.lastValue]).toEqual([-3, 1e21, 0.1, -3]);
  });

  it('falls back to BigInt where a double sum would round, and stays exact', () => {
    const values = [9007199254740991, 9007199254740991, 0.001, -1e-9];
    const rows = foldRollups(
      values.map((value, i) => ({ tenantId: T, deviceId: 'd', metric: 'm', ts: `2026-01-01T00:00:0${i}Z`, value })),
    );
    expect(rows.find((r) => r.grain === '1d')?.sum).toBe('18014398509481982.000999999');
  });

  it('picks first/last by (ts, value) at microsecond precision, buckets in UTC', () => {
    const p = (ts: string, value: number) => ({ tenantId: T, deviceId: 'd', metric: 'm', ts, value });
    const rows = foldRollups([
      p('2026-01-01T10:59:59.0000015+01:00', 5),
      p('2026-01-01T09:59:59.000001Z', 7),
      p('2026-01-01T09:59:59.000002Z', 1),
      p('2026-01-01T10:00:00Z', 2),
    ]);
    const m = rows.filter((r) => r.grain === '1m');
    expect(m.map((r) => [r.bucket, r.count])).toEqual([
      ['2026-01-01T09:59:00.000Z', 3],
      ['2026-01-01T10:00:00.000Z', 1],
    ]);
    // .0000015 rounds half to even: 2 µs, a tie with the 1 there; the greater value is last
    expect([m[0]?.firstValue, m[0]?.lastValue, m[0]?.lastTs]).toEqual([7, 5, '2026-01-01T10:59:59.0000015+01:00']);
    const h = rows.filter((r) => r.grain === '1h');
    expect(h.map((r) => [r.bucket, r.count, r.sum])).toEqual([
      ['2026-01-01T09:00:00.000Z', 3, '13'],
      ['2026-01-01T10:00:00.000Z', 1, '2'],
    ]);
  });

  it('decimal helpers', () => {
    expect(decimalOf(20.5)).toEqual([205, -1]);
    expect(decimalOf(-1.5e-7)).toEqual([-15, -8]);
    expect(decimalOf(1234567890123456.8)).toEqual([12345678901234568n, -1]);
    expect(formatDecimal(-5n, -3)).toBe('-0.005');
    expect(formatDecimal(12n, 2)).toBe('1200');
    expect(tsMicros('1970-01-01T00:00:01.5Z')).toBe(1_500_000);
  });
});
