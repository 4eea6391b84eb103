/**
 * Token buckets by key (an IP, a device id, a MAC); the device edges use it: MQTT connects per IP,
 * HTTP requests per device. In-process: each gateway/API replica limits what reaches it.
 */
export interface RateLimiter {
  /** Takes one token for `key`; false when its bucket is empty (the caller refuses). */
  take(key: string): boolean;
  /** Keys currently tracked (for tests and metrics). */
  size(): number;
}

export interface RateLimiterOptions {
  /** Tokens refilled per minute, and the bucket size (a full minute's worth may come at once). */
  perMinute: number;
  /** Bucket size when it should differ from perMinute. */
  burst?: number;
  /** Above this many keys, full (idle) buckets are swept; bounds memory under many sources. */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const capacity = options.burst ?? options.perMinute;
  const perMs = options.perMinute / 60_000;
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? Date.now;
  const buckets = new Map<string, Bucket>();

  const refill = (b: Bucket, t: number) => {
    b.tokens = Math.min(capacity, b.tokens + (t - b.at) * perMs);
    b.at = t;
  };

  const sweep = (t: number) => {
    for (const [key, b] of buckets) {
      refill(b, t);
      if (b.tokens >= capacity) buckets.delete(key);
    }
  };

  return {
    take(key) {
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) sweep(t);
        b = { tokens: capacity, at: t };
        buckets.set(key, b);
      } else {
        refill(b, t);
      }
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    size: () => buckets.size,
  };
}
