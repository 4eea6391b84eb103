/**
 * How late a reading may arrive and still be stored: the late window, per tenant (#14).
 * One rule for every place that decides it (the pipeline dead-letters `too_late`, the device HTTP
 * routes answer 422, the bulk import reports it), so they can never disagree.
 *
 * The tenant's window is `tenants.settings.ingest.lateWindowDays` (whole days, 1..36500); without
 * it, the deployment's LATE_WINDOW (default 7 days). A longer window lets a tenant's devices and
 * imports bring history in (the seeds' example data is from 2022 and 2025).
 */
export type Lateness = 'timely' | 'too_late';

export const MAX_LATE_WINDOW_DAYS = 36_500;
const DAY_MS = 86_400_000;

export function classifyLateness(tsMs: number, nowMs: number, lateWindowMs: number): Lateness {
  return tsMs < nowMs - lateWindowMs ? 'too_late' : 'timely';
}

/** The tenant's late window in ms from its settings, or `defaultMs` when it sets none (or a malformed one). */
export function lateWindowFromSettings(settings: unknown, defaultMs: number): number {
  const ingest = (settings as { ingest?: { lateWindowDays?: unknown } } | null | undefined)?.ingest;
  const days = ingest?.lateWindowDays;
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) return defaultMs;
  return Math.min(MAX_LATE_WINDOW_DAYS, Math.ceil(days)) * DAY_MS;
}
