import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { backtest, type Rule as EngineRule } from '@telemetry/rule-engine';
import { listRawEvents } from '@telemetry/timeseries';
import type pg from 'pg';
import { resolveAlertsOfRule } from '../alerts/service.js';
import { audit } from '../audit.js';
import { auditRow, deleteAudited } from '../http/audited.js';
import type { Publisher } from '../publish.js';
import { notFound, writeTenant } from '../scope.js';
import {
  FIELDS,
  type Field,
  insertRule,
  loadRule,
  loadTestDevice,
  type RuleRow,
  recentRejections,
  resetEpisodes,
  targetExists,
  updateRule,
} from './repository.js';

type Db = Pick<pg.ClientBase, 'query'>;

export const RULE_KINDS = ['threshold', 'offline', 'maintenance', 'invalid_data'] as const;

/** A rule as the API takes it (routes.ts validates the shape; checkRule what each kind needs). */
export interface RuleInput {
  name: string;
  kind: (typeof RULE_KINDS)[number];
  deviceId?: string | null;
  assetType?: string | null;
  assetId?: string | null;
  metric?: string | null;
  operator?: '>' | '>=' | '<' | '<=' | 'outside' | null;
  threshold?: number | null;
  thresholdHigh?: number | null;
  clearThreshold?: number | null;
  clearHigh?: number | null;
  minDurationS?: number;
  offlineFactor?: number;
  serviceInterval?: number | null;
  taskDueDays?: number;
  severity?: 'info' | 'warning' | 'critical';
  preset?: string | null;
  enabled?: boolean;
  reminderS?: number;
  /** Sent to the rule's device when it fires, once per episode (#18). */
  command?: unknown;
}

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

export function presentRule(r: RuleRow) {
  const out: Record<string, unknown> = { id: r.id, tenantId: r.tenant_id };
  for (const [field, column] of Object.entries(FIELDS)) out[field] = r[column] ?? null;
  out.createdAt = r.created_at.toISOString();
  out.updatedAt = r.updated_at.toISOString();
  return out;
}

const definedFields = (r: Partial<RuleInput>) =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Partial<Record<Field, unknown>>;

/** How far back a test looks, and how much of it: bounded (one event loop, one DB session when embedded). */
const TEST_MAX_HOURS = 24 * 7;
const TEST_MAX_SAMPLES = 5_000;
const PAGE = 1_000;

