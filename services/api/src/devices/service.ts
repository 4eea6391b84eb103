import { hasPermission, type Principal } from '@telemetry/auth';
import { AppError, isAppError } from '@telemetry/contracts';
import { deleteDevice } from '@telemetry/registry';
import { audit } from '../audit.js';
import type { ApiContext, DeviceViews } from '../context.js';
import { auditRow } from '../http/audited.js';
import {
  bindDevice,
  countDevices,
  type DevicePageRequest,
  type DeviceView,
  getDevice,
  listDevices,
  presentDevice,
} from './repository.js';

/** The lookup the other resources get as `ctx.deviceViews` (composed in src/index.ts). */
export function createDeviceViews(pool: Parameters<typeof getDevice>[0]): DeviceViews {
  return { get: (p, deviceId) => getDevice(pool, p, deviceId) };
}

/** What a bulk action does to each selected device (the fleet table's selection, #21). */
export type BulkAction = 'move' | 'unbind' | 'revoke' | 'delete';

export interface BulkResult {
  deviceId: string;
  ok: boolean;
  /** Why this device was refused (AppError code and message); the others still went through. */
  code?: string;
  message?: string;
}

/** Bulk revoke and delete are as privileged as their single routes (devices:admin). */
const ADMIN_ACTIONS: readonly BulkAction[] = ['revoke', 'delete'];

/**
 * The rules of the devices resource that more than one route needs: the fleet list with its
 * bounded count, revoke and delete (single and bulk), and the bulk loop itself.
 */
export function createDeviceService(ctx: Pick<ApiContext, 'store' | 'devices'>) {
  const { store, devices: registry } = ctx;

  async function revoke(p: Principal, deviceId: string): Promise<DeviceView> {
    const device = await getDevice(store.pool, p, deviceId);
    await registry.lifecycle.revoke(device.id, { tenantId: device.tenant_id, actorId: p.userId });
    await audit(store.pool, p, { action: 'revoke', entity: 'device', entityId: device.id, tenantId: device.tenant_id });
    return getDevice(store.pool, p, device.id);
  }

  /**
   * Deletes the device with its bindings, rule state and commands (ON DELETE CASCADE) and its
   * latest-values row; stored readings stay history until purged. Its token dies with the row.
   */
  function remove(p: Principal, deviceId: string): Promise<void> {
    // deleteAudited's shape, with the registry's delete: it is the one writer of devices (#17)
    return store.withTransaction(async (client) => {
      const device = await getDevice(client, p, deviceId);
      // device_state has no foreign key (the pipeline writes it before a device may exist)
      await client.query('DELETE FROM device_state WHERE device_id = $1', [device.id]);
      await deleteDevice(client, device.id);
      await auditRow(client, p, 'delete', 'device', device, {
        name: device.name,
        assetId: device.asset_id,
        state: device.state,
      });
    });
  }

  async function move(p: Principal, deviceId: string, assetId: string | null): Promise<DeviceView> {
    return store.withTransaction(async (client) => {
      const device = await getDevice(client, p, deviceId);
      await bindDevice(client, p, device, assetId);
      return getDevice(client, p, device.id);
    });
  }

  return {
    revoke,
    remove,
    move,

    async list(p: Principal, q: DevicePageRequest & { count?: boolean }) {
      const [page, total] = await Promise.all([
        listDevices(store.pool, p, q),
        q.count ? countDevices(store.pool, p, q) : undefined,
      ]);
      return {
        items: page.items.map(presentDevice),
        nextCursor: page.nextCursor,
        ...(total ? { total: total.count, totalExact: total.exact } : {}),
      };
    },

    /**
     * One action over many devices, each in its own transaction and audit entry: a device that
     * is refused (another tenant's id, a pending one to move) is reported, the rest go through.
     */
    async bulk(
      p: Principal,
      req: { action: BulkAction; deviceIds: string[]; assetId?: string | null },
    ): Promise<{ results: BulkResult[]; succeeded: number; failed: number }> {
      if (ADMIN_ACTIONS.includes(req.action) && !hasPermission(p.role, 'devices:admin')) {
        throw new AppError('FORBIDDEN', `Your role (${p.role}) may not ${req.action} devices (needs devices:admin)`);
      }
      if (req.action === 'move' && !req.assetId) {
        throw new AppError('VALIDATION_FAILED', 'assetId is required to move devices', {
          details: { field: 'assetId' },
        });
      }
      const results: BulkResult[] = [];
      for (const deviceId of new Set(req.deviceIds)) {
        try {
          if (req.action === 'move') await move(p, deviceId, req.assetId ?? null);
          else if (req.action === 'unbind') await move(p, deviceId, null);
          else if (req.action === 'revoke') await revoke(p, deviceId);
          else await remove(p, deviceId);
          results.push({ deviceId, ok: true });
        } catch (err) {
          if (!isAppError(err) || err.status >= 500) throw err;
          results.push({ deviceId, ok: false, code: err.code, message: err.message });
        }
      }
      const succeeded = results.filter((r) => r.ok).length;
      return { results, succeeded, failed: results.length - succeeded };
    },
  };
}
