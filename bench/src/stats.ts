/** Latency summary of one series of samples (ms), rounded to 0.1 ms; zeros when there are none. */
export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(samples: ArrayLike<number>): Percentiles {
  if (samples.length === 0) return { n: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  // nearest-rank: the smallest sample with at least q of the samples at or below it
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: sorted.length,
    p50: r(at(0.5)),
    p90: r(at(0.9)),
    p99: r(at(0.99)),
    max: r(sorted[sorted.length - 1] ?? 0),
  };
}

/**
 * A bounded sample of a stream: the first `capacity` values, then reservoir sampling (Algorithm R),
 * so a 20 s step at 20k msg/s does not keep 400k numbers per series in a child's heap.
 */
export class Reservoir {
  readonly values: number[] = [];
  seen = 0;
  constructor(private readonly capacity = 100_000) {}

  add(v: number): void {
    this.seen++;
    if (this.values.length < this.capacity) this.values.push(v);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.capacity) this.values[j] = v;
    }
  }

  clear(): void {
    this.values.length = 0;
    this.seen = 0;
  }
}
