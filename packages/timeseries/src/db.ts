import type pg from 'pg';

/** A pool or a client inside a transaction: every function here takes either. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Key of one event for Sets and Maps: tenant, device and event id. */
export function eventKey(tenantId: string, deviceId: string, eventId: string): string {
  return `${tenantId}\u0000${deviceId}\u0000${eventId}`;
}

/** ISO string of a Date or an ISO string (pg returns timestamptz as Date). */
export function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** numeric and float columns come back as strings or numbers; null stays null. */
export function num(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}
