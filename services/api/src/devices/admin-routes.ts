import { Device, DeviceEdgePolicy, RegisteredDevice, RotatedToken } from '@telemetry/api-contract';
import { isPlatformAdmin } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { editDevice } from '@telemetry/registry';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id } from '../http/validation.js';
import { writeTenant } from '../scope.js';
import { getDevice, presentDevice } from './repository.js';
import { DeviceName, DeviceParams, DeviceType, ExpectedInterval } from './schemas.js';
import { createDeviceService } from './service.js';

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

/** A device's identity and tokens over @telemetry/registry (admins): register, assign, rotate, revoke, delete. */
export function registerDeviceAdminRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store, devices: registry } = ctx;
  const devices = createDeviceService(ctx);

  table.add({
    method: 'post',
    path: '/api/devices',
    summary: 'Pre-register a device of a tenant; returns its one-time claim code for the handshake',
    tags: ['devices'],
    response: RegisteredDevice,
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
      const created = await registry.lifecycle.preRegister({
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
    method: 'post',
    path: '/api/devices/:deviceId/assign',
    summary: 'Assign a pending device (platform admin) to a tenant and asset; it becomes active',
    tags: ['devices'],
    response: Device,
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
      await registry.lifecycle.assign(device.id, tenantId, body.assetId ?? null, {
        tenantId: isPlatformAdmin(principal) ? null : principal.tenantId,
        actorId: principal.userId,
      });
      if (body.name) await editDevice(store.pool, device.id, { name: body.name });
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
    path: '/api/devices/:deviceId/rotate-token',
    summary: 'Issue a new device token (shown once); the old one stays valid for graceSeconds (0: dies now)',
    tags: ['devices'],
    response: RotatedToken,
    access: 'devices:admin',
    params: DeviceParams,
    body: z.object({ graceSeconds: z.number().int().min(0).max(86_400).optional() }),
    example: { graceSeconds: 0 },
    handler: async ({ params, body, principal }) => {
      const device = await getDevice(store.pool, principal, params.deviceId);
      const { token } = await registry.lifecycle.rotateToken(device.id, {
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
    response: Device,
    access: 'devices:admin',
    params: DeviceParams,
    handler: async ({ params, principal }) => presentDevice(await devices.revoke(principal, params.deviceId)),
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/edge-policy',
    summary:
      'Device edge flags: handshake policy (mac: MAC alone, legacy firmware; proof: current token or claim code after the first claim), legacy HTTP /api/iot/ (MAC alone), relaying readings for other devices; returns them',
    tags: ['devices'],
    response: DeviceEdgePolicy,
    access: 'devices:admin',
    params: DeviceParams,
    body: z.object(EdgePolicyBody),
    example: { handshakePolicy: 'mac', legacyHttp: true, canRelay: false },
    handler: async ({ params, body, principal }) => {
      const device = await getDevice(store.pool, principal, params.deviceId);
      const updated = await registry.lifecycle.setEdgePolicy(device.id, body, { tenantId: device.tenant_id });
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

  table.add({
    method: 'delete',
    path: '/api/devices/:deviceId',
    summary: 'Delete a device (pending ones too): its token dies, bindings and rule state go, stored readings stay',
    tags: ['devices'],
    access: 'devices:admin',
    params: DeviceParams,
    status: 204,
    handler: async ({ params, principal }) => devices.remove(principal, params.deviceId),
  });
}
