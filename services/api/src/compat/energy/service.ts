import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { createAsset, deleteAsset, getAsset, listAssets, updateAsset } from '../../assets/service.js';
import type { ApiContext } from '../../context.js';
import { mapPage } from '../../http/pagination.js';
import { notFound, tenantWhere } from '../../scope.js';
import { assignUser, listAssignments, unassignUser } from '../../users/assignments.js';
import { USER_COLUMNS, type UserRow } from '../../users/present.js';
import { assertCanManage, deleteUser, findUser, type UserPatch, updateUser } from '../../users/service.js';
import { ENERGY_DEVICE_TYPE, energyDevice, energyMapping, energyUser } from './present.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EnergyDeviceInput {
  name?: string;
  description?: string;
  max_consumption?: number;
  price?: number;
}

/**
 * The energy seed's three services (auth, user, device) over our one store: users are users,
 * devices are assets of type `meter`, the user–device mapping is user_assignments. Everything
 * goes through the native repositories, so tenancy, roles and validation are the canonical ones.
 */
export function createEnergyService(ctx: ApiContext) {
  const { store } = ctx;

  const loadUser = async (p: Principal, userId: string, db: Parameters<typeof findUser>[0] = store.pool) => {
    const params: unknown[] = [userId];
    const row = await findUser(db, `u.id = $1 AND ${tenantWhere(p, 'u.tenant_id', params)}`, params);
    if (!row) throw notFound('user');
    return row;
  };
  /** A device id that is not a UUID names no device: 404, like an unknown one (not a database error). */
  const device = async (db: Parameters<typeof getAsset>[0], p: Principal, id: string) => {
    if (!UUID.test(id)) throw notFound(ENERGY_DEVICE_TYPE);
    return getAsset(db, p, id, ENERGY_DEVICE_TYPE);
  };
  const attrs = (b: EnergyDeviceInput) => {
    const a: Record<string, unknown> = {};
    for (const k of ['description', 'max_consumption', 'price'] as const) if (b[k] !== undefined) a[k] = b[k];
    return a;
  };

  return {
    async listUsers(p: Principal, limit: number) {
      const params: unknown[] = [];
      const where = tenantWhere(p, 'u.tenant_id', params);
      const { rows } = await store.pool.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users u WHERE ${where} ORDER BY u.username LIMIT $${params.push(limit)}`,
        params,
      );
      return rows.map(energyUser);
    },
    async getUser(p: Principal, userId: string) {
      return energyUser(await loadUser(p, userId));
    },
    async updateUser(p: Principal, userId: string, patch: UserPatch) {
      const row = await ctx.publish.inTransaction(async (c, emit) => {
        const target = await loadUser(p, userId, c);
        // as the canonical route: a demoted user's open sockets are narrowed at once (#20)
        if (patch.role && patch.role !== target.role)
          emit(ctx.publish.revocation({ userId: target.id, tenantId: target.tenant_id, reason: 'role_changed' }));
        return updateUser(c, p, target, patch);
      });
      return energyUser(row);
    },
    async deleteUser(p: Principal, userId: string) {
      await ctx.publish.inTransaction(async (c, emit) => {
        const target = await loadUser(p, userId, c);
        assertCanManage(p, target);
        emit(ctx.publish.revocation({ userId: target.id, tenantId: target.tenant_id, reason: 'user_deleted' }));
        await deleteUser(c, p, target);
      });
    },

    async listDevices(p: Principal, limit: number, cursor?: string) {
      const page = await listAssets(store.pool, p, { types: [ENERGY_DEVICE_TYPE], limit, cursor });
      return mapPage(page, energyDevice);
    },
    async getDevice(p: Principal, id: string) {
      return energyDevice(await device(store.pool, p, id));
    },
    async createDevice(p: Principal, b: EnergyDeviceInput & { name: string; tenant_id?: string }) {
      const row = await store.withTransaction((c) =>
        createAsset(c, p, { tenantId: b.tenant_id, type: ENERGY_DEVICE_TYPE, name: b.name, attributes: attrs(b) }),
      );
      return energyDevice(row);
    },
    async updateDevice(p: Principal, id: string, b: EnergyDeviceInput) {
      const row = await store.withTransaction(async (c) => {
        await device(c, p, id);
        return updateAsset(c, p, id, { name: b.name, attributes: attrs(b) }, ENERGY_DEVICE_TYPE);
      });
      return energyDevice(row);
    },
    async deleteDevice(p: Principal, id: string) {
      await store.withTransaction(async (c) => {
        await device(c, p, id);
        await deleteAsset(c, p, id, ENERGY_DEVICE_TYPE);
      });
    },

    async assign(p: Principal, userId: string, deviceId: string) {
      const row = await store.withTransaction(async (c) => {
        await device(c, p, deviceId);
        return assignUser(c, p, await loadUser(p, userId, c), { assetId: deviceId });
      });
      return energyMapping(row);
    },
    async unassign(p: Principal, userId: string | undefined, deviceId: string) {
      await ctx.publish.inTransaction(async (c, emit) => {
        await device(c, p, deviceId);
        if (!userId)
          throw new AppError('VALIDATION_FAILED', 'user_id is required: ?user_id=<uuid>', {
            details: { field: 'query.user_id' },
          });
        const user = await loadUser(p, userId, c);
        emit(ctx.publish.revocation({ userId: user.id, tenantId: user.tenant_id, reason: 'unassigned' }));
        await unassignUser(c, p, user, { assetId: deviceId });
      });
    },
    async mappings(p: Principal, limit: number) {
      return (await listAssignments(store.pool, p, { assetType: ENERGY_DEVICE_TYPE, limit })).map(energyMapping);
    },
  };
}

export type EnergyService = ReturnType<typeof createEnergyService>;
