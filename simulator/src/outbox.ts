import type { Logger } from '@telemetry/observability';
import { malform, type Outgoing } from './faults.js';
import type { SimMessage } from './generator.js';
import type { FleetHooks, PublishRecord } from './hooks.js';
import { isAuthError, isRetriable, type Link } from './link.js';
import type { Counters } from './stats.js';

/** A queued item; `replay` marks one that waited in the buffer while the device could not send. */
export type Queued = Outgoing & { replay: boolean };

export interface OutboxOptions {
  transport: 'mqtt' | 'http';
  maxInflight: number;
  /** Store-and-forward capacity; beyond it the oldest events are dropped (and counted). */
  bufferMax: number;
  /** Pause after a retriable send failure. */
  retryMs: number;
  counters: Counters;
  hooks: FleetHooks;
  logger: Logger;
  deviceId(): string;
  encode(msg: SimMessage): string;
  /** Credentials refused while sending (HTTP 401/403): the device re-handshakes. */
  onAuthError(err: Error): void;
  /** An event was acknowledged: over HTTP the first proof that the token is good. */
  onDelivered?(): void;
}

/**
 * A device's store-and-forward send queue: at most maxInflight unacknowledged sends on the
 * attached link; unacknowledged sends go back to the front when the link is dropped, so every
 * event is sent at least once (the platform dedupes by event id).
 */
export interface Outbox {
  readonly queued: number;
  readonly inflight: number;
  enqueue(items: Outgoing[], replay: boolean): void;
  /** Pending events of the previous run go first, marked as replays. */
  restore(messages: SimMessage[]): void;
  attach(link: Link): void;
  /** Detach the link (to close it); its unacknowledged sends are requeued. */
  detach(): Link | undefined;
  pump(): void;
  /** Resolves when nothing is in flight, or after ms; returns how many are still unacknowledged. */
  drain(ms: number): Promise<number>;
  /** Events not yet acknowledged, in send order, without duplicates: what the device persists. */
  pending(): SimMessage[];
  close(): void;
}

export function createOutbox(o: OutboxOptions): Outbox {
  const queue: Queued[] = [];
  const inflight = new Map<number, Queued>();
  let link: Link | undefined;
  let nextKey = 0;
  let pausedUntil = 0;
  let pumpTimer: NodeJS.Timeout | undefined;
  let drainWaiter: (() => void) | undefined;
  let closed = false;

  function pump(): void {
    if (closed || !link) return;
    const wait = pausedUntil - Date.now();
    if (wait > 0) {
      clearTimeout(pumpTimer);
      pumpTimer = setTimeout(pump, wait);
      pumpTimer.unref();
      return;
    }
    while (inflight.size < o.maxInflight && queue.length > 0) send(queue.shift() as Queued, link);
  }

  function send(item: Queued, l: Link): void {
    const key = nextKey++;
    inflight.set(key, item);
    let record: PublishRecord | undefined;
    let payload: string;
    if (item.kind === 'malformed') {
      o.counters.malformedSent += 1;
      payload = malform(o.encode(item.msg), item.reason);
    } else {
      o.counters.sent += 1;
      if (item.duplicate) o.counters.duplicatesSent += 1;
      if (item.replay) o.counters.replayed += 1;
      payload = o.encode(item.msg);
      record = {
        deviceId: o.deviceId(),
        eventId: item.msg.eventId,
        channel: item.msg.channel,
        transport: o.transport,
        sentAt: Date.now(),
        ts: item.msg.ts,
        duplicate: item.duplicate,
        replay: item.replay,
      };
      o.hooks.onPublish?.(record);
    }
    l.send(item.msg.channel, payload).then(
      () => {
        if (!inflight.delete(key)) return; // given up on by detach(): it was requeued
        if (record) {
          o.counters.acked += 1;
          o.hooks.onAck?.({ ...record, ackedAt: Date.now() });
          o.onDelivered?.();
        }
        settled();
      },
      (err: unknown) => {
        if (!inflight.delete(key)) return;
        if (item.kind === 'malformed') {
          // Refused is the expected answer to garbage; a malformed payload is never resent.
          if (isRetriable(err) || isAuthError(err)) o.counters.errors += 1;
          else o.counters.malformedRejected += 1;
        } else if (isAuthError(err)) {
          queue.unshift({ ...item, replay: true });
          o.onAuthError(err as Error);
        } else if (isRetriable(err)) {
          o.counters.errors += 1;
          queue.unshift({ ...item, replay: true });
          pausedUntil = Date.now() + o.retryMs;
        } else {
          o.counters.rejected += 1;
          o.logger.warn({ eventId: item.msg.eventId, err: (err as Error).message }, 'event rejected by the peer');
        }
        settled();
      },
    );
  }

  function settled(): void {
    if (inflight.size === 0) drainWaiter?.();
    pump();
  }

  return {
    get queued() {
      return queue.length;
    },
    get inflight() {
      return inflight.size;
    },
    enqueue(items, replay) {
      for (const item of items) {
        if (item.kind === 'event' && item.reordered && !item.duplicate) o.counters.reordered += 1;
        queue.push({ ...item, replay });
      }
      while (queue.length > o.bufferMax) {
        queue.shift();
        o.counters.dropped += 1;
      }
      pump();
    },
    restore(messages) {
      queue.unshift(
        ...messages.map((msg) => ({ kind: 'event' as const, msg, duplicate: false, reordered: false, replay: true })),
      );
    },
    attach(l) {
      link = l;
      pump();
    },
    detach() {
      const unacked = [...inflight.values()].filter((i) => i.kind === 'event').map((i) => ({ ...i, replay: true }));
      inflight.clear();
      queue.unshift(...unacked);
      const l = link;
      link = undefined;
      return l;
    },
    pump,
    async drain(ms) {
      if (inflight.size > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          drainWaiter = () => {
            clearTimeout(t);
            resolve();
          };
        });
        drainWaiter = undefined;
      }
      return inflight.size;
    },
    pending() {
      const seen = new Set<string>();
      const out: SimMessage[] = [];
      for (const item of [...inflight.values(), ...queue]) {
        if (item.kind !== 'event' || seen.has(item.msg.eventId)) continue;
        seen.add(item.msg.eventId);
        out.push(item.msg);
      }
      return out.slice(-o.bufferMax);
    },
    close() {
      closed = true;
      clearTimeout(pumpTimer);
    },
  };
}
