import { DesiredDocument, ReportAck, Shadow, TypeDesired } from '@telemetry/api-contract';
import { createShadowStore, parseReport, toDesiredWire } from '@telemetry/commands';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import { deviceOfRequest } from '../commands/device-auth.js';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id } from '../http/validation.js';
import { readTenant, writeTenant } from '../scope.js';
import { createShadowService } from './service.js';

const AttributeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'an attribute name: letters, digits, _ . -, starting with a letter');
/** A JSON merge patch of the top level (RFC 7396): a value sets, null removes. */
const Patch = z.record(AttributeName, z.unknown());
const TypeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits and _ . -');
const Wait = z.coerce.number().min(0).max(30).default(0);

/**
 * Desired configuration of devices (#18, the device-shadow idea): managers set desired attributes
 * per device (over defaults per device type), the device receives them on `devices/{id}/desired`
 * (or `GET /api/device/desired/`), applies them and reports what it applied with the version.
 */
export function registerShadowRoutes(table: RouteTable, ctx: ApiContext): void {
  const store = createShadowStore(ctx.store.pool);
  const service = createShadowService({
    store,
    publish: ctx.publish,
    devices: ctx.deviceViews,
    pool: ctx.store.pool,
    topic: ctx.publish.topics.desired,
  });
  const device = deviceOfRequest(ctx);

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/shadow',
    summary:
      'A device’s desired configuration (its type’s defaults under its own values), what it reported, and the difference',
    tags: ['shadow'],
    access: 'devices:read',
    response: Shadow,
    params: z.object({ deviceId }),
    handler: ({ params, principal }) => service.get(principal, params.deviceId),
  });

  table.add({
    method: 'patch',
    path: '/api/devices/:deviceId/shadow/desired',
    summary: 'Change a device’s desired attributes (a merge patch: null removes one); pushed to the device at QoS 1',
    description:
      'The device receives `{"version","desired"}` on `devices/{id}/desired` when it subscribes and on every change, ' +
      'and reports `{"version","reported"}` on `devices/{id}/reported` (or `POST /api/device/reported/`). ' +
      '`expectedVersion`: refused with 409 when the configuration changed meanwhile.',
    tags: ['shadow'],
    access: 'devices:write',
    response: Shadow,
    params: z.object({ deviceId }),
    body: z.object({ desired: Patch, expectedVersion: z.number().int().min(0).optional() }),
    example: { desired: { interval_s: 30, led: null } },
    handler: ({ params, body, principal }) =>
      service.patch(principal, params.deviceId, body.desired, body.expectedVersion),
  });

  table.add({
    method: 'get',
    path: '/api/device-types/:typeName/desired',
    summary: 'The desired defaults of a device type (what its devices get unless they have their own value)',
    tags: ['shadow'],
    access: 'devices:read',
    response: TypeDesired,
    params: z.object({ typeName: TypeName }),
    query: z.object({ tenantId: id.optional() }),
    handler: async ({ params, query, principal }) => ({
      deviceType: params.typeName,
      ...(await service.typeDefaults(readTenant(principal, query.tenantId), params.typeName)),
    }),
  });

  table.add({
    method: 'put',
    path: '/api/device-types/:typeName/desired',
    summary: 'Replace the desired defaults of a device type; pushed to its connected devices',
    tags: ['shadow'],
    access: 'devices:write',
    response: TypeDesired,
    params: z.object({ typeName: TypeName }),
    body: z.object({ desired: Patch, tenantId: id.optional() }),
    example: { desired: { interval_s: 60 } },
    handler: ({ params, body, principal }) =>
      service.setTypeDefaults(principal, writeTenant(principal, body.tenantId), params.typeName, body.desired),
  });

  table.add({
    method: 'get',
    path: '/api/device/desired/',
    summary: 'Device: its desired configuration (long poll: `?after=V&wait=N` answers once the version passes V)',
    description: 'Authenticated by the device token. Answers `{"version","desired"}`.',
    tags: ['device'],
    access: 'public',
    response: DesiredDocument,
    query: z.object({ wait: Wait, after: z.coerce.number().int().min(0).optional() }),
    handler: async ({ req, query }) => {
      const deviceIdOf = await device(req);
      const deadline = Date.now() + query.wait * 1000;
      for (;;) {
        const [shadow] = await store.get([deviceIdOf]);
        if (!shadow) throw new AppError('NOT_FOUND', 'device not found');
        const newer = query.after === undefined || shadow.version > query.after;
        if (newer || Date.now() >= deadline || req.socket.destroyed) return toDesiredWire(shadow);
        await new Promise((r) => setTimeout(r, Math.min(1_000, deadline - Date.now())));
      }
    },
  });

  table.add({
    method: 'post',
    path: '/api/device/reported/',
    summary: 'Device: report the configuration it applied, with the desired version it applied',
    description:
      'Body `{"version": N, "reported": {...}}` (null removes an attribute). 409 when a report of a newer ' +
      'version is already stored (this one is stale) or the version was never given out.',
    tags: ['device'],
    access: 'public',
    response: ReportAck,
    body: z.object({ version: z.number().int().min(0), reported: z.record(z.string(), z.unknown()) }),
    example: { version: 3, reported: { interval_s: 30 } },
    handler: async ({ req, body }) => {
      const deviceIdOf = await device(req);
      const report = parseReport(body);
      if ('invalid' in report) throw new AppError('VALIDATION_FAILED', report.invalid);
      const stored = await store.report(deviceIdOf, report.version, report.reported);
      if ('refused' in stored) {
        if (stored.refused === 'no_device') throw new AppError('NOT_FOUND', 'device not found');
        throw new AppError(
          'CONFLICT',
          stored.refused === 'stale'
            ? 'a report of a newer desired version is already stored: this one is stale'
            : 'no such desired version was given to this device',
          { details: { reason: stored.refused } },
        );
      }
      return { ack: true, version: stored.version, inSync: stored.inSync, delta: stored.delta };
    },
  });
}
