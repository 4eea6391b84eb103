import { FirmwareReportRecorded } from '@telemetry/api-contract';
import { AppError } from '@telemetry/contracts';
import { createFirmwareReports, parseFirmwareReport } from '@telemetry/firmware';
import type { DeviceIdentity } from '@telemetry/registry';
import type { Request } from 'express';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { id } from '../http/validation.js';
import { sendImage } from './download.js';
import { downloadOf, noteDownload } from './repository.js';

/**
 * The device's side of a rollout (#18), authenticated by its token as the other device routes:
 * the image (with Range, so a flaky link resumes) and its progress reports, for firmware that
 * speaks HTTP only (MQTT firmware may report on devices/{id}/firmware instead).
 */
export function registerFirmwareDeviceRoutes(table: RouteTable, ctx: ApiContext): void {
  const reports = createFirmwareReports(ctx.store.pool);

  const device = async (req: Request): Promise<DeviceIdentity> => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw new AppError('UNAUTHENTICATED', 'Authorization: Bearer <device token> required');
    const result = await ctx.devices.credentials.verifyBearer(token);
    if (result.ok) return result.identity;
    if (result.reason === 'pending')
      throw new AppError('DEVICE_NOT_ASSIGNED', 'device is waiting for an admin to assign it');
    if (result.reason === 'revoked') throw new AppError('DEVICE_REVOKED', 'device credentials revoked');
    throw new AppError('TOKEN_INVALID', 'unknown or expired device token: handshake again');
  };

  table.add({
    method: 'get',
    path: '/api/device/firmware/image',
    summary: 'Device: download the image of a rollout it is in (Range: bytes=N- resumes; HEAD for the size)',
    description:
      'Authenticated by the device token. 200 with the whole image, or 206 with `Content-Range` for a `Range` ' +
      'request; 416 for a range past the end. `ETag` is the quoted sha256 (use it as `If-Range`). 404 for a ' +
      'rollout the device is not in, 410 once the rollout expired. The rollout is a query parameter, not a ' +
      'path segment: the URL is what the firmware_update command carries.',
    tags: ['device'],
    access: 'device',
    query: z.object({ rolloutId: id }),
    produces: 'binary',
    handler: async ({ req, res, query }) => {
      const me = await device(req);
      const d = await downloadOf(ctx.store.pool, query.rolloutId, me.deviceId, me.tenantId);
      if (!d) throw new AppError('NOT_FOUND', 'no such rollout for this device');
      if (d.expired) throw new AppError('GONE', 'the rollout has expired');
      if (!d.image_id) throw new AppError('GONE', 'the image of this rollout was deleted');
      await noteDownload(ctx.store.pool, query.rolloutId, me.deviceId);
      await sendImage(ctx.store.pool, req, res, {
        id: d.image_id,
        size: Number(d.size),
        sha256: d.sha256,
        chunkSize: d.chunk_size,
        version: d.version,
      });
    },
  });

  table.add({
    method: 'post',
    path: '/api/device/firmware/progress',
    summary: 'Device: report a rollout’s progress or result (downloading, installing, updated, failed)',
    description:
      'Body: `{"rolloutId","state","bytes","version","error"}`, the same report as on MQTT `devices/{id}/firmware`.',
    tags: ['device'],
    access: 'device',
    body: z.object({
      rolloutId: id,
      state: z.enum(['downloading', 'installing', 'updated', 'failed']),
      bytes: z.number().int().min(0).optional(),
      version: z.string().max(64).optional(),
      error: z.string().max(500).optional(),
    }),
    example: { rolloutId: '5f0c9a52-8d0e-4c55-9b7e-2f4f7c1f3a10', state: 'updated', version: '1.5.0' },
    response: FirmwareReportRecorded,
    handler: async ({ req, body }) => {
      const me = await device(req);
      const report = parseFirmwareReport(body);
      if ('invalid' in report) throw new AppError('VALIDATION_FAILED', report.invalid);
      const outcome = await reports.report(me.tenantId, me.deviceId, report);
      if (outcome === 'unknown') throw new AppError('NOT_FOUND', 'no such rollout for this device');
      if (outcome === 'expired') throw new AppError('GONE', 'the rollout has expired');
      if (outcome === 'stale')
        throw new AppError('CONFLICT', 'the device is further along (or finished) in this rollout already');
      return { recorded: true };
    },
  });
}
