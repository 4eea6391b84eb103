import type { Bus } from '@telemetry/bus';
import { encodeMessage, TelemetryAcceptedV1 } from '@telemetry/contracts';
import { type DispenserTree, insertUser, seedDispenserTree } from '@telemetry/testing';
import type pg from 'pg';
import type { RuleDraft } from '../src/index.js';

export interface World extends Omit<DispenserTree, 'suffix'> {
  managerId: string;
  operatorId: string;
}

/** A tenant with a site, floor > pantry > dispenser, its device, a manager and an operator on the pantry. */
export async function seedWorld(pool: pg.Pool, opts: { expectedIntervalS?: number } = {}): Promise<World> {
  const tree = await seedDispenserTree(pool, opts);
  const managerId = await insertUser(pool, tree, 'manager');
  const operatorId = await insertUser(pool, tree, 'operator');
  await insertUser(pool, tree, 'viewer');
  await pool.query('INSERT INTO user_assignments (tenant_id, user_id, asset_id) VALUES ($1, $2, $3), ($1, $4, $3)', [
    tree.tenantId,
    managerId,
    tree.pantryId,
    operatorId,
  ]);
  const { tenantId, siteId, floorId, pantryId, dispenserId, deviceId } = tree;
  return { tenantId, siteId, floorId, pantryId, dispenserId, deviceId, managerId, operatorId };
}

const COLUMNS: [keyof RuleDraft, string][] = [
  ['name', 'name'],
  ['kind', 'kind'],
  ['deviceId', 'device_id'],
  ['assetType', 'asset_type'],
  ['assetId', 'asset_id'],
  ['metric', 'metric'],
  ['operator', 'operator'],
  ['threshold', 'threshold'],
  ['thresholdHigh', 'threshold_high'],
  ['clearThreshold', 'clear_threshold'],
  ['clearHigh', 'clear_high'],
  ['minDurationS', 'min_duration_s'],
  ['offlineFactor', 'offline_factor'],
  ['serviceInterval', 'service_interval'],
  ['taskDueDays', 'task_due_days'],
  ['severity', 'severity'],
  ['preset', 'preset'],
  ['enabled', 'enabled'],
  ['reminderS', 'reminder_s'],
  ['command', 'command'],
];

/** Inserts a rule as the API would; fields not given keep the column defaults. */
export async function insertRule(pool: pg.Pool, tenantId: string, rule: Partial<RuleDraft>): Promise<string> {
  const given = COLUMNS.filter(([k]) => rule[k] !== undefined);
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO rules (tenant_id, ${given.map(([, c]) => c).join(', ')})
     VALUES ($1, ${given.map((_, i) => `$${i + 2}`).join(', ')}) RETURNING id`,
    [tenantId, ...given.map(([k]) => rule[k])],
  );
  return rows[0]?.id as string;
}

let seq = 0;
/** Publishes accepted telemetry as the pipeline would (no raw rows behind it: that is the contract). */
export async function publishAccepted(
  bus: Bus,
  topic: string,
  world: Pick<World, 'tenantId' | 'deviceId' | 'dispenserId'>,
  readings: { ts: number; metrics: Record<string, number>; late?: boolean; eventId?: string; receivedAt?: number }[],
): Promise<void> {
  await bus.publish(
    topic,
    readings.map((r) => ({
      key: world.deviceId,
      value: encodeMessage(TelemetryAcceptedV1, {
        v: 1,
        tenantId: world.tenantId,
        deviceId: world.deviceId,
        eventId: r.eventId ?? `e-${++seq}-${r.ts}`,
        kind: 'telemetry',
        ts: new Date(r.ts).toISOString(),
        receivedAt: new Date(r.receivedAt ?? r.ts).toISOString(),
        source: 'mqtt',
        metrics: r.metrics,
        attributes: {},
        trace: {},
        assetId: world.dispenserId,
        late: r.late ?? false,
      }),
    })),
  );
}
