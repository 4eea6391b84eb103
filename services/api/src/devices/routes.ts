import { BulkOutcome, Device, DeviceBindingPage, DevicePage } from '@telemetry/api-contract';
import { editDevice } from '@telemetry/registry';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { auditRow } from '../http/audited.js';
import type { RouteTable } from '../http/route-table.js';
import { attributes, id } from '../http/validation.js';
import { type DeviceStatus, getDevice, listBindings, presentDevice } from './repository.js';
import { BulkBody, DeviceListQuery, DeviceName, DeviceParams, DeviceType, ExpectedInterval } from './schemas.js';
import { createDeviceService } from './service.js';

/**
 * The devices people read and managers edit: the fleet list (sorted, filtered, keyset-paged,
 * counted), one device, its name/notes/attributes, where it is bound, and bulk actions over a
 * selection. Admin-only identity and token routes are in admin-routes.ts.
 */
export function registerDeviceRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;
  const devices = createDeviceService(ctx);

  table.add({
    method: 'get',
    path: '/api/devices',
    summary:
      'Devices: all, online, offline, pending (unregistered; platform admins) or unbound; filtered by site, type or text, sorted by name, id, type or age',
    tags: ['devices'],
    response: DevicePage,
    access: 'devices:read',
    query: DeviceListQuery,
    handler: async ({ query, principal }) =>
      devices.list(principal, { ...query, status: query.status as DeviceStatus }),
  });

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId',
    summary: 'One device with its latest values',
    tags: ['devices'],
    response: Device,
    access: 'devices:read',
    params: DeviceParams,
    handler: async ({ params, principal }) => presentDevice(await getDevice(store.pool, principal, params.deviceId)),
  });

  table.add({
    method: 'patch',
    path: '/api/devices/:deviceId',
    summary: 'Change a device’s name, notes, type, expected interval or attributes (e.g. max_consumption, price)',
    tags: ['devices'],
    response: Device,
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
        await editDevice(client, device.id, body);
        await auditRow(client, principal, 'update', 'device', device, body);
        return presentDevice(await getDevice(client, principal, device.id));
      }),
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/bind',
    summary:
      'Bind the device to an asset (a machine, a dispenser...); the previous binding is closed and kept in history',
    tags: ['devices'],
    response: Device,
    access: 'devices:write',
    params: DeviceParams,
    body: z.object({ assetId: id }),
    example: { assetId: '00000000-0000-4000-8000-000000000000' },
    handler: async ({ params, body, principal }) =>
      presentDevice(await devices.move(principal, params.deviceId, body.assetId)),
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/unbind',
    summary: 'Unbind the device from its asset (history kept)',
    tags: ['devices'],
    response: Device,
    access: 'devices:write',
    params: DeviceParams,
    handler: async ({ params, principal }) => presentDevice(await devices.move(principal, params.deviceId, null)),
  });

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/bindings',
    summary: 'Binding history of a device, newest first',
    tags: ['devices'],
    response: DeviceBindingPage,
    access: 'devices:read',
    params: DeviceParams,
    handler: async ({ params, principal }) => {
      const device = await getDevice(store.pool, principal, params.deviceId);
      const rows = await listBindings(store.pool, device);
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
    path: '/api/devices/bulk',
    summary:
      'One action over up to 200 devices: move (to assetId), unbind (managers), revoke or delete (admins); each device succeeds or is refused on its own',
    tags: ['devices'],
    response: BulkOutcome,
    access: 'devices:write',
    body: BulkBody,
    example: { action: 'move', deviceIds: ['esp32-001', 'esp32-002'], assetId: '00000000-0000-4000-8000-000000000000' },
    handler: async ({ body, principal }) => devices.bulk(principal, body),
  });
}
