import { randomUUID } from 'node:crypto';
import type { Bus } from '@telemetry/bus';
import { encodeMessage, TelemetryAcceptedV1 } from '@telemetry/contracts';
import type pg from 'pg';
import type { RuleDraft } from '../src/index.js';

export interface World {
  tenantId: string;
  siteId: string;
  floorId: string;
  pantryId: string;
  dispenserId: string;
  deviceId: string;
  managerId: string;
  operatorId: string;
}

/** A tenant with a site, floor > pantry > dispenser, its device, a manager and an operator on the pantry. */
export async function seedWorld(pool: pg.Pool, opts: { expectedIntervalS?: number } = {}): Promise<World> {
  const q = async (sql: string, params: unknown[]) =>
    (await pool.query<{ id: string }>(sql, params)).rows[0]?.id as string;
  const suffix = randomUUID().slice(0, 8);
  const tenantId = await q('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [`tenant-${suffix}`]);
  const siteId = await q('INSERT INTO sites (tenant_id, name) VALUES ($1, $2) RETURNING id', [tenantId, 'HQ']);
  const asset = (parent: string | null, type: string, name: string, attributes = {}) =>
    q(
      'INSERT INTO assets (tenant_id, site_id, parent_id, type, name, attributes) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id',
      [tenantId, siteId, parent, type, name, attributes],
    );
  const floorId = await asset(null, 'floor', 'Floor 3');
  const pantryId = await asset(floorId, 'pantry', 'Pantry East');
  const dispenserId = await asset(pantryId, 'dispenser', 'Coffee 1', { type: 'coffee' });
  const deviceId = `dev-${suffix}`;
  await pool.query(
    `INSERT INTO devices (id, tenant_id, asset_id, name, state, expected_interval_s) VALUES ($1, $2, $3, $4, 'active', $5)`,
    [deviceId, tenantId, dispenserId, 'esp32 coffee 1', opts.expectedIntervalS ?? 60],
  );
  const user = (role: string) =>
    q(`INSERT INTO users (tenant_id, username, email, password_hash, role) VALUES ($1,$2,$3,'x',$4) RETURNING id`, [
      tenantId,
      `${role}-${suffix}`,
      `${role}-${suffix}@example.test`,
      role,
    ]);
  const managerId = await user('manager');
  const operatorId = await user('operator');
  await user('viewer');
  await pool.query('INSERT INTO user_assignments (tenant_id, user_id, asset_id) VALUES ($1, $2, $3), ($1, $4, $3)', [
    tenantId,
    managerId,
    pantryId,
    operatorId,
  ]);
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
