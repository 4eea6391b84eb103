import { DispenserLevel, derivedEventId, parseDeviceTime } from '@telemetry/contracts';
import type { Request } from 'express';
import { BadPayload, type Edge } from './edge.js';

/**
 * Dispenser seed, sent by the device itself: `POST /api/device/level/` {current_level, event_id?, ts?}
 * with a device Bearer token (the seed's `/dispensers/<id>/update-level/` is the user-JWT variant,
 * served by the API). The reading is the metric `level` of the token's device. Without an event_id
 * the id is derived from the device and its time (ts, else the receive time): firmware that wants
 * retransmissions deduplicated sends an event_id or a ts. -> {ack: true, event_id}.
 */
export function level(edge: Edge) {
  return async (req: Request) => {
    const identity = await edge.authenticate(req);
    edge.limit(identity.deviceId);
    const receivedAt = new Date();
    const body = edge.parse(DispenserLevel, edge.json(req));
    let ts: string | undefined;
    try {
      ts = parseDeviceTime(body.ts);
    } catch (err) {
      throw new BadPayload('schema_invalid', `ts: ${(err as Error).message}`, body.event_id ?? null);
    }
    const eventId = body.event_id ?? derivedEventId('level', identity.deviceId, ts ?? receivedAt.getTime());
    const message = edge.rawMessage(
      identity.tenantId,
      identity.deviceId,
      { eventId, kind: 'telemetry', ts, metrics: { level: body.current_level }, attributes: {} },
      receivedAt,
    );
    await edge.publish('level', [message]);
    return { ack: true, event_id: eventId } as const;
  };
}
