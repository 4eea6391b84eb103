import { AppError, fromOzoneEvent, OzoneEvent } from '@telemetry/contracts';
import type { Request } from 'express';
import { BadPayload, type Edge } from './edge.js';

/**
 * Ozone seed `POST /api/device/events/` (Bearer device token) -> {ack: true, event_id}.
 * Answered only after the bus acknowledged the event. Idempotent on event_id: a retransmission
 * is published again and answered the same; the pipeline stores (device, event_id) once.
 * `device_id` in the body must be the token's device: a device reports only for itself.
 */
export function deviceEvents(edge: Edge) {
  return async (req: Request) => {
    const identity = await edge.authenticate(req);
    edge.limit(identity.deviceId);
    const receivedAt = new Date();
    const event = edge.parse(OzoneEvent, edge.json(req), true);
    if (event.device_id !== identity.deviceId) {
      throw new AppError('FORBIDDEN', `device_id ${event.device_id} is not the device of this token`);
    }
    let normalized: ReturnType<typeof fromOzoneEvent>;
    try {
      normalized = fromOzoneEvent(event);
    } catch (err) {
      throw new BadPayload('schema_invalid', (err as Error).message, event.event_id);
    }
    await edge.publish('events', [edge.rawMessage(identity.tenantId, identity.deviceId, normalized, receivedAt)]);
    return { ack: true, event_id: event.event_id } as const;
  };
}
