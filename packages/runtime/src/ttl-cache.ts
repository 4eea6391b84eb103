/**
 * A small TTL cache of promises: concurrent lookups of one key share one load, failures are
 * not kept, and the oldest entries go first once `max` is reached. Used for the short-lived
 * caches of placement (device → asset chain → site) and access checks: a change in the
 * database is seen after at most `ttlMs`.
 */
export interface TtlCache<K, V> {
  get(key: K, load: (key: K) => Promise<V>): Promise<V>;
  delete(key: K): void;
  clear(): void;
  readonly size: number;
}

export function createTtlCache<K, V>(opts: { ttlMs: number; max?: number; now?: () => number }): TtlCache<K, V> {
  const now = opts.now ?? Date.now;
  const max = opts.max ?? 10_000;
  const entries = new Map<K, { value: Promise<V>; expires: number }>();

  return {
    get(key, load) {
      const hit = entries.get(key);
      const t = now();
      if (hit && hit.expires > t) return hit.value;
      if (hit) entries.delete(key);
      const value = load(key);
      const entry = { value, expires: t + opts.ttlMs };
      entries.set(key, entry);
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      // Map keeps insertion order: the first key is the oldest.
      while (entries.size > max) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      return value;
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
