import { createTtlCache } from '@telemetry/runtime';
import type { Store } from '@telemetry/store';
import { loadLateWindows } from '@telemetry/timeseries';

/**
 * Each tenant's late window (tenants.settings.ingest.lateWindowDays, else LATE_WINDOW), as the
 * pipeline reads it, cached for 30 s like the pipeline's: a device route must not ask the database
 * per request, and a changed setting reaches both within the same TTL.
 */
export function lateWindowOf(store: Pick<Store, 'pool'>, defaultMs: number): (tenantId: string) => Promise<number> {
  const cache = createTtlCache<string, number>({ ttlMs: 30_000, max: 10_000 });
  return (tenantId) =>
    cache.get(tenantId, async (id) => (await loadLateWindows(store.pool, [id], defaultMs)).get(id) ?? defaultMs);
}
