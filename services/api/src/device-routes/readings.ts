import { AppError, fromReading, ReadingBatch } from '@telemetry/contracts';
import type { Request } from 'express';
import { BadPayload, type Edge } from './edge.js';

/**
 * Reading aggregator seed: `POST /api/device/readings/` with an array of
 * {timestamp, reading, device_id, customer_id}, authenticated by a device Bearer token.
 *
 * A device may always post its own readings. The seed's flow is one uploader posting for many
 * sensors of one customer: a device an admin made a gateway (`can_relay`, default off) acts for
 * ITS TENANT, so every `device_id` must be an active device of the token's tenant; a batch naming
 * another device from a device without `can_relay` is refused (403). `customer_id`, when
 * present, must name the tenant (its id or tenants.external_id).
 * The batch is all or nothing: one foreign or unknown device refuses the whole batch (403, with the
 * offending ids), so a partial upload never needs reconciling. Each reading's event id is derived
 * from (device_id, timestamp): re-posting a batch stores nothing twice. -> {ack: true, count}.
 */
export function readings(edge: Edge) {
  return async (req: Request) => {
    const identity = await edge.authenticate(req);
    edge.limit(identity.deviceId);
    const receivedAt = new Date();
    const batch = edge.parse(ReadingBatch, edge.json(req));

    const customers = [...new Set(batch.flatMap((r) => (r.customer_id ? [r.customer_id] : [])))];
    for (const customer of customers) {
      if (!(await edge.registry.tenants.isTenantAlias(identity.tenantId, customer))) {
        throw new AppError('FORBIDDEN', `customer_id ${customer} is not the tenant of this token`);
      }
    }
    const ids = [...new Set(batch.map((r) => r.device_id))];
    if (
      ids.some((id) => id !== identity.deviceId) &&
      !(await edge.registry.directory.get(identity.deviceId))?.canRelay
    ) {
      throw new AppError(
        'FORBIDDEN',
        'this device may post only its own readings: an admin must enable relaying (can_relay) for it to post for other devices',
      );
    }
    const active = new Set(await edge.registry.tenants.activeInTenant(identity.tenantId, ids));
    const foreign = ids.filter((id) => !active.has(id));
    if (foreign.length > 0) {
      throw new AppError('FORBIDDEN', `not active devices of this tenant: ${foreign.slice(0, 20).join(', ')}`, {
        details: {
          errors: foreign.slice(0, 100).map((id) => ({ path: 'device_id', message: `unknown device ${id}` })),
        },
      });
    }
    const messages = batch.map((r, i) => {
      try {
        return edge.rawMessage(identity.tenantId, r.device_id, fromReading(r), receivedAt);
      } catch (err) {
        throw new BadPayload('schema_invalid', `[${i}].timestamp: ${(err as Error).message}`);
      }
    });
    await edge.publish('readings', messages);
    return { ack: true, count: messages.length } as const;
  };
}
