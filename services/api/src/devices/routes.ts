import { isPlatformAdmin } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import { auditRow } from '../http/audited.js';
import type { RouteTable } from '../http/route-table.js';
import { attributes, deviceId, id, pageQuery } from '../http/validation.js';
import { writeTenant } from '../scope.js';
import { bindDevice, type DeviceStatus, getDevice, listDevices, presentDevice } from './repository.js';

const DeviceParams = z.object({ deviceId });
// fields a device has whether an admin registers it or a manager edits it
const DeviceName = z.string().max(200);
const DeviceType = z.string().max(64);
/** How often the device reports, in seconds (the offline rule waits a multiple of it). */
const ExpectedInterval = z
  .number()
  .int()
  .positive()
  .max(86_400 * 7);

/** Device edge flags (migration 0007; packages/registry/README.md): admins only. */
const EdgePolicyBody = {
  handshakePolicy: z.enum(['mac', 'proof']).optional(),
  legacyHttp: z.boolean().optional(),
  canRelay: z.boolean().optional(),
};
const edgePolicyOf = (d: { handshakePolicy: 'mac' | 'proof'; legacyHttp: boolean; canRelay: boolean }) => ({
  handshakePolicy: d.handshakePolicy,
  legacyHttp: d.legacyHttp,
  canRelay: d.canRelay,
});
export const DeviceListQuery = z.object({
  ...pageQuery,
  /** all | online | offline | pending (unregistered: waiting for an admin) | unbound (active, no asset). */
  status: z.enum(['all', 'online', 'offline', 'pending', 'unbound']).default('all'),
  state: z.enum(['pending', 'active', 'revoked']).optional(),
  assetId: id.optional(),
  siteId: id.optional(),
  q: z.string().max(100).optional(),
  tenantId: id.optional(),
});

