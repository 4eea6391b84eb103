import type { Batch, Bus, Subscription } from '@telemetry/bus';
import {
  AlertV1,
  AppError,
  DevicePresenceV1,
  decodeMessage,
  TaskV1,
  TelemetryAcceptedV1,
  Topics,
} from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Directory } from './directory.js';
import type { RealtimeMetrics } from './metrics.js';
import { roomsFor } from './routing.js';
import type { Delivery } from './session.js';

export const REALTIME_TOPICS = [Topics.telemetryAccepted, Topics.alerts, Topics.tasks, Topics.devicePresence];

/**
 * Consumes the four topics the dashboards care about and turns each message into a routed
 * Delivery. Every gateway instance joins the SAME consumer group, so each bus message is handled
 * by exactly one instance, which then broadcasts it to the clients of all instances (publish).
 * The group is not durable: a memory-bus publish never waits for dashboards.
 */
export async function startConsumer(deps: {
  bus: Bus;
  directory: Directory;
  logger: Logger;
  metrics: RealtimeMetrics;
  groupId: string;
  /** Monotonic per instance; stamped on alerts and tasks for resumption. */
  nextCursor: () => number;
  publish: (deliveries: Delivery[]) => void;
}): Promise<Subscription> {
  const { directory, logger, metrics } = deps;

  const route = async (topic: string, value: Buffer): Promise<Delivery | undefined> => {
    switch (topic) {
      case Topics.telemetryAccepted: {
        const data = decodeMessage(TelemetryAcceptedV1, value);
        const rooms = await roomsFor(directory, data);
        return { kind: 'telemetry', rooms, data };
      }
      case Topics.alerts: {
        const data = decodeMessage(AlertV1, value);
        const rooms = await roomsFor(directory, data);
        return { kind: 'alert', rooms, cursor: deps.nextCursor(), data };
      }
      case Topics.tasks: {
        const data = decodeMessage(TaskV1, value);
        const rooms = await roomsFor(directory, data);
        return { kind: 'task', rooms, cursor: deps.nextCursor(), data };
      }
      case Topics.devicePresence: {
        const data = decodeMessage(DevicePresenceV1, value);
        const rooms = await roomsFor(directory, data);
        return { kind: 'presence', rooms, data };
      }
      default:
        return undefined;
    }
  };

  const handler = async (batch: Batch) => {
    const deliveries: Delivery[] = [];
    for (const message of batch.messages) {
      let delivery: Delivery | undefined;
      try {
        delivery = await route(batch.topic, message.value);
      } catch (err) {
        if (isDecodeError(err)) {
          // The pipeline validated it already; a bad message here is a producer bug: log, skip.
          metrics.consumed.inc({ topic: batch.topic, outcome: 'invalid' });
          logger.warn({ err, topic: batch.topic, offset: message.offset }, 'realtime: undecodable message skipped');
          continue;
        }
        // The database did not answer: redeliver the batch rather than drop alerts.
        throw new AppError('UNAVAILABLE', 'realtime: cannot route message', { retriable: true, cause: err });
      }
      if (delivery) deliveries.push(delivery);
    }
    if (deliveries.length === 0) return;
    deps.publish(deliveries);
    metrics.consumed.inc({ topic: batch.topic, outcome: 'routed' }, deliveries.length);
  };

  await deps.bus.ensureTopics(REALTIME_TOPICS.map((name) => ({ name })));
  return deps.bus.subscribe({
    groupId: deps.groupId,
    topics: REALTIME_TOPICS,
    handler,
    durable: false,
    // A dashboard wants now, not history: a new group starts at the end.
    fromBeginning: false,
    maxBatchSize: 500,
  });
}

function isDecodeError(err: unknown): boolean {
  return err instanceof SyntaxError || (err instanceof Error && err.name === 'ZodError');
}
