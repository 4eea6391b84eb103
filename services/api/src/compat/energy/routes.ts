import { EnergyDevice, EnergyMapping, EnergyUser } from '@telemetry/api-contract';
import { hasPermission } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import type { ApiContext } from '../../context.js';
import { cursorInHeader } from '../../http/pagination.js';
import type { RouteTable } from '../../http/route-table.js';
import { id, MAX_PAGE, pageQuery } from '../../http/validation.js';
import { notFound } from '../../scope.js';
import { ENERGY_ROLES, ourRole } from './present.js';
import { createEnergyService } from './service.js';

const TAG = 'compat-energy';
const amount = z.number().finite().min(0, 'must be 0 or more');
const DeviceFields = {
  name: z.string().min(1).max(200),
  description: z.string().max(1000).optional(),
  /** watts */
  max_consumption: amount.optional(),
  price: amount.optional(),
};
const UserParams = z.object({ userId: id });
/** An energy device's id (a UUID); anything else is a device that does not exist (404, as the seed's 404). */
const deviceRef = z.string().min(1).max(128);
const DeviceParams = z.object({ meterId: deviceRef });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(MAX_PAGE) });

/**
 * The energy seed's URLs (004_*): Traefik routed /api/auth, /api/users and /api/devices to three
 * Django services; here they are one API over users, assets of type `meter` and user_assignments.
 * Register and login live in compat/auth.ts (their URLs are shared with the ozone seed).
 */
