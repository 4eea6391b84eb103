import { lateWindowFromSettings } from '@telemetry/contracts';
import type { Queryable } from '../db.js';

/** Each tenant's late window in ms (tenants.settings.ingest.lateWindowDays, else `defaultMs`), one query. */
export async function loadLateWindows(
  db: Queryable,
  tenantIds: readonly string[],
  defaultMs: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (tenantIds.length === 0) return out;
  const { rows } = await db.query<{ id: string; settings: unknown }>(
    'SELECT id, settings FROM tenants WHERE id = ANY($1::uuid[])',
    [[...tenantIds]],
  );
  for (const id of tenantIds) out.set(id, defaultMs);
  for (const r of rows) out.set(r.id, lateWindowFromSettings(r.settings, defaultMs));
  return out;
}

/** Tenants whose late window is not `defaultMs`, with the cutoff it gives (for pruning telemetry_seen). */
export async function tenantLateCutoffs(db: Queryable, defaultMs: number, now: number): Promise<Map<string, Date>> {
  const { rows } = await db.query<{ id: string; settings: unknown }>(
    "SELECT id, settings FROM tenants WHERE settings ? 'ingest' LIMIT 100000",
  );
  const out = new Map<string, Date>();
  for (const r of rows) {
    const ms = lateWindowFromSettings(r.settings, defaultMs);
    if (ms !== defaultMs) out.set(r.id, new Date(now - ms));
  }
  return out;
}
