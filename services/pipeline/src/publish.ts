import type { Bus, IncomingMessage, OutgoingMessage } from '@telemetry/bus';
import { type DeadReason, encodeMessage, type TelemetryAcceptedV1, TelemetryDeadV1 } from '@telemetry/contracts';
import type { Candidate, PipelineTopics } from './process-batch.js';

export interface DeadLetter {
  message: IncomingMessage;
  reason: DeadReason;
  detail: string;
  tenantId: string | null;
  deviceId: string | null;
  eventId: string | null;
}

export interface AcceptedOut {
  candidate: Candidate;
  assetId: string | null;
}

/**
 * Publishes a batch's accepted events and dead letters (both at-least-once: a redelivered batch
 * publishes its dead letters again; consumers of these topics dedupe by event id). The accepted
 * event carries the time it was filed under, so a skewed device clock does not reach the rules.
 */
export async function publishOutcome(
  deps: { bus: Bus; topics: PipelineTopics },
  out: { accepted: AcceptedOut[]; dead: DeadLetter[]; storedAt?: number },
): Promise<void> {
  const storedAt = out.storedAt ?? Date.now();
  const accepted: OutgoingMessage[] = out.accepted.map(({ candidate: c, assetId }) => {
    // Not parsed again on the way out (#23: a second zod pass per event): every field comes from
    // the event as TelemetryRawV1 parsed it, the time it is filed under and typed additions.
    const event: TelemetryAcceptedV1 = {
      ...c.event,
      ts: c.ts,
      assetId,
      late: c.late,
      trace: { ...c.event.trace, stored: storedAt },
    };
    return { key: c.event.deviceId, value: Buffer.from(JSON.stringify(event)) };
  });
  const dead: OutgoingMessage[] = out.dead.map((d) => ({
    key: d.deviceId ?? d.message.key,
    value: encodeMessage(TelemetryDeadV1, {
      v: 1,
      reason: d.reason,
      detail: d.detail.slice(0, 1000),
      tenantId: d.tenantId,
      deviceId: d.deviceId,
      eventId: d.eventId,
      source: 'pipeline',
      channel: d.message.topic,
      original: d.message.value.toString('base64'),
      receivedAt: new Date(d.message.timestamp || Date.now()).toISOString(),
    }),
  }));
  await Promise.all([
    accepted.length ? deps.bus.publish(deps.topics.accepted, accepted) : undefined,
    dead.length ? deps.bus.publish(deps.topics.dead, dead) : undefined,
  ]);
}
