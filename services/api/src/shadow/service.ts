import type { Principal } from '@telemetry/auth';
import { type Attributes, attributesProblem, type Shadow, type ShadowStore } from '@telemetry/commands';
import { AppError, DeviceDesiredV1, encodeMessage } from '@telemetry/contracts';
import type pg from 'pg';
import { audit } from '../audit.js';
import type { DeviceViews } from '../context.js';
import type { Emit, Publisher } from '../publish.js';

type Db = Pick<pg.ClientBase, 'query'>;

/**
 * Desired configuration (#18): a manager's change is stored with its audit entry and a
 * device.desired.v1 announcement in one transaction (the outbox publishes it after COMMIT); the
 * gateway holding the device's connection pushes the new document, HTTP-only firmware fetches it.
 */
export function createShadowService(deps: {
  store: ShadowStore;
  publish: Publisher;
  devices: DeviceViews;
  pool: Db;
  topic: string;
}) {
  const { store, publish } = deps;

  const announce = (emit: Emit, m: Omit<DeviceDesiredV1, 'v' | 'at'>) =>
    emit({
      topic: deps.topic,
      key: m.deviceId ?? `${m.tenantId}:${m.deviceType}`,
      payload: encodeMessage(DeviceDesiredV1, { v: 1, at: new Date().toISOString(), ...m }).toString(),
    });

  async function shadowOf(p: Principal, deviceId: string): Promise<Shadow> {
    const d = await deps.devices.get(p, deviceId);
    const [shadow] = await store.get([d.id]);
    if (!shadow) throw new AppError('NOT_FOUND', 'device not found');
    return shadow;
  }

  return {
    get: shadowOf,

    async patch(p: Principal, deviceId: string, patch: Attributes, expectedVersion?: number): Promise<Shadow> {
      const d = await deps.devices.get(p, deviceId);
      if (!d.tenant_id || d.state === 'revoked')
        throw new AppError('CONFLICT', `device ${deviceId} is ${d.state}: it takes no configuration`);
      const tenantId = d.tenant_id;
      return publish.inTransaction(async (client, emit) => {
        // one writer per device at a time, so expectedVersion compares with what is overwritten
        await client.query('SELECT 1 FROM devices WHERE id = $1 FOR UPDATE', [d.id]);
        const [before] = await store.get([d.id], client);
        if (expectedVersion !== undefined && before && before.version !== expectedVersion) {
          throw new AppError(
            'CONFLICT',
            `desired configuration is at version ${before.version}, not ${expectedVersion}: reload it`,
            { details: { version: before.version } },
          );
        }
        const merged = Object.fromEntries(
          Object.entries({ ...(before?.deviceDesired ?? {}), ...patch }).filter(([, v]) => v !== null),
        );
        const problem = attributesProblem(merged);
        if (problem) throw new AppError('VALIDATION_FAILED', `desired: ${problem}`);
        const shadow = await store.patchDesired(client, d.id, patch, p.userId);
        await audit(client, p, {
          action: 'desired',
          entity: 'device',
          entityId: d.id,
          tenantId,
          details: { patch, version: shadow.version },
        });
        announce(emit, { tenantId, deviceId: d.id, deviceType: null, version: shadow.version });
        return shadow;
      });
    },

    async typeDefaults(tenantId: string, deviceType: string) {
      await assertType(deps.pool, tenantId, deviceType);
      return (await store.typeDefaults(tenantId, deviceType)) ?? { version: 0, desired: {} };
    },

    async setTypeDefaults(p: Principal, tenantId: string, deviceType: string, desired: Attributes) {
      const problem = attributesProblem(desired);
      if (problem) throw new AppError('VALIDATION_FAILED', `desired: ${problem}`);
      return publish.inTransaction(async (client, emit) => {
        await assertType(client, tenantId, deviceType);
        const saved = await store.setTypeDefaults(client, { tenantId, deviceType, desired, userId: p.userId });
        await audit(client, p, {
          action: 'desired',
          entity: 'device_type',
          entityId: deviceType,
          tenantId,
          details: { desired, version: saved.version },
        });
        announce(emit, { tenantId, deviceId: null, deviceType, version: saved.version });
        return { deviceType, ...saved };
      });
    },
  };
}

/** A type the tenant has (a device_types row or a device of it); another tenant's name is not found. */
async function assertType(db: Db, tenantId: string, deviceType: string): Promise<void> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM device_types WHERE tenant_id = $1 AND name = $2
     UNION ALL SELECT 1 FROM (SELECT 1 FROM devices WHERE tenant_id = $1 AND device_type = $2 LIMIT 1) d LIMIT 1`,
    [tenantId, deviceType],
  );
  if (!rowCount) throw new AppError('NOT_FOUND', `device type ${deviceType} not found`);
}
