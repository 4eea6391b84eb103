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
import { type Loop, startLoop } from '@telemetry/runtime';
import {
  type Emit,
  type OutboxMessage,
  RELAY_SAFETY_INTERVAL_MS,
  relayOutbox,
  relayTick,
  type Store,
  withOutbox,
} from '@telemetry/store';
import type pg from 'pg';
import type { z } from 'zod';

export type { Emit, OutboxMessage };

export interface ApiTopics {
  alerts: string;
  tasks: string;
  raw: string;
  sessions: string;
  /** device.commands.v1: a command was queued (#18). */
  commands: string;
  /** device.desired.v1: a desired configuration changed (#18). */
  desired: string;
}

/**
 * Changes that dashboards must see live (alerts, tasks) go through the outbox of @telemetry/store:
 * written in the SAME transaction as the change, published after COMMIT; what a crash or a failed
 * publish leaves behind is published by the api's own relay (`startRelay`), so the api does not
 * depend on the rules worker being up.
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
  /** One relay pass: publishes outbox rows older than `graceMs`; how many. */
  relay(graceMs: number): Promise<number>;
  /**
   * Runs the relay: when a publish fails (after its grace), when rows are left, and as a safety
   * net every minute; `intervalMs` is its retry after a failure and sets the grace. Stop it on close.
   */
  startRelay(intervalMs: number): Loop;
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
    commands: Topics.deviceCommands,
    desired: Topics.deviceDesired,
    ...deps.topics,
  };

  let relayLoop: { loop: Loop; graceMs: number } | undefined;
  const onPublishError = (err: unknown) => {
    deps.logger.warn({ err }, 'api: publish after commit failed; the outbox relay will publish it');
    relayLoop?.loop.kick(relayLoop.graceMs);
  };

  return {
    topics,
    inTransaction: (fn) => withOutbox({ bus: deps.bus, store: deps.store, onPublishError }, fn),
    async relay(graceMs) {
      const n = await relayOutbox(deps.bus, deps.store.pool, graceMs);
      if (n > 0) deps.logger.info({ relayed: n }, 'api: relayed outbox messages');
      return n;
    },
    startRelay(intervalMs) {
      // rows younger than this are still being published by the request that wrote them
      const graceMs = Math.max(5_000, intervalMs);
      const loop = startLoop(
        'api outbox relay',
        Math.max(RELAY_SAFETY_INTERVAL_MS, intervalMs),
        relayTick(() => this.relay(graceMs), {
          pool: deps.store.pool,
          graceMs,
          retryMs: intervalMs,
          onError: (err) => deps.logger.warn({ err }, 'api: outbox relay failed; retrying'),
        }),
        deps.logger,
      );
      relayLoop = { loop, graceMs };
      return loop;
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
