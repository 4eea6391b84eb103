import type { BusLogger } from './config.js';
import type { Batch, BatchHandler, IncomingMessage, OutgoingMessage, SubscribeOptions } from './port.js';

/** Headers a dead letter carries besides the original's: why, and where it came from. */
export const DeadLetterHeaders = {
  reason: 'dead-letter-reason',
  error: 'dead-letter-error',
  topic: 'dead-letter-topic',
  partition: 'dead-letter-partition',
  offset: 'dead-letter-offset',
  group: 'dead-letter-group',
} as const;

/**
 * Errors decide (both backends wrap handlers with this when `deadLetter` is set): a retriable
 * error rethrows (the bus redelivers with backoff); a non-retriable one on a batch of one message
 * dead-letters that message with its reason and lets the offset commit. A non-retriable failure of
 * a larger batch replays it message by message at once, so the culprit is found in this delivery
 * and the others are processed (handlers are idempotent: the messages before it are replays).
 */
export function withDeadLetters(
  options: SubscribeOptions,
  publish: (topic: string, messages: OutgoingMessage[]) => Promise<void>,
  logger: BusLogger,
): BatchHandler {
  const { handler, deadLetter } = options;
  if (!deadLetter) return handler;

  const bury = async (batch: Batch, message: IncomingMessage, err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    const code = (err as { code?: unknown }).code;
    await publish(deadLetter.topic, [
      {
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          [DeadLetterHeaders.reason]: error.message.slice(0, 500),
          [DeadLetterHeaders.error]: typeof code === 'string' ? code : error.name,
          [DeadLetterHeaders.topic]: batch.topic,
          [DeadLetterHeaders.partition]: String(batch.partition),
          [DeadLetterHeaders.offset]: message.offset,
          [DeadLetterHeaders.group]: options.groupId,
        },
      },
    ]);
    logger.warn(
      { err: error, topic: batch.topic, partition: batch.partition, offset: message.offset, to: deadLetter.topic },
      'bus: a message failed for good; dead-lettered',
    );
  };

  return async (batch) => {
    try {
      await handler(batch);
      return;
    } catch (err) {
      if (deadLetter.isRetriable(err)) throw err;
      if (batch.messages.length === 1) {
        await bury(batch, batch.messages[0] as IncomingMessage, err);
        return;
      }
    }
    for (const message of batch.messages) {
      const one: Batch = { ...batch, messages: [message] };
      try {
        await handler(one);
      } catch (err) {
        if (deadLetter.isRetriable(err)) throw err;
        await bury(one, message, err);
      }
    }
  };
}
