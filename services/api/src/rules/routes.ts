import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { z } from 'zod';
import { assetType } from '../assets/service.js';
import { audit } from '../audit.js';
import { RuleCommand } from '../commands/rule-command.js';
import type { ApiContext } from '../context.js';
import { auditRow, deleteAudited } from '../http/audited.js';
import { type Keyset, listPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, pageQuery, qBool } from '../http/validation.js';
import { notFound, tenantWhere, writeTenant } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** API field ↔ rules column (0003_rules.sql). */
const FIELDS = {
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
type Field = keyof typeof FIELDS;

const RuleFields = z.object({
  name: z.string().min(1).max(200),
  kind: z.enum(['threshold', 'offline', 'maintenance', 'invalid_data']),
  deviceId: deviceId.nullable().optional(),
  assetType: assetType.nullable().optional(),
  assetId: id.nullable().optional(),
  metric: z.string().min(1).max(64).nullable().optional(),
  operator: z.enum(['>', '>=', '<', '<=', 'outside']).nullable().optional(),
  threshold: z.number().finite().nullable().optional(),
  thresholdHigh: z.number().finite().nullable().optional(),
  clearThreshold: z.number().finite().nullable().optional(),
  clearHigh: z.number().finite().nullable().optional(),
  minDurationS: z
    .number()
    .int()
    .min(0)
    .max(86_400 * 30)
    .optional(),
  offlineFactor: z.number().positive().max(1000).optional(),
  serviceInterval: z.number().positive().nullable().optional(),
  taskDueDays: z.number().int().min(0).max(3650).optional(),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  preset: z.string().max(64).nullable().optional(),
  enabled: z.boolean().optional(),
  reminderS: z
    .number()
    .int()
    .min(0)
    .max(86_400 * 30)
    .optional(),
  /** Sent to the rule's device when it fires, once per episode (#18). */
  command: RuleCommand.nullable().optional(),
});
type RuleInput = z.infer<typeof RuleFields>;

/** What each kind needs, checked on the merged rule (create, or current + patch). */
function checkRule(r: Partial<RuleInput>): void {
  const fail = (field: string, message: string) => {
    throw new AppError('VALIDATION_FAILED', message, { details: { field } });
  };
  const targets = [r.deviceId, r.assetType, r.assetId].filter((t) => t !== null && t !== undefined).length;
  if (targets !== 1) fail('deviceId', 'a rule targets exactly one of deviceId, assetType, assetId');
  if (r.kind === 'threshold') {
    if (!r.metric) fail('metric', 'a threshold rule needs a metric');
    if (!r.operator) fail('operator', 'a threshold rule needs an operator');
    if (r.threshold === null || r.threshold === undefined) fail('threshold', 'a threshold rule needs a threshold');
    if (r.operator === 'outside' && (r.thresholdHigh === null || r.thresholdHigh === undefined)) {
      fail('thresholdHigh', 'an "outside" rule needs thresholdHigh (the band is threshold..thresholdHigh)');
    }
  }
  if (r.kind === 'invalid_data') {
    // threshold: rejections within the window (minDurationS, seconds) that open an alert
    if (r.threshold !== null && r.threshold !== undefined && (r.threshold < 1 || r.threshold > 1_000)) {
      fail('threshold', 'an invalid_data rule counts 1..1000 rejections (the newest 1000 per device are kept)');
    }
    if (!r.minDurationS || r.minDurationS < 60) {
      fail('minDurationS', 'an invalid_data rule needs its window in minDurationS (seconds, at least 60)');
    }
  }
  if (r.kind === 'maintenance') {
    if (!r.metric) fail('metric', 'a maintenance rule needs the counter metric');
    if (!r.serviceInterval) fail('serviceInterval', 'a maintenance rule needs a serviceInterval');
  }
}

interface RuleRow extends Record<string, unknown> {
  id: string;
  tenant_id: string;
  created_at: Date;
  updated_at: Date;
}
const COLUMNS = `r.id, r.tenant_id, r.created_at, r.updated_at, ${Object.values(FIELDS)
  .map((c) => `r.${c}`)
  .join(', ')}`;

function presentRule(r: RuleRow) {
  const out: Record<string, unknown> = { id: r.id, tenantId: r.tenant_id };
  for (const [field, column] of Object.entries(FIELDS)) out[field] = r[column] ?? null;
  out.createdAt = r.created_at.toISOString();
  out.updatedAt = r.updated_at.toISOString();
  return out;
}

const RuleParams = z.object({ ruleId: id });

export function registerRuleRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;

  const load = async (db: Db, p: Principal, ruleId: string): Promise<RuleRow> => {
    const params: unknown[] = [ruleId];
    const { rows } = await db.query<RuleRow>(
      `SELECT ${COLUMNS} FROM rules r WHERE r.id = $1 AND ${tenantWhere(p, 'r.tenant_id', params)}`,
      params,
    );
    if (!rows[0]) throw notFound('rule');
    return rows[0];
  };

  const assertTargets = async (db: Db, tenantId: string, r: Partial<RuleInput>) => {
    if (r.deviceId) {
      const { rowCount } = await db.query('SELECT 1 FROM devices WHERE id = $1 AND tenant_id = $2', [
        r.deviceId,
        tenantId,
      ]);
      if (!rowCount) throw notFound('device');
    }
    if (r.assetId) {
      const { rowCount } = await db.query('SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', [
        r.assetId,
        tenantId,
      ]);
      if (!rowCount) throw notFound('asset');
    }
  };

  table.add({
    method: 'get',
    path: '/api/rules',
    summary: 'Alert and maintenance rules',
    tags: ['rules'],
    access: 'rules:read',
    query: z.object({
      ...pageQuery,
      kind: z.enum(['threshold', 'offline', 'maintenance', 'invalid_data']).optional(),
      enabled: qBool.optional(),
      deviceId: deviceId.optional(),
      tenantId: id.optional(),
    }),
    handler: async ({ query, principal }) => {
      const params: unknown[] = [];
      const where = [tenantWhere(principal, 'r.tenant_id', params)];
      if (query.kind) where.push(`r.kind = $${params.push(query.kind)}`);
      if (query.enabled !== undefined) where.push(`r.enabled = $${params.push(query.enabled)}`);
      if (query.deviceId) where.push(`r.device_id = $${params.push(query.deviceId)}`);
      if (query.tenantId) where.push(`r.tenant_id = $${params.push(query.tenantId)}`);
      const keyset: Keyset = { column: 'r.created_at', type: 'timestamptz', id: 'r.id', direction: 'asc' };
      return listPage(store.pool, { columns: COLUMNS, from: 'rules r', where, params, keyset }, query, presentRule);
    },
  });

  table.add({
    method: 'post',
    path: '/api/rules',
    summary: 'Create a rule (threshold with hysteresis and minimum duration, offline, maintenance)',
    tags: ['rules'],
    access: 'rules:write',
    body: RuleFields.extend({ tenantId: id.optional() }),
    example: {
      name: 'Dispenser low level',
      kind: 'threshold',
      assetType: 'dispenser',
      metric: 'level',
      operator: '<',
      threshold: 20,
      clearThreshold: 25,
      severity: 'warning',
      preset: 'low_level',
    },
    status: 201,
    handler: async ({ body, principal }) =>
      store.withTransaction(async (client) => {
        const { tenantId: requested, ...rule } = body;
        checkRule(rule);
        const tenantId = writeTenant(principal, requested);
        await assertTargets(client, tenantId, rule);
        const fields = Object.keys(rule).filter((k) => (rule as Record<string, unknown>)[k] !== undefined) as Field[];
        const values = fields.map((f) => rule[f]);
        const { rows } = await client.query<RuleRow>(
          `INSERT INTO rules AS r (tenant_id, created_by, ${fields.map((f) => FIELDS[f]).join(', ')})
           VALUES ($1, $2${fields.map((_, i) => `, $${i + 3}`).join('')}) RETURNING ${COLUMNS}`,
          [tenantId, principal.userId, ...values],
        );
        const row = rows[0] as RuleRow;
        await audit(client, principal, { action: 'create', entity: 'rule', entityId: row.id, tenantId, details: rule });
        return presentRule(row);
      }),
  });

  table.add({
    method: 'get',
    path: '/api/rules/:ruleId',
    summary: 'One rule',
    tags: ['rules'],
    access: 'rules:read',
    params: RuleParams,
    handler: async ({ params, principal }) => presentRule(await load(store.pool, principal, params.ruleId)),
  });

  table.add({
    method: 'patch',
    path: '/api/rules/:ruleId',
    summary: 'Change a rule (the rules worker picks it up within its cache TTL)',
    tags: ['rules'],
    access: 'rules:write',
    params: RuleParams,
    body: RuleFields.partial(),
    example: { threshold: 15, enabled: true },
    handler: async ({ params, body, principal }) =>
      store.withTransaction(async (client) => {
        const current = presentRule(await load(client, principal, params.ruleId)) as Partial<RuleInput> & {
          tenantId: string;
        };
        const merged = { ...current, ...body };
        checkRule(merged);
        await assertTargets(client, current.tenantId, body);
        const fields = Object.keys(body).filter((k) => (body as Record<string, unknown>)[k] !== undefined) as Field[];
        if (fields.length === 0) return current;
        const { rows } = await client.query<RuleRow>(
          `UPDATE rules r SET ${fields.map((f, i) => `${FIELDS[f]} = $${i + 2}`).join(', ')}, updated_at = now()
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [params.ruleId, ...fields.map((f) => body[f])],
        );
        await auditRow(client, principal, 'update', 'rule', { id: params.ruleId, tenant_id: current.tenantId }, body);
        return presentRule(rows[0] as RuleRow);
      }),
  });

  table.add({
    method: 'delete',
    path: '/api/rules/:ruleId',
    summary: 'Delete a rule (its alerts and tasks stay, without rule)',
    tags: ['rules'],
    access: 'rules:write',
    params: RuleParams,
    status: 204,
    handler: ({ params, principal }) =>
      deleteAudited(store, principal, {
        entity: 'rule',
        table: 'rules',
        load: (db) => load(db, principal, params.ruleId),
        details: (rule) => ({ name: rule.name }),
      }),
  });

  registerRecipientRoutes(table, ctx);
}

interface RecipientRow {
  id: string;
  tenant_id: string;
  asset_id: string | null;
  rule_id: string | null;
  email: string;
  name: string;
  cooldown_s: number;
  created_at: Date;
}
const R_COLUMNS = 'n.id, n.tenant_id, n.asset_id, n.rule_id, n.email, n.name, n.cooldown_s, n.created_at';
const presentRecipient = (r: RecipientRow) => ({
  id: r.id,
  tenantId: r.tenant_id,
  assetId: r.asset_id,
  ruleId: r.rule_id,
  email: r.email,
  name: r.name,
  cooldownS: r.cooldown_s,
  createdAt: r.created_at.toISOString(),
});

/** Who is emailed about alerts: per asset (inherited by its subtree) or per rule. */
function registerRecipientRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;
  const Params = z.object({ recipientId: id });

  const load = async (db: Db, p: Principal, recipientId: string): Promise<RecipientRow> => {
    const params: unknown[] = [recipientId];
    const { rows } = await db.query<RecipientRow>(
      `SELECT ${R_COLUMNS} FROM notification_recipients n WHERE n.id = $1 AND ${tenantWhere(p, 'n.tenant_id', params)}`,
      params,
    );
    if (!rows[0]) throw notFound('recipient');
    return rows[0];
  };

  const assertTarget = async (db: Db, tenantId: string, b: { assetId?: string | null; ruleId?: string | null }) => {
    const [sql, value, what] = b.assetId
      ? ['SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', b.assetId, 'asset']
      : ['SELECT 1 FROM rules WHERE id = $1 AND tenant_id = $2', b.ruleId, 'rule'];
    if (!value) return;
    const { rowCount } = await db.query(sql, [value, tenantId]);
    if (!rowCount) throw notFound(what);
  };

  table.add({
    method: 'get',
    path: '/api/recipients',
    summary: 'Notification recipients',
    tags: ['rules'],
    access: 'rules:read',
    query: z.object({ ...pageQuery, assetId: id.optional(), ruleId: id.optional(), tenantId: id.optional() }),
    handler: async ({ query, principal }) => {
      const params: unknown[] = [];
      const where = [tenantWhere(principal, 'n.tenant_id', params)];
      if (query.assetId) where.push(`n.asset_id = $${params.push(query.assetId)}`);
      if (query.ruleId) where.push(`n.rule_id = $${params.push(query.ruleId)}`);
      if (query.tenantId) where.push(`n.tenant_id = $${params.push(query.tenantId)}`);
      const keyset: Keyset = { column: 'n.created_at', type: 'timestamptz', id: 'n.id', direction: 'asc' };
      return listPage(
        store.pool,
        { columns: R_COLUMNS, from: 'notification_recipients n', where, params, keyset },
        query,
        presentRecipient,
      );
    },
  });

  table.add({
    method: 'post',
    path: '/api/recipients',
    summary: 'Add a notification recipient for an asset (and its subtree) or a rule',
    tags: ['rules'],
    access: 'recipients:write',
    body: z
      .object({
        email: z.email().max(254),
        name: z.string().max(200).optional(),
        assetId: id.optional(),
        ruleId: id.optional(),
        cooldownS: z
          .number()
          .int()
          .min(0)
          .max(86_400 * 7)
          .optional(),
        tenantId: id.optional(),
      })
      .refine((b) => (b.assetId === undefined) !== (b.ruleId === undefined), 'give exactly one of assetId and ruleId'),
    example: { email: 'facilities@example.com', name: 'Facilities', assetId: '00000000-0000-4000-8000-000000000000' },
    status: 201,
    handler: async ({ body, principal }) =>
      store.withTransaction(async (client) => {
        const tenantId = writeTenant(principal, body.tenantId);
        await assertTarget(client, tenantId, body);
        const { rows } = await client.query<RecipientRow>(
          `INSERT INTO notification_recipients AS n (tenant_id, asset_id, rule_id, email, name, cooldown_s)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${R_COLUMNS}`,
          [tenantId, body.assetId ?? null, body.ruleId ?? null, body.email, body.name ?? '', body.cooldownS ?? 900],
        );
        const row = rows[0] as RecipientRow;
        await audit(client, principal, {
          action: 'create',
          entity: 'recipient',
          entityId: row.id,
          tenantId,
          details: { email: body.email },
        });
        return presentRecipient(row);
      }),
  });

  table.add({
    method: 'get',
    path: '/api/recipients/:recipientId',
    summary: 'One notification recipient',
    tags: ['rules'],
    access: 'rules:read',
    params: Params,
    handler: async ({ params, principal }) => presentRecipient(await load(store.pool, principal, params.recipientId)),
  });

  table.add({
    method: 'patch',
    path: '/api/recipients/:recipientId',
    summary: 'Change a recipient’s email, name or cooldown',
    tags: ['rules'],
    access: 'recipients:write',
    params: Params,
    body: z.object({
      email: z.email().max(254).optional(),
      name: z.string().max(200).optional(),
      cooldownS: z
        .number()
        .int()
        .min(0)
        .max(86_400 * 7)
        .optional(),
    }),
    example: { cooldownS: 1800 },
    handler: async ({ params, body, principal }) =>
      store.withTransaction(async (client) => {
        const current = await load(client, principal, params.recipientId);
        const { rows } = await client.query<RecipientRow>(
          `UPDATE notification_recipients n SET email = coalesce($2, email), name = coalesce($3, name), cooldown_s = coalesce($4, cooldown_s)
           WHERE id = $1 RETURNING ${R_COLUMNS}`,
          [current.id, body.email ?? null, body.name ?? null, body.cooldownS ?? null],
        );
        await auditRow(client, principal, 'update', 'recipient', current, body);
        return presentRecipient(rows[0] as RecipientRow);
      }),
  });

  table.add({
    method: 'delete',
    path: '/api/recipients/:recipientId',
    summary: 'Remove a recipient',
    tags: ['rules'],
    access: 'recipients:write',
    params: Params,
    status: 204,
    handler: ({ params, principal }) =>
      deleteAudited(store, principal, {
        entity: 'recipient',
        table: 'notification_recipients',
        load: (db) => load(db, principal, params.recipientId),
        details: (recipient) => ({ email: recipient.email }),
      }),
  });
}
