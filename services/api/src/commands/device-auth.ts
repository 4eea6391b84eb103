import { AppError } from '@telemetry/contracts';
import type { Request } from 'express';
import type { ApiContext } from '../context.js';

/**
 * The device a request comes from, by its device token (`Authorization: Bearer`), as on the other
 * device routes: HTTP-only firmware (the ozone seed's) fetching commands and desired configuration.
 */
export function deviceOfRequest(ctx: Pick<ApiContext, 'devices'>) {
  return async (req: Request): Promise<string> => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw new AppError('UNAUTHENTICATED', 'Authorization: Bearer <device token> required');
    const result = await ctx.devices.credentials.verifyBearer(token);
    if (result.ok) return result.identity.deviceId;
    if (result.reason === 'pending')
      throw new AppError('DEVICE_NOT_ASSIGNED', 'device is waiting for an admin to assign it');
    if (result.reason === 'revoked') throw new AppError('DEVICE_REVOKED', 'device credentials revoked');
    throw new AppError('TOKEN_INVALID', 'unknown or expired device token: handshake again');
  };
}
