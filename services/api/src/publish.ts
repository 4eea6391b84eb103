import type { Bus } from '@telemetry/bus';
import {
  AlertV1,
  AppError,
  encodeMessage,
  SessionRevokedV1,
  TaskV1,
  TelemetryRawV1,
  Topics,
} from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Store } from '@telemetry/store';
import type pg from 'pg';
import type { z } from 'zod';

export interface OutboxMessage {
  topic: string;
  key: string;
  payload: string;
}

export type Emit = (message: OutboxMessage) => void;

export interface ApiTopics {
  alerts: string;
  tasks: string;
  raw: string;
  sessions: string;
}

/**
 * Changes that dashboards must see live (alerts, tasks) are written to rules_outbox (0006) in the
 * SAME transaction as the change, and published after COMMIT; a crash or a failed publish in between
 * leaves the row for the rules worker's relay, which publishes it later. So an acknowledged alert is
 * never silently missing from alerts.v1 (at-least-once; consumers dedupe). Publishing happens after
 * the transaction's connection is released: with the memory bus a publish waits for the consumers,
 * which need a connection of the same pool (the embedded store has one).
 */
export interface Publisher {
  topics: ApiTopics;
  /** Runs fn in a transaction; messages it emits are committed with it, then published. */
  inTransaction<T>(fn: (client: pg.PoolClient, emit: Emit) => Promise<T>): Promise<T>;
  alert(value: z.input<typeof AlertV1>): OutboxMessage;
  task(value: z.input<typeof TaskV1>): OutboxMessage;
  /** A user's access changed: realtime re-checks their open sockets (auth.sessions.v1). */
  revocation(value: Omit<z.input<typeof SessionRevokedV1>, 'v' | 'at'>): OutboxMessage;
  /** Telemetry from a person (the dispenser seed's level update): straight to the bus, durable when it resolves. */
  publishRaw(value: z.input<typeof TelemetryRawV1>): Promise<void>;
}

export function createPublisher(deps: {
  bus: Bus;
  store: Store;
  logger: Logger;
  topics?: Partial<ApiTopics>;
}): Publisher {
  const topics: ApiTopics = {
    alerts: Topics.alerts,
    tasks: Topics.tasks,
    raw: Topics.telemetryRaw,
    sessions: Topics.sessions,
    ...deps.topics,
  };

  const flush = async (stored: (OutboxMessage & { id: string })[]) => {
    for (const m of stored) {
      try {
        await deps.bus.publish(m.topic, [{ key: m.key, value: m.payload }]);
        await deps.store.pool.query('DELETE FROM rules_outbox WHERE id = $1::bigint', [m.id]);
      } catch (err) {
        deps.logger.warn(
          { err, topic: m.topic },
          'api: publish after commit failed; the rules relay will publish it from rules_outbox',
        );
        return;
      }
    }
  };

  return {
    topics,
    async inTransaction(fn) {
      const emitted: OutboxMessage[] = [];
      let stored: (OutboxMessage & { id: string })[] = [];
      const value = await deps.store.withTransaction(async (client) => {
        const result = await fn(client, (m) => emitted.push(m));
        if (emitted.length > 0) {
          const { rows } = await client.query<{ id: string }>(
            `INSERT INTO rules_outbox (topic, key, payload)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) RETURNING id::text`,
            [emitted.map((m) => m.topic), emitted.map((m) => m.key), emitted.map((m) => m.payload)],
          );
          stored = emitted.map((m, i) => ({ ...m, id: rows[i]?.id ?? '0' }));
        }
        return result;
      });
      await flush(stored);
      return value;
    },
    alert(value) {
      return {
        topic: topics.alerts,
        key: value.deviceId ?? value.alertId,
        payload: encodeMessage(AlertV1, value).toString(),
      };
    },
    task(value) {
      return {
        topic: topics.tasks,
        key: value.deviceId ?? value.taskId,
        payload: encodeMessage(TaskV1, value).toString(),
      };
    },
    revocation(value) {
      return {
        topic: topics.sessions,
        key: value.userId,
        payload: encodeMessage(SessionRevokedV1, { v: 1, at: new Date().toISOString(), ...value }).toString(),
      };
    },
    async publishRaw(value) {
      const bytes = encodeMessage(TelemetryRawV1, value);
      try {
        await deps.bus.publish(topics.raw, [{ key: value.deviceId, value: bytes }]);
      } catch (err) {
        throw new AppError('UNAVAILABLE', 'the message bus did not accept the reading: try again', {
          retriable: true,
          cause: err,
        });
      }
    },
  };
}
