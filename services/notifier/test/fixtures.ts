import { randomUUID } from 'node:crypto';
import type { Bus } from '@telemetry/bus';
import { AlertV1, encodeMessage } from '@telemetry/contracts';
import type pg from 'pg';

export interface World {
  tenantId: string;
  floorId: string;
  pantryId: string;
  dispenserId: string;
  deviceId: string;
  ruleId: string;
  managerId: string;
  operatorId: string;
  suffix: string;
}

/** The dispenser seed's shape: floor > pantry > dispenser (type coffee), its device and a low-level rule. */
export async function seedWorld(pool: pg.Pool, opts: { reminderS?: number } = {}): Promise<World> {
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
    `INSERT INTO devices (id, tenant_id, asset_id, name, state) VALUES ($1, $2, $3, 'esp32 coffee 1', 'active')`,
    [deviceId, tenantId, dispenserId],
  );
  const ruleId = await q(
    `INSERT INTO rules (tenant_id, name, kind, asset_type, metric, operator, threshold, clear_threshold, preset, reminder_s)
     VALUES ($1, 'Low level', 'threshold', 'dispenser', 'level', '<', 15, 20, 'low_level', $2) RETURNING id`,
    [tenantId, opts.reminderS ?? 3600],
  );
  const user = (role: string) =>
    q(`INSERT INTO users (tenant_id, username, email, password_hash, role) VALUES ($1,$2,$3,'x',$4) RETURNING id`, [
      tenantId,
      `${role}-${suffix}`,
      `${role}-${suffix}@example.test`,
      role,
    ]);
  return {
    tenantId,
    floorId,
    pantryId,
    dispenserId,
    deviceId,
    ruleId,
    managerId: await user('manager'),
    operatorId: await user('operator'),
    suffix,
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
