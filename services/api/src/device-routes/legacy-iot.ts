import { AppError, fromLegacyForm, hasNul, jsonHazardMessage, LegacyIotForm } from '@telemetry/contracts';
import type { Request } from 'express';
import { BadPayload, type Edge } from './edge.js';

/**
 * Ozone seed, legacy firmware: `POST /api/iot/` as application/x-www-form-urlencoded -> {"status":"ok"}.
 *
 * Legacy firmware has no token: the device is identified by `macaddr` alone, so only ACTIVE
 * devices an admin opted in (`legacy_http`, default off) are accepted; any other active device is
 * answered 403 FORBIDDEN saying so. An unknown MAC is recorded as a pending device, once (within
 * DEVICE_MAX_PENDING, else 429), so it shows up for an admin to assign, and answered 403
 * DEVICE_NOT_ASSIGNED; a revoked one 403 DEVICE_REVOKED. Anyone who knows an opted-in MAC can post
 * as that device: for those devices this endpoint is as strong as the seed's, no stronger; move
 * them to firmware that handshakes. Rate-limited per MAC (and per IP by the API).
 */
export function legacyIot(edge: Edge) {
  return async (req: Request) => {
    const receivedAt = new Date();
    const form = edge.parse(LegacyIotForm, formFields(req));
    edge.limit(`mac:${form.macaddr.toUpperCase()}`);
    const device = await edge.registry.directory.findByMac(form.macaddr);
    if (!device) {
      await edge.registry.lifecycle.handshake({
        mac: form.macaddr,
        firmware: 'legacy',
        ...(edge.maxPending !== undefined ? { maxPending: edge.maxPending } : {}),
        source: req.ip ?? 'unknown',
        ...edge.pendingBounds,
      });
      throw new AppError('DEVICE_NOT_ASSIGNED', 'unknown MAC: recorded as a pending device for an admin to assign');
    }
    if (device.state === 'revoked') throw new AppError('DEVICE_REVOKED', 'device revoked');
    if (device.state !== 'active' || !device.tenantId) {
      throw new AppError('DEVICE_NOT_ASSIGNED', 'device is waiting for an admin to assign it');
    }
    if (!device.legacyHttp) {
      throw new AppError(
        'FORBIDDEN',
        'legacy HTTP (/api/iot/, identified by MAC alone) is not enabled for this device: an admin must enable legacy HTTP for this device',
      );
    }
    let normalized: ReturnType<typeof fromLegacyForm>;
    try {
      normalized = fromLegacyForm(form);
    } catch (err) {
      throw new BadPayload('schema_invalid', (err as Error).message);
    }
    await edge.publish('iot', [edge.rawMessage(device.tenantId, device.id, normalized, receivedAt)]);
    return { status: 'ok' } as const;
  };
}

/** The form body (raw bytes) as an object of its fields; a repeated field keeps its last value. */
function formFields(req: Request): Record<string, string> {
  const body: unknown = req.body;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  const fields = Object.fromEntries(new URLSearchParams(text));
  // PostgreSQL refuses U+0000: refused here rather than acknowledged and then dropped (#20)
  if (Object.entries(fields).some(([k, v]) => hasNul(k) || hasNul(v))) {
    throw new BadPayload('schema_invalid', jsonHazardMessage('nul'));
  }
  return fields;
}