/** Device administration over @telemetry/registry (identity, tokens) and the binding history. */
export function registerDeviceRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store, devices: registry } = ctx;

  table.add({
    method: 'get',
    path: '/api/devices',
    summary: 'Devices: all, online, offline, pending (unregistered; platform admins) or unbound',
    tags: ['devices'],
    access: 'devices:read',
    query: DeviceListQuery,
    handler: async ({ query, principal }) => {
      const page = await listDevices(store.pool, principal, { ...query, status: query.status as DeviceStatus });
      return { items: page.items.map(presentDevice), nextCursor: page.nextCursor };
    },
  });

  table.add({
    method: 'post',
    path: '/api/devices',
    summary: 'Pre-register a device of a tenant; returns its one-time claim code for the handshake',
    tags: ['devices'],
    access: 'devices:admin',
    body: z.object({
      id: deviceId.optional(),
      mac: z.string().max(32).optional(),
      name: DeviceName.optional(),
      deviceType: DeviceType.optional(),
      expectedIntervalS: ExpectedInterval.optional(),
      assetId: id.optional(),
      tenantId: id.optional(),
      ...EdgePolicyBody,
    }),
    example: { id: 'esp32-001', name: 'Ozone machine A', deviceType: 'ozone' },
    status: 201,
    handler: async ({ body, principal }) => {
      const tenantId = writeTenant(principal, body.tenantId);
      const created = await registry.preRegister({
        tenantId,
        assetId: body.assetId ?? null,
        deviceId: body.id,
        mac: body.mac,
        name: body.name,
        deviceType: body.deviceType,
        expectedIntervalS: body.expectedIntervalS,
        actorId: principal.userId,
        // pre-registered with a claim code: MAC alone only for the first claim (legacy firmware: 'mac')
        handshakePolicy: body.handshakePolicy ?? 'proof',
        legacyHttp: body.legacyHttp,
        canRelay: body.canRelay,
      });
      await audit(store.pool, principal, { action: 'create', entity: 'device', entityId: created.deviceId, tenantId });
      return {
        device: presentDevice(await getDevice(store.pool, principal, created.deviceId)),
        claimCode: created.claimCode,
        edgePolicy: edgePolicyOf(created.device),
      };
    },
  });

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId',
    summary: 'One device with its latest values',
    tags: ['devices'],
    access: 'devices:read',
    params: DeviceParams,
    handler: async ({ params, principal }) => presentDevice(await getDevice(store.pool, principal, params.deviceId)),
  });

  table.add({
    method: 'patch',
    path: '/api/devices/:deviceId',
    summary: 'Change a device’s name, notes, type, expected interval or attributes (e.g. max_consumption, price)',
    tags: ['devices'],
    access: 'devices:write',
    params: DeviceParams,
    body: z.object({
      name: DeviceName.optional(),
      notes: z.string().max(2000).optional(),
      deviceType: DeviceType.optional(),
      expectedIntervalS: ExpectedInterval.optional(),
      attributes: attributes.optional(),
    }),
    example: { name: 'Smart Thermostat', attributes: { max_consumption: 150, price: 249.99 } },
    handler: async ({ params, body, principal }) =>
      store.withTransaction(async (client) => {
        const device = await getDevice(client, principal, params.deviceId);
        await client.query(
          `UPDATE devices SET name = coalesce($2, name), notes = coalesce($3, notes), device_type = coalesce($4, device_type),
             expected_interval_s = coalesce($5, expected_interval_s),
             attributes = CASE WHEN $6::jsonb IS NULL THEN attributes ELSE jsonb_strip_nulls(attributes || $6::jsonb) END,
             updated_at = now()
           WHERE id = $1`,
          [
            device.id,
            body.name ?? null,
            body.notes ?? null,
            body.deviceType ?? null,
            body.expectedIntervalS ?? null,
            body.attributes ? JSON.stringify(body.attributes) : null,
          ],
        );
        await auditRow(client, principal, 'update', 'device', device, body);
        return presentDevice(await getDevice(client, principal, device.id));
      }),
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/assign',
    summary: 'Assign a pending device (platform admin) to a tenant and asset; it becomes active',
    tags: ['devices'],
    access: 'devices:admin',
    params: DeviceParams,
    body: z.object({
      tenantId: id.optional(),
      assetId: id.optional().nullable(),
      name: DeviceName.optional(),
    }),
    example: { assetId: null, name: 'esp32-001' },
    handler: async ({ params, body, principal }) => {
      const device = await getDevice(store.pool, principal, params.deviceId);
      if (body.tenantId) writeTenant(principal, body.tenantId); // another tenant's id: 404, as everywhere
      const tenantId = device.tenant_id ?? writeTenant(principal, body.tenantId);
      if (device.tenant_id && body.tenantId && body.tenantId !== device.tenant_id) {
        throw new AppError('CONFLICT', `device ${device.id} belongs to another tenant: revoke it there first`);
      }
      await registry.assign(device.id, tenantId, body.assetId ?? null, {
        tenantId: isPlatformAdmin(principal) ? null : principal.tenantId,
        actorId: principal.userId,
      });
      if (body.name) await store.pool.query('UPDATE devices SET name = $2 WHERE id = $1', [device.id, body.name]);
      await audit(store.pool, principal, {
        action: 'assign',
        entity: 'device',
        entityId: device.id,
        tenantId,
        details: body,
      });
      return presentDevice(await getDevice(store.pool, principal, device.id));
    },
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/bind',
    summary:
      'Bind the device to an asset (a machine, a dispenser...); the previous binding is closed and kept in history',
    tags: ['devices'],
    access: 'devices:write',
    params: DeviceParams,
    body: z.object({ assetId: id }),
    example: { assetId: '00000000-0000-4000-8000-000000000000' },
    handler: async ({ params, body, principal }) =>
      store.withTransaction(async (client) => {
        const device = await getDevice(client, principal, params.deviceId);
        await bindDevice(client, principal, device, body.assetId);
        return presentDevice(await getDevice(client, principal, device.id));
      }),
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/unbind',
    summary: 'Unbind the device from its asset (history kept)',
    tags: ['devices'],
    access: 'devices:write',
    params: DeviceParams,
    handler: async ({ params, principal }) =>
      store.withTransaction(async (client) => {
        const device = await getDevice(client, principal, params.deviceId);
        await bindDevice(client, principal, device, null);
        return presentDevice(await getDevice(client, principal, device.id));
      }),
  });

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/bindings',
    summary: 'Binding history of a device, newest first',
    tags: ['devices'],
    access: 'devices:read',
    params: DeviceParams,
    handler: async ({ params, principal }) => {
      const device = await getDevice(store.pool, principal, params.deviceId);
      const { rows } = await store.pool.query<{
        id: number;
        asset_id: string;
        bound_at: Date;
        unbound_at: Date | null;
        bound_by: string | null;
        asset_name: string | null;
      }>(
        `SELECT b.id, b.asset_id, b.bound_at, b.unbound_at, b.bound_by, a.name AS asset_name
         FROM device_bindings b LEFT JOIN assets a ON a.id = b.asset_id
         WHERE b.device_id = $1 AND b.tenant_id = $2 ORDER BY b.bound_at DESC, b.id DESC LIMIT 500`,
        [device.id, device.tenant_id],
      );
      return {
        items: rows.map((r) => ({
          id: String(r.id),
          assetId: r.asset_id,
          assetName: r.asset_name,
          boundAt: r.bound_at.toISOString(),
          unboundAt: r.unbound_at?.toISOString() ?? null,
          active: r.unbound_at === null,
          boundBy: r.bound_by,
        })),
        nextCursor: null,
      };
    },
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/rotate-token',
    summary: 'Issue a new device token (shown once); the old one stays valid for graceSeconds (0: dies now)',
    tags: ['devices'],
    access: 'devices:admin',
    params: DeviceParams,
    body: z.object({ graceSeconds: z.number().int().min(0).max(86_400).optional() }),
    example: { graceSeconds: 0 },
    handler: async ({ params, body, principal }) => {
      const device = await getDevice(store.pool, principal, params.deviceId);
      const { token } = await registry.rotateToken(device.id, {
        tenantId: device.tenant_id,
        actorId: principal.userId,
        graceMs: body.graceSeconds === undefined ? undefined : body.graceSeconds * 1000,
      });
      await audit(store.pool, principal, {
        action: 'rotate_token',
        entity: 'device',
        entityId: device.id,
        tenantId: device.tenant_id,
      });
      return { deviceId: device.id, token };
    },
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/revoke',
    summary: 'Revoke a device: refused everywhere from its next connection or request',
    tags: ['devices'],
    access: 'devices:admin',
    params: DeviceParams,
    handler: async ({ params, principal }) => {
      const device = await getDevice(store.pool, principal, params.deviceId);
      await registry.revoke(device.id, { tenantId: device.tenant_id, actorId: principal.userId });
      await audit(store.pool, principal, {
        action: 'revoke',
        entity: 'device',
        entityId: device.id,
        tenantId: device.tenant_id,
      });
      return presentDevice(await getDevice(store.pool, principal, device.id));
    },
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/edge-policy',
    summary:
      'Device edge flags: handshake policy (mac: MAC alone, legacy firmware; proof: current token or claim code after the first claim), legacy HTTP /api/iot/ (MAC alone), relaying readings for other devices; returns them',
    tags: ['devices'],
    access: 'devices:admin',
    params: DeviceParams,
    body: z.object(EdgePolicyBody),
    example: { handshakePolicy: 'mac', legacyHttp: true, canRelay: false },
    handler: async ({ params, body, principal }) => {
      const device = await getDevice(store.pool, principal, params.deviceId);
      const updated = await registry.setEdgePolicy(device.id, body, { tenantId: device.tenant_id });
      await audit(store.pool, principal, {
        action: 'edge_policy',
        entity: 'device',
        entityId: device.id,
        tenantId: device.tenant_id,
        details: body,
      });
      return { deviceId: device.id, ...edgePolicyOf(updated) };
    },
  });
}