export function createRuleService(deps: { publish: Publisher; now: () => number }) {
  const { publish } = deps;

  const assertTargets = async (db: Db, tenantId: string, r: Partial<RuleInput>) => {
    if (r.deviceId && !(await targetExists(db, tenantId, 'device', r.deviceId))) throw notFound('device');
    if (r.assetId && !(await targetExists(db, tenantId, 'asset', r.assetId))) throw notFound('asset');
  };

  /** A disabled or deleted rule cannot clear its alerts: resolve them and start its episodes over. */
  const closeEpisodes = async (
    client: Db,
    emit: Parameters<Parameters<Publisher['inTransaction']>[0]>[1],
    p: Principal,
    rule: RuleRow,
    why: 'rule disabled' | 'rule deleted',
  ) => {
    const n = await resolveAlertsOfRule(client, emit, publish, p, rule, why, new Date(deps.now()));
    await resetEpisodes(client, rule.id);
    return n;
  };

  return {
    create: (p: Principal, requested: string | undefined, rule: RuleInput) =>
      publish.inTransaction(async (client) => {
        checkRule(rule);
        const tenantId = writeTenant(p, requested);
        await assertTargets(client, tenantId, rule);
        const row = await insertRule(client, tenantId, p.userId, definedFields(rule));
        await audit(client, p, { action: 'create', entity: 'rule', entityId: row.id, tenantId, details: { ...rule } });
        return presentRule(row);
      }),

    update: (p: Principal, ruleId: string, patch: Partial<RuleInput>) =>
      publish.inTransaction(async (client, emit) => {
        const row = await loadRule(client, p, ruleId, true);
        const current = presentRule(row) as Partial<RuleInput>;
        checkRule({ ...current, ...patch });
        await assertTargets(client, row.tenant_id, patch);
        const values = definedFields(patch);
        if (Object.keys(values).length === 0) return current;
        const updated = await updateRule(client, ruleId, values);
        const resolved =
          row.enabled === true && patch.enabled === false
            ? await closeEpisodes(client, emit, p, row, 'rule disabled')
            : 0;
        await auditRow(
          client,
          p,
          'update',
          'rule',
          row,
          resolved ? { ...patch, resolvedAlerts: resolved } : { ...patch },
        );
        return presentRule(updated);
      }),

    remove: (p: Principal, ruleId: string) =>
      publish.inTransaction(async (client, emit) => {
        const row = await loadRule(client, p, ruleId, true);
        const resolved = await closeEpisodes(client, emit, p, row, 'rule deleted');
        // the one audited delete, inside this transaction (its alerts' resolutions commit with it)
        await deleteAudited({ withTransaction: (fn) => fn(client as pg.PoolClient) }, p, {
          entity: 'rule',
          table: 'rules',
          load: async () => row,
          details: (r) => ({ name: r.name, resolvedAlerts: resolved }),
        });
      }),

    /**
     * Runs a draft rule over one device's stored history (the last `hours`, at most
     * TEST_MAX_SAMPLES readings, newest kept) with the worker's own evaluators, and says when it
     * would have fired and cleared. Nothing is written.
     */
    async test(db: Db, p: Principal, q: { tenantId?: string; deviceId: string; hours: number; rule: RuleInput }) {
      const tenantId = writeTenant(p, q.tenantId);
      const probe = { ...q.rule, deviceId: q.deviceId, assetId: null, assetType: null };
      checkRule(probe);
      const device = await loadTestDevice(db, tenantId, q.deviceId);
      if (!device) throw notFound('device');
      const now = deps.now();
      const hours = Math.min(TEST_MAX_HOURS, q.hours);
      const from = new Date(now - hours * 3_600_000);
      const to = new Date(now + 60_000);
      const rule = engineRule(probe, tenantId);
      let samples: { ts: number; receivedAt: number; metrics: Record<string, number> }[] = [];
      let rejections: { at: number; reason: string }[] = [];
      let truncated = false;
      if (rule.kind === 'invalid_data') {
        const rows = await recentRejections(db, {
          tenantId,
          deviceId: device.id,
          from,
          to,
          limit: TEST_MAX_SAMPLES + 1,
        });
        truncated = rows.length > TEST_MAX_SAMPLES;
        rejections = rows.slice(-TEST_MAX_SAMPLES).map((r) => ({ at: r.received_at.getTime(), reason: r.reason }));
      } else {
        let cursor: string | null = null;
        do {
          const page = await listRawEvents(db, { tenantId, deviceId: device.id, from, to, limit: PAGE, cursor });
          for (const e of page.items) {
            samples.push({ ts: Date.parse(e.ts), receivedAt: Date.parse(e.receivedAt), metrics: e.metrics });
          }
          cursor = page.nextCursor;
        } while (cursor && samples.length < TEST_MAX_SAMPLES);
        truncated = cursor !== null;
        samples = samples.slice(0, TEST_MAX_SAMPLES).reverse();
      }
      const result = backtest(rule, {
        samples,
        rejections,
        expectedIntervalS: device.expected_interval_s,
        label: device.name || device.id,
        now,
      });
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      return {
        deviceId: device.id,
        timezone: device.timezone,
        from: (truncated && samples[0] ? new Date(samples[0].ts) : from).toISOString(),
        to: new Date(now).toISOString(),
        samples: rule.kind === 'invalid_data' ? rejections.length : samples.length,
        evaluated: result.evaluated,
        truncated,
        wouldFire: result.episodes.length > 0,
        episodes: result.episodes.map((e) => ({ ...e, openedAt: iso(e.openedAt), resolvedAt: iso(e.resolvedAt) })),
      };
    },
  };
}

/** A draft as the evaluators take it: the columns' defaults (0003_rules.sql) where the draft says nothing. */
function engineRule(r: RuleInput, tenantId: string): EngineRule {
  return {
    id: 'draft',
    tenantId,
    name: r.name,
    kind: r.kind,
    deviceId: r.deviceId ?? null,
    assetType: null,
    assetId: null,
    metric: r.metric ?? null,
    operator: r.operator ?? null,
    threshold: r.threshold ?? null,
    thresholdHigh: r.thresholdHigh ?? null,
    clearThreshold: r.clearThreshold ?? null,
    clearHigh: r.clearHigh ?? null,
    minDurationS: r.minDurationS ?? 0,
    offlineFactor: r.offlineFactor ?? 3,
    serviceInterval: r.serviceInterval ?? null,
    taskDueDays: r.taskDueDays ?? 7,
    severity: r.severity ?? 'warning',
    preset: r.preset ?? null,
    enabled: true,
    reminderS: r.reminderS ?? 3600,
    // a test sends nothing
    command: null,
  };
}
