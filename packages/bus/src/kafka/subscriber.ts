import { backoffMs, sleepUnless } from '@telemetry/runtime';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { type BusLogger, DEFAULT_MAX_BATCH_SIZE } from '../config.js';
import type { SubscribeOptions, Subscription } from '../port.js';
import { chunks, toIncoming } from './messages.js';

/**
 * Delay before redelivering a batch whose handler threw: 50 ms doubling to 5 s. Short first retries
 * keep a transient failure (a deadlock retry, a pool timeout) cheap; the cap stops a poison batch
 * from spinning the CPU while someone looks at the logs.
 */
const REDELIVERY = { baseMs: 50, maxMs: 5_000 };

/**
 * Failover in seconds (#15). A member that dies without leaving (SIGKILL, a lost host) holds its
 * partitions until the broker's session timeout: kafkajs's 30 s default stalled a dead worker's
 * partitions ~30 s. 6 s (the broker default group.min.session.timeout.ms) with heartbeats every
 * second: a dead member is evicted after 6 s, the others learn at their next heartbeat and rejoin,
 * measured ~7-9 s kill -> its partitions consumed elsewhere (test/failover.test.ts). A live member
 * is never evicted by a slow batch: the handler call heartbeats every second while it runs (below).
 * rebalanceTimeout bounds how long a rebalance waits for members still finishing a batch.
 * maxWaitTimeInMs 500: an idle fetch returns fast, so a join or a returning broker is noticed soon.
 */
const CONSUMER_TIMINGS = {
  sessionTimeout: 6_000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 1_000,
  maxWaitTimeInMs: 500,
};
const RESTART_DELAY_MS = 1_000;
/** close() waits this long for kafkajs to leave the group; with the broker gone it would retry for long. */
const DISCONNECT_TIMEOUT_MS = 5_000;

/**
 * A consumer-group member. Offsets are committed by hand after each handler call that resolved
 * (autoCommit off, eachBatchAutoResolve off). A handler that throws is never rethrown into kafkajs:
 * that would also make it reprocess the other partitions fetched with this one (kafkajs#945).
 * Instead the partition is seeked back to the first unprocessed message, which is redelivered after
 * a backoff; the other partitions go on.
 */
export async function subscribeKafka(
  kafka: Kafka,
  options: SubscribeOptions,
  deps: { logger: BusLogger; concurrency: number },
): Promise<Subscription> {
  const { logger } = deps;
  const { groupId, topics, handler } = options;
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
  const failures = new Map<string, number>();
  const inflight = new Set<Promise<void>>();
  let closing = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale } =
      payload;
    const { topic, partition } = batch;
    const key = `${topic}/${partition}`;
    for (const chunk of chunks(batch.messages, maxBatchSize)) {
      // Stopping or seeked elsewhere: leave the rest for the next fetch (or the partition's next owner).
      if (!isRunning() || isStale()) return;
      const first = chunk[0];
      const last = chunk.at(-1);
      if (!first || !last) return;
      const messages = chunk.map((m) => toIncoming(topic, partition, m));
      // Async wrapper: even a handler that throws synchronously must not escape into kafkajs.
      const call = (async () => handler({ topic, partition, messages }))();
      inflight.add(call);
      // A long handler call (a slow transaction, a database coming back) must not cost the member its
      // session: heartbeat while it runs. A failed heartbeat (a rebalance started) is seen by kafkajs
      // on its own next heartbeat; nothing to do here.
      const beat = setInterval(() => void heartbeat().catch(() => undefined), CONSUMER_TIMINGS.heartbeatInterval);
      try {
        await call;
      } catch (err) {
        const attempt = (failures.get(key) ?? 0) + 1;
        failures.set(key, attempt);
        logger.warn(
          { err, groupId, topic, partition, offset: first.offset, attempt },
          'bus handler failed; the batch will be delivered again',
        );
        consumer.seek({ topic, partition, offset: first.offset });
        await sleepUnless(backoffMs(attempt, REDELIVERY), () => !isRunning());
        return;
      } finally {
        clearInterval(beat);
        inflight.delete(call);
      }
      failures.delete(key);
      resolveOffset(last.offset);
      // Commit now, not on an interval: a crash after this point redelivers nothing processed.
      await commitOffsetsIfNecessary(uncommittedOffsets());
      await heartbeat();
    }
  };

  const create = (): Consumer => {
    const c = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      ...CONSUMER_TIMINGS,
      // kafkajs restarts a crashed consumer even after disconnect() was called (seen with the broker
      // down: restarts every 5 s, keeping the process alive for minutes after close()).
      retry: { restartOnFailure: async () => !closing },
    });
    c.on(c.events.GROUP_JOIN, () => markReady());
    c.on(c.events.CRASH, ({ payload }) => {
      logger.error({ err: payload.error, groupId, restart: payload.restart }, 'bus: Kafka consumer crashed');
      // kafkajs restarts itself after retriable errors only; a consumer must not stay dead.
      if (!payload.restart && !closing) setTimeout(restart, RESTART_DELAY_MS).unref();
    });
    return c;
  };

  const run = async (c: Consumer) => {
    await c.connect();
    await c.subscribe({ topics, fromBeginning: options.fromBeginning ?? true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: deps.concurrency,
      eachBatch,
    });
  };

  let consumer = create();
  const restart = () => {
    if (closing) return;
    consumer
      .disconnect()
      .catch(() => undefined)
      .then(() => {
        if (closing) return;
        consumer = create();
        return run(consumer);
      })
      .catch((err) => {
        logger.error({ err, groupId }, 'bus: Kafka consumer restart failed; trying again');
        setTimeout(restart, RESTART_DELAY_MS).unref();
      });
  };

  try {
    await run(consumer);
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }

  let closed: Promise<void> | undefined;
  return {
    groupId,
    ready,
    close() {
      closing = true;
      closed ??= (async () => {
        // disconnect() lets the in-flight handler calls finish (and commit), then leaves the group,
        // so the partitions move to the other members at once instead of after a session timeout.
        const disconnected = consumer.disconnect().catch((err) => {
          logger.warn({ err, groupId }, 'bus: Kafka consumer did not disconnect cleanly');
        });
        // Handlers get all the time they need; kafkajs's goodbye to a broker that is gone does not.
        await Promise.allSettled([...inflight]);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((r) => {
          timer = setTimeout(r, DISCONNECT_TIMEOUT_MS);
        });
        await Promise.race([disconnected, timeout]);
        clearTimeout(timer);
      })();
      return closed;
    },
  };
}
