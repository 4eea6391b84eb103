import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { listPage, type Page, type PageRequest } from './http/pagination.js';
import { notFound, tenantWhere, visibleWorkWhere } from './scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/**
 * What alerts and tasks (the work items) share in SQL: they hang off a device and an asset, are read
 * with the names of both and the zone of their site, are seen by who may see their asset, and are
 * filtered by the same place and time fields. One builder, so the two lists cannot drift apart.
 */

/** The names and zone a work item is read with (the columns `placedColumns` selects). */
export interface PlacedRow {
  device_name: string | null;
  asset_name: string | null;
  site_id: string | null;
  /** The site's zone, else the tenant's: the one zone its times are shown in. */
  timezone: string;
}

/** How one kind of work item is read and filtered. */
export interface WorkItems<F extends PlaceFilter> {
  /** Its name in a 404. */
  entity: 'alert' | 'task';
  table: 'alerts' | 'tasks';
  alias: string;
  /** The select list: its own columns and `placedColumns`. */
  columns: string;
  /** What since/until bound and lists are ordered by, newest first. */
  time: string;
  /** A task is also seen by the operators it is assigned to: `t.id`. */
  taskColumn?: string;
  /** Adds the kind's own conditions of `f` to `where` (their values to `params`). */
  filter: (f: F, where: string[], params: unknown[]) => void;
}

/** `<table> <alias>` joined to its device, asset, site and tenant (bounded: one row each, by primary keys). */
function placedFrom({ table, alias }: WorkItems<never>): string {
  return `${table} ${alias}
  LEFT JOIN devices dv ON dv.id = ${alias}.device_id
  LEFT JOIN assets asx ON asx.id = ${alias}.asset_id
  LEFT JOIN sites st ON st.id = asx.site_id
  JOIN tenants tn ON tn.id = ${alias}.tenant_id`;
}

/** The columns of `PlacedRow`, over the joins of `placedFrom`. */
export const placedColumns =
  'dv.name AS device_name, asx.name AS asset_name, st.id AS site_id, coalesce(st.timezone, tn.timezone) AS timezone';

/**
 * The items a person sees: tenant-scoped; viewers and operators by their assignments (scope.ts).
 * `taskColumn`: a task is also seen by the operators it is assigned to.
 */
function workScope(p: Principal, { alias, taskColumn }: WorkItems<never>, params: unknown[]): string {
  return `${tenantWhere(p, `${alias}.tenant_id`, params)} AND ${visibleWorkWhere(p, `${alias}.asset_id`, params, taskColumn)}`;
}

/** One item through the caller's scope (404 for another tenant's or an unseen one); `lock`: FOR UPDATE. */
export async function loadWorkItem<R extends pg.QueryResultRow>(
  db: Db,
  items: WorkItems<never>,
  p: Principal,
  id: string,
  lock: boolean,
): Promise<R> {
  const params: unknown[] = [id];
  const { rows } = await db.query<R>(
    `SELECT ${items.columns} FROM ${placedFrom(items)}
     WHERE ${items.alias}.id = $1 AND ${workScope(p, items, params)}${lock ? ` FOR UPDATE OF ${items.alias}` : ''}`,
    params,
  );
  if (!rows[0]) throw notFound(items.entity);
  return rows[0];
}

/** The filters both lists take. */
export interface PlaceFilter {
  deviceId?: string;
  assetId?: string;
  siteId?: string;
  since?: Date;
  until?: Date;
  tenantId?: string;
}

/** A page of the items the caller sees that match `f`, newest first. */
export function listWorkItems<F extends PlaceFilter, R extends pg.QueryResultRow, T>(
  db: Db,
  items: WorkItems<F>,
  p: Principal,
  f: F,
  page: PageRequest,
  map: (r: R) => T,
): Promise<Page<T>> {
  const { alias, time } = items;
  const params: unknown[] = [];
  const where = [workScope(p, items, params)];
  items.filter(f, where, params);
  if (f.deviceId) where.push(`${alias}.device_id = $${params.push(f.deviceId)}`);
  if (f.assetId) where.push(`${alias}.asset_id = $${params.push(f.assetId)}`);
  if (f.siteId) where.push(`asx.site_id = $${params.push(f.siteId)}::uuid`);
  if (f.since) where.push(`${time} >= $${params.push(f.since)}`);
  if (f.until) where.push(`${time} < $${params.push(f.until)}`);
  if (f.tenantId) where.push(`${alias}.tenant_id = $${params.push(f.tenantId)}`);
  const keyset = { column: time, type: 'timestamptz', id: `${alias}.id`, direction: 'desc' } as const;
  return listPage(db, { columns: items.columns, from: placedFrom(items), where, params, keyset }, page, map);
}
