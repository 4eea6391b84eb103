import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { notFound, tenantWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** API field ↔ rules column (0003_rules.sql). */
export const FIELDS = {
  name: 'name',
  kind: 'kind',
  deviceId: 'device_id',
  assetType: 'asset_type',
  assetId: 'asset_id',
  metric: 'metric',
  operator: 'operator',
  threshold: 'threshold',
  thresholdHigh: 'threshold_high',
  clearThreshold: 'clear_threshold',
  clearHigh: 'clear_high',
  minDurationS: 'min_duration_s',
  offlineFactor: 'offline_factor',
  serviceInterval: 'service_interval',
  taskDueDays: 'task_due_days',
  severity: 'severity',
  preset: 'preset',
  enabled: 'enabled',
  reminderS: 'reminder_s',
  command: 'command',
} as const;
export type Field = keyof typeof FIELDS;

export interface RuleRow extends Record<string, unknown> {
  id: string;
  tenant_id: string;
  created_at: Date;
  updated_at: Date;
}
const COLUMNS = `r.id, r.tenant_id, r.created_at, r.updated_at, ${Object.values(FIELDS)
  .map((c) => `r.${c}`)
  .join(', ')}`;

export async function loadRule(db: Db, p: Principal, ruleId: string, lock = false): Promise<RuleRow> {
  const params: unknown[] = [ruleId];
  const { rows } = await db.query<RuleRow>(
    `SELECT ${COLUMNS} FROM rules r WHERE r.id = $1 AND ${tenantWhere(p, 'r.tenant_id', params)}${lock ? ' FOR UPDATE' : ''}`,
    params,
  );
  if (!rows[0]) throw notFound('rule');
  return rows[0];
}

export function listRules<T>(
  db: Db,
  p: Principal,
  f: { kind?: string; enabled?: boolean; deviceId?: string; tenantId?: string },
  page: { cursor?: string; limit: number },
  map: (r: RuleRow) => T,
): Promise<Page<T>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'r.tenant_id', params)];
  if (f.kind) where.push(`r.kind = $${params.push(f.kind)}`);
  if (f.enabled !== undefined) where.push(`r.enabled = $${params.push(f.enabled)}`);
  if (f.deviceId) where.push(`r.device_id = $${params.push(f.deviceId)}`);
  if (f.tenantId) where.push(`r.tenant_id = $${params.push(f.tenantId)}`);
  const keyset: Keyset = { column: 'r.created_at', type: 'timestamptz', id: 'r.id', direction: 'asc' };
  return listPage(db, { columns: COLUMNS, from: 'rules r', where, params, keyset }, page, map);
}

export async function insertRule(
  db: Db,
  tenantId: string,
  createdBy: string | null,
  values: Partial<Record<Field, unknown>>,
): Promise<RuleRow> {
  const fields = (Object.keys(values) as Field[]).filter((k) => values[k] !== undefined);
  const { rows } = await db.query<RuleRow>(
    `INSERT INTO rules AS r (tenant_id, created_by, ${fields.map((f) => FIELDS[f]).join(', ')})
     VALUES ($1, $2${fields.map((_, i) => `, $${i + 3}`).join('')}) RETURNING ${COLUMNS}`,
    [tenantId, createdBy, ...fields.map((f) => values[f])],
  );
  return rows[0] as RuleRow;
}

export async function updateRule(db: Db, ruleId: string, values: Partial<Record<Field, unknown>>): Promise<RuleRow> {
  const fields = (Object.keys(values) as Field[]).filter((k) => values[k] !== undefined);
  const { rows } = await db.query<RuleRow>(
    `UPDATE rules r SET ${fields.map((f, i) => `${FIELDS[f]} = $${i + 2}`).join(', ')}, updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [ruleId, ...fields.map((f) => values[f])],
  );
  return rows[0] as RuleRow;
}

/**
 * The rule's episodes start over (its alerts were resolved with it): the worker's next evaluation
 * of a re-enabled rule begins from "normal" rather than an episode whose alert is gone. The
 * maintenance baseline and last-seen times are kept.
 */
export async function resetEpisodes(db: Db, ruleId: string): Promise<void> {
  await db.query(
    `UPDATE rule_state SET status = 'normal', breach_since = NULL, clear_since = NULL, alert_id = NULL, updated_at = now()
     WHERE rule_id = $1`,
    [ruleId],
  );
}

export async function targetExists(
  db: Db,
  tenantId: string,
  what: 'device' | 'asset',
  value: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    what === 'device'
      ? 'SELECT 1 FROM devices WHERE id = $1 AND tenant_id = $2'
      : 'SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2',
    [value, tenantId],
  );
  return (rowCount ?? 0) > 0;
}

export interface TestDevice {
  id: string;
  name: string;
  expected_interval_s: number;
  /** Its site's zone (the tenant's without one): the zone a test's times are shown in. */
  timezone: string;
}

export async function loadTestDevice(db: Db, tenantId: string, deviceId: string): Promise<TestDevice | undefined> {
  const { rows } = await db.query<TestDevice>(
    `SELECT d.id, d.name, d.expected_interval_s, coalesce(st.timezone, tn.timezone) AS timezone
     FROM devices d JOIN tenants tn ON tn.id = d.tenant_id
     LEFT JOIN assets a ON a.id = d.asset_id LEFT JOIN sites st ON st.id = a.site_id
     WHERE d.id = $1 AND d.tenant_id = $2`,
    [deviceId, tenantId],
  );
  return rows[0];
}

/** The device's kept rejections in [from, to), oldest first, at most `limit` (invalid_data rules). */
export async function recentRejections(
  db: Db,
  q: { tenantId: string; deviceId: string; from: Date; to: Date; limit: number },
): Promise<{ received_at: Date; reason: string }[]> {
  const { rows } = await db.query<{ received_at: Date; reason: string }>(
    `SELECT received_at, reason FROM device_rejections
     WHERE tenant_id = $1 AND device_id = $2 AND received_at >= $3 AND received_at < $4
     ORDER BY received_at DESC LIMIT $5`,
    [q.tenantId, q.deviceId, q.from, q.to, q.limit],
  );
  return rows.reverse();
}
