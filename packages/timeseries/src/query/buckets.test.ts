import { describe, expect, it } from 'vitest';
import { assertBucketCount, parseBucket } from './buckets.js';

const at = (iso: string) => new Date(iso);

describe('assertBucketCount', () => {
  it('refuses 130 years of calendar days, weeks or months beyond the limit, before any SQL', () => {
    const from = at('1970-01-01T00:00:00Z');
    const to = at('2100-01-01T00:00:00Z');
    expect(() => assertBucketCount(parseBucket('1d'), from, to, { max: 10_000 })).toThrow(/more than 10000 1d buckets/);
    expect(() => assertBucketCount(parseBucket('1w'), from, to, { max: 1_000 })).toThrow(/buckets/);
    expect(() => assertBucketCount(parseBucket('1M'), from, to, { max: 1_000 })).toThrow(/buckets/);
    expect(() => assertBucketCount(parseBucket('1m'), from, to, { max: 100_000 })).toThrow(/buckets/);
  });

  it('passes every range that holds no more buckets than the limit, DST days and long months included', () => {
    // exactly 31 days of 1d buckets, 12 months, 366 days of 1d
    expect(() =>
      assertBucketCount(parseBucket('1d'), at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z'), { max: 31 }),
    ).not.toThrow();
    expect(() =>
      assertBucketCount(parseBucket('1M'), at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'), { max: 12 }),
    ).not.toThrow();
    expect(() =>
      assertBucketCount(parseBucket('7d'), at('2024-01-01T00:00:00Z'), at('2025-01-01T00:00:00Z'), { max: 53 }),
    ).not.toThrow();
    expect(() =>
      assertBucketCount(parseBucket('15m'), at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), { max: 96 }),
    ).not.toThrow();
    expect(() =>
      assertBucketCount(parseBucket('15m'), at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), { max: 95 }),
    ).toThrow(/more than 95 15m buckets/);
  });
});
