import type { OutgoingMessage } from '../port.js';
import { PartitionLog } from './log.js';
import { partitionFor } from './partitioner.js';

/** How a topic sees a consumer group: enough to know what may be trimmed and who a publish waits for. */
export interface GroupView {
  readonly durable: boolean;
  /** Uncommitted messages per partition a publish tolerates before it waits for the group. */
  readonly maxLag: number;
  hasMembers(): boolean;
  /** Next offset to process for the partition (everything below is committed). */
  committedOf(topic: string, partition: number): number;
}

interface Waiter {
  offset: number;
  groups: GroupView[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Unread messages kept per partition while no group reads a topic (or a non-durable group lags),
 * so a group that subscribes later from the beginning still finds recent history.
 */
export const RETAIN_UNREAD = 1_000;

/** A topic of the memory bus: partition logs plus the publishes waiting for durable groups. */
export class MemoryTopic {
  readonly logs: PartitionLog[];
  private readonly waiters: Waiter[][];

  constructor(
    readonly name: string,
    partitions: number,
    private readonly groups: () => Iterable<GroupView>,
  ) {
    this.logs = Array.from({ length: partitions }, () => new PartitionLog());
    this.waiters = Array.from({ length: partitions }, () => []);
  }

  /** Appends in order; returns the last offset written per partition. */
  append(messages: OutgoingMessage[]): Map<number, number> {
    const last = new Map<number, number>();
    const timestamp = Date.now();
    for (const m of messages) {
      const partition = partitionFor(m.key, this.logs.length);
      const offset = this.log(partition).append({
        key: m.key,
        // Copies: a caller reusing its buffer must not change what consumers read.
        value: Buffer.from(m.value),
        headers: { ...m.headers },
        timestamp,
      });
      last.set(partition, offset);
    }
    for (const partition of last.keys()) {
      this.log(partition).appended.notify();
      this.trim(partition);
    }
    return last;
  }

  /** Resolves once every one of `groups` has committed past `offset - maxLag` on the partition. */
  committedBy(partition: number, offset: number, groups: GroupView[]): Promise<void> {
    return new Promise((resolve, reject) => {
      // Offsets only grow and a later publish waits for a superset of groups, so the queue is
      // settled from its head: the first unsatisfied waiter blocks the ones behind it.
      this.waiters[partition]?.push({ offset, groups, resolve, reject });
      this.settle(partition);
    });
  }

  /** After a commit: release the publishes it completes and drop what nobody needs. */
  settle(partition: number): void {
    const queue = this.waiters[partition] ?? [];
    let done = 0;
    for (const w of queue) {
      if (!w.groups.every((g) => g.committedOf(this.name, partition) + g.maxLag > w.offset)) break;
      w.resolve();
      done++;
    }
    if (done > 0) queue.splice(0, done);
    this.trim(partition);
  }

  rejectAll(err: Error): void {
    for (const queue of this.waiters) {
      for (const w of queue.splice(0)) w.reject(err);
    }
  }

  /**
   * Durable groups hold messages until they commit them (even with no member: that is how a
   * restart loses nothing). Non-durable groups with members, and topics nobody reads, only keep
   * a bounded tail, so memory stays bounded by durable lag.
   */
  private trim(partition: number): void {
    const log = this.log(partition);
    const tail = log.end - RETAIN_UNREAD;
    let keepFrom = Number.POSITIVE_INFINITY;
    let counted = false;
    for (const g of this.groups()) {
      const committed = g.committedOf(this.name, partition);
      if (g.durable) keepFrom = Math.min(keepFrom, committed);
      else if (g.hasMembers()) keepFrom = Math.min(keepFrom, Math.max(committed, tail));
      else continue;
      counted = true;
    }
    log.trimTo(counted ? keepFrom : tail);
  }

  private log(partition: number): PartitionLog {
    const log = this.logs[partition];
    if (!log) throw new Error(`topic ${this.name} has no partition ${partition}`);
    return log;
  }
}
