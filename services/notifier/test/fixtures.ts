import type { Bus } from '@telemetry/bus';
import { AlertV1, encodeMessage } from '@telemetry/contracts';
import { type DispenserTree, insertId, insertUser, seedDispenserTree } from '@telemetry/testing';
import type pg from 'pg';

export interface World extends Omit<DispenserTree, 'siteId'> {
  ruleId: string;
  managerId: string;
  operatorId: string;
}

/** The dispenser seed's shape: floor > pantry > dispenser (type coffee), its device and a low-level rule. */
export async function seedWorld(pool: pg.Pool, opts: { reminderS?: number } = {}): Promise<World> {
  const tree = await seedDispenserTree(pool);
  const ruleId = await insertId(
    pool,
    `INSERT INTO rules (tenant_id, name, kind, asset_type, metric, operator, threshold, clear_threshold, preset, reminder_s)
     VALUES ($1, 'Low level', 'threshold', 'dispenser', 'level', '<', 15, 20, 'low_level', $2) RETURNING id`,
    [tree.tenantId, opts.reminderS ?? 3600],
  );
  return {
    tenantId: tree.tenantId,
    floorId: tree.floorId,
    pantryId: tree.pantryId,
    dispenserId: tree.dispenserId,
    deviceId: tree.deviceId,
    ruleId,
    managerId: await insertUser(pool, tree, 'manager'),
    operatorId: await insertUser(pool, tree, 'operator'),
    suffix: tree.suffix,
  };
}

export async function addRecipient(
  pool: pg.Pool,
  world: World,
  email: string,
  where: { assetId?: string; ruleId?: string; cooldownS?: number },
) {
  await pool.query(
    'INSERT INTO notification_recipients (tenant_id, asset_id, rule_id, email, cooldown_s) VALUES ($1, $2, $3, $4, $5)',
    [world.tenantId, where.assetId ?? null, where.ruleId ?? null, email, where.cooldownS ?? 900],
  );
}

/** An alert row as the rules worker writes it, and its alerts.v1 message. */
export async function insertAlert(
  pool: pg.Pool,
  world: World,
  state: 'open' | 'resolved' = 'open',
  at = Date.now(),
): Promise<AlertV1> {
  const openedAt = new Date(at).toISOString();
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO alerts (tenant_id, rule_id, device_id, asset_id, kind, severity, state, metric, value, threshold, message, opened_at, created_at)
     VALUES ($1, $2, $3, $4, 'threshold', 'warning', $5, 'level', 12, 15, 'Low level: level 12 < 15', $6, $6) RETURNING id`,
    [world.tenantId, world.ruleId, world.deviceId, world.dispenserId, state, openedAt],
  );
  return AlertV1.parse({
    v: 1,
    change: 'opened',
    alertId: rows[0]?.id,
    tenantId: world.tenantId,
    ruleId: world.ruleId,
    deviceId: world.deviceId,
    assetId: world.dispenserId,
    kind: 'threshold',
    severity: 'warning',
    state: 'open',
    metric: 'level',
    value: 12,
    threshold: 15,
    message: 'Low level: level 12 < 15',
    openedAt,
    changedAt: openedAt,
    changedBy: null,
    historical: false,
  });
}

export async function publishAlert(bus: Bus, topic: string, alert: AlertV1, change: AlertV1['change'] = alert.change) {
  const state = change === 'resolved' ? 'resolved' : change === 'acknowledged' ? 'acknowledged' : 'open';
  await bus.publish(topic, [
    { key: alert.deviceId ?? alert.alertId, value: encodeMessage(AlertV1, { ...alert, change, state }) },
  ]);
}
