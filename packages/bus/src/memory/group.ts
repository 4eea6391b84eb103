import { backoffMs, sleepUnless } from '@telemetry/runtime';
import type { BusLogger } from '../config.js';
import type { BatchHandler, IncomingMessage } from '../port.js';
import { Signal, type StoredMessage } from './log.js';
import type { GroupView, MemoryTopic } from './topic.js';

/**
 * Delay before redelivering a batch whose handler threw: 50 ms doubling to 5 s. Short first retries
 * keep a transient failure (a deadlock retry, a pool timeout) cheap; the cap stops a poison batch
 * from spinning the CPU while someone looks at the logs.
 */
const REDELIVERY = { baseMs: 50, maxMs: 5_000 };

/** What a group needs from its bus. */
export interface GroupHost {
  topic(name: string): MemoryTopic;
  readonly closed: boolean;
  /** Fired once when the bus closes, to wake every waiting loop. */
  readonly shutdown: Signal;
  readonly logger: BusLogger;
}

export interface Member {
  readonly topics: string[];
  readonly handler: BatchHandler;
  readonly maxBatchSize: number;
  closing: boolean;
  inflight: number;
  readonly idle: Signal;
}

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * A consumer group of the memory bus. Each partition has ONE delivery loop per group, driven by
 * whichever member owns the partition at that moment: a partition's batches never overlap, a
 * rebalance takes effect between batches (as Kafka's eager rebalance does), and a batch whose
 * handler threw is redelivered from the last commit to whoever owns the partition next.
 */
export class ConsumerGroup implements GroupView {
  durable = false;
  /** See SubscribeOptions.maxLag: fixed by the group's first subscription. */
  maxLag = 0;
  readonly topics = new Set<string>();
  private readonly members: Member[] = [];
  private owners = new Map<string, Member>();
  private readonly committed = new Map<string, number>();
  private readonly loops = new Set<string>();
  private readonly changed = new Signal();

  constructor(
    readonly id: string,
    private readonly host: GroupHost,
  ) {}

  hasMembers(): boolean {
    return this.members.length > 0;
  }

  committedOf(topic: string, partition: number): number {
    return this.committed.get(tp(topic, partition)) ?? 0;
  }

  join(member: Member, options: { durable: boolean; fromBeginning: boolean; maxLag: number }): void {
    // Once durable, always durable: publishes must keep waiting for it across restarts.
    if (this.members.length === 0 && !this.durable) this.maxLag = options.maxLag;
    this.durable ||= options.durable;
    for (const name of member.topics) {
      const topic = this.host.topic(name);
      this.topics.add(name);
      topic.logs.forEach((log, p) => {
        // A group's start position is fixed once, at its first subscription, like a committed
        // reset: a member joining later must not skip what arrived while nobody was there.
        if (!this.committed.has(tp(name, p)))
          this.committed.set(tp(name, p), options.fromBeginning ? log.start : log.end);
      });
    }
    this.members.push(member);
    this.rebalance();
  }

  /** Stop giving the member batches, wait for its in-flight ones (committed if they succeed). */
  async leave(member: Member): Promise<void> {
    member.closing = true;
    this.rebalance();
    while (member.inflight > 0) await Signal.any([member.idle]);
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
  }

  /** Round-robin of each topic's partitions over the live members subscribed to it. */
  private rebalance(): void {
    const owners = new Map<string, Member>();
    for (const name of this.topics) {
      const eligible = this.members.filter((m) => !m.closing && m.topics.includes(name));
      if (eligible.length === 0) continue;
      const partitions = this.host.topic(name).logs.length;
      for (let p = 0; p < partitions; p++) owners.set(tp(name, p), eligible[p % eligible.length] as Member);
    }
    this.owners = owners;
    for (const key of owners.keys()) {
      if (this.loops.has(key)) continue;
      const [name, p] = key.split('\u0000') as [string, string];
      this.loops.add(key);
      void this.deliver(name, Number(p));
    }
    this.changed.notify();
  }

  private async deliver(name: string, partition: number): Promise<void> {
    const key = tp(name, partition);
    const topic = this.host.topic(name);
    let attempt = 0;
    // The loop leaves `loops` in the same tick as the `return` that ends it (try/finally), never in
    // a later .finally() callback: a rebalance in between would believe the partition still driven.
    try {
      const log = topic.logs[partition];
      if (!log) return;
      while (!this.host.closed) {
        const owner = this.owners.get(key);
        if (!owner) return; // no member for it now; the next rebalance starts a new loop
        const from = Math.max(this.committedOf(name, partition), log.start);
        const stored = log.read(from, owner.maxBatchSize);
        if (stored.length === 0) {
          await Signal.any([log.appended, this.changed, this.host.shutdown]);
          continue;
        }
        owner.inflight++;
        let failed = false;
        try {
          await owner.handler({ topic: name, partition, messages: stored.map((m) => toIncoming(name, partition, m)) });
          attempt = 0;
          this.committed.set(key, (stored.at(-1) as StoredMessage).offset + 1);
          topic.settle(partition);
        } catch (err) {
          failed = true;
          attempt++;
          this.host.logger.warn(
            { err, groupId: this.id, topic: name, partition, offset: String(from), attempt },
            'bus handler failed; the batch will be delivered again',
          );
        } finally {
          owner.inflight--;
          if (owner.inflight === 0) owner.idle.notify();
        }
        if (failed) await sleepUnless(backoffMs(attempt, REDELIVERY), () => this.host.closed);
      }
    } finally {
      this.loops.delete(key);
    }
  }
}

function toIncoming(topic: string, partition: number, m: StoredMessage): IncomingMessage {
  return {
    topic,
    partition,
    offset: String(m.offset),
    key: m.key,
    // A copy per delivery: a handler that mutates its buffer must not change a redelivery.
    value: Buffer.from(m.value),
    headers: { ...m.headers },
    timestamp: m.timestamp,
  };
}