export function registerEnergyRoutes(table: RouteTable, ctx: ApiContext): void {
  const energy = createEnergyService(ctx);

  table.add({
    method: 'get',
    path: '/api/users/',
    summary: 'Users of the tenant (energy seed shape: fname, lname, role client = viewer)',
    tags: [TAG],
    access: 'users:read',
    aliasOf: '/api/users',
    query: listQuery,
    response: z.array(EnergyUser),
    handler: async ({ query, principal }) => energy.listUsers(principal, query.limit),
  });

  table.add({
    method: 'get',
    path: '/api/users/:userId/',
    summary: 'One user (energy seed shape); anyone may read themselves',
    response: EnergyUser,
    tags: [TAG],
    access: 'user',
    aliasOf: '/api/users/{userId}',
    params: UserParams,
    handler: async ({ params, principal }) => {
      if (params.userId !== principal.userId && !hasPermission(principal.role, 'users:read')) throw notFound('user');
      return energy.getUser(principal, params.userId);
    },
  });

  table.add({
    method: 'put',
    path: '/api/users/:userId/update/',
    summary: 'Change a user’s profile (energy seed shape)',
    response: EnergyUser,
    tags: [TAG],
    access: 'users:write',
    aliasOf: '/api/users/{userId}',
    params: UserParams,
    body: z.object({
      fname: z.string().max(100).optional(),
      lname: z.string().max(100).optional(),
      email: z.email().max(254).optional().nullable(),
      phone: z.string().max(40).optional().nullable(),
      role: z.enum(ENERGY_ROLES).optional(),
    }),
    example: { fname: 'John', lname: 'Smith', email: 'john.smith@example.com', phone: '+1234567890' },
    handler: async ({ params, body, principal }) =>
      energy.updateUser(principal, params.userId, {
        firstName: body.fname,
        lastName: body.lname,
        email: body.email,
        phone: body.phone,
        role: body.role ? ourRole(body.role) : undefined,
      }),
  });

  table.add({
    method: 'delete',
    path: '/api/users/:userId/delete/',
    summary: 'Delete a user with their assignments and sessions in one transaction (the seed’s saga)',
    tags: [TAG],
    access: 'users:write',
    aliasOf: '/api/users/{userId}',
    params: UserParams,
    status: 204,
    handler: async ({ params, principal }) => {
      if (params.userId === principal.userId) throw new AppError('CONFLICT', 'You may not delete yourself');
      await energy.deleteUser(principal, params.userId);
    },
  });

  table.add({
    method: 'get',
    path: '/api/devices/',
    summary: 'Energy devices (assets of type meter); a client (viewer) sees the ones assigned to them',
    tags: [TAG],
    access: 'assets:read',
    aliasOf: '/api/assets?type=meter',
    query: z.object({ ...pageQuery, limit: listQuery.shape.limit }),
    response: z.array(EnergyDevice),
    handler: async ({ query, principal, res }) =>
      cursorInHeader(res, await energy.listDevices(principal, query.limit, query.cursor)),
  });

  table.add({
    method: 'post',
    path: '/api/devices/create/',
    summary: 'Create an energy device (max_consumption and price are numbers ≥ 0)',
    response: EnergyDevice,
    tags: [TAG],
    access: 'assets:write',
    aliasOf: '/api/assets',
    body: z.object({ ...DeviceFields, tenant_id: id.optional() }),
    example: {
      name: 'Smart Thermostat',
      description: 'WiFi-enabled temperature control',
      max_consumption: 150,
      price: 249.99,
    },
    status: 201,
    handler: async ({ body, principal }) => energy.createDevice(principal, body),
  });

  table.add({
    method: 'get',
    path: '/api/devices/:meterId/',
    summary: 'One energy device',
    response: EnergyDevice,
    tags: [TAG],
    access: 'assets:read',
    aliasOf: '/api/assets/{assetId}',
    params: DeviceParams,
    handler: async ({ params, principal }) => energy.getDevice(principal, params.meterId),
  });

  table.add({
    method: 'put',
    path: '/api/devices/:meterId/update/',
    summary: 'Change an energy device (only the fields sent)',
    response: EnergyDevice,
    tags: [TAG],
    access: 'assets:write',
    aliasOf: '/api/assets/{assetId}',
    params: DeviceParams,
    body: z.object({ ...DeviceFields, name: DeviceFields.name.optional() }),
    example: { name: 'Smart Thermostat Pro', max_consumption: 120 },
    handler: async ({ params, body, principal }) => energy.updateDevice(principal, params.meterId, body),
  });

  table.add({
    method: 'delete',
    path: '/api/devices/:meterId/delete/',
    summary: 'Delete an energy device (its assignments go with it)',
    tags: [TAG],
    access: 'assets:write',
    aliasOf: '/api/assets/{assetId}',
    params: DeviceParams,
    status: 204,
    handler: async ({ params, principal }) => energy.deleteDevice(principal, params.meterId),
  });

  table.add({
    method: 'post',
    path: '/api/devices/assign/',
    summary: 'Assign an energy device to a user (several users may share one device)',
    response: EnergyMapping,
    tags: [TAG],
    access: 'users:write',
    aliasOf: '/api/users/{userId}/assignments',
    body: z.object({ user_id: id, device_id: deviceRef }),
    example: { user_id: '00000000-0000-4000-8000-000000000001', device_id: '00000000-0000-4000-8000-000000000002' },
    status: 201,
    handler: async ({ body, principal }) => energy.assign(principal, body.user_id, body.device_id),
  });

  table.add({
    method: 'delete',
    path: '/api/devices/:meterId/unassign/',
    summary: 'Remove a user’s assignment to an energy device (?user_id=)',
    tags: [TAG],
    access: 'users:write',
    aliasOf: '/api/users/{userId}/assignments/{assignmentId}',
    params: DeviceParams,
    // optional in the schema so an unknown device answers 404 before a missing user_id answers 400
    query: z.object({ user_id: id.optional() }),
    status: 204,
    handler: async ({ params, query, principal }) => energy.unassign(principal, query.user_id, params.meterId),
  });

  table.add({
    method: 'get',
    path: '/api/mappings/',
    summary: 'Every user–device assignment of the tenant (energy devices)',
    response: z.array(EnergyMapping),
    tags: [TAG],
    access: 'users:read',
    query: listQuery,
    handler: async ({ query, principal }) => energy.mappings(principal, query.limit),
  });
}
