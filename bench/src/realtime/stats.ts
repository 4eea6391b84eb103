/** p50/p90/p99/max of latency samples (ms), rounded to 0.1 ms; zeros when there are none. */
export function percentiles(samples: number[]): { p50: number; p90: number; p99: number; max: number; n: number } {
  if (samples.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0, n: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    p50: r(at(0.5)),
    p90: r(at(0.9)),
    p99: r(at(0.99)),
    max: r(sorted[sorted.length - 1] ?? 0),
    n: samples.length,
  };
}
