/**
 * A small read-through cache: rules and device/asset context change rarely, and every telemetry
 * event needs them. Entries live `ttlMs`; concurrent misses of one key share a single load; a
 * failed load is not cached.
 */
export interface TtlCache<V> {
  get(key: string, load: () => Promise<V>): Promise<V>;
  clear(): void;
}

export function createTtlCache<V>(ttlMs: number, now: () => number, maxEntries = 50_000): TtlCache<V> {
  const entries = new Map<string, { at: number; value: Promise<V> }>();
  return {
    get(key, load) {
      const hit = entries.get(key);
      const t = now();
      if (hit && t - hit.at < ttlMs) return hit.value;
      if (entries.size >= maxEntries) entries.clear(); // bounded: a full reload beats unbounded growth
      const value = load();
      entries.set(key, { at: t, value });
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
      return value;
    },
    clear: () => entries.clear(),
  };
}
