/** One message as the memory bus stores it. */
export interface StoredMessage {
  offset: number;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

/**
 * Wakes waiters. A waiter can listen to several signals at once (new data OR a rebalance) and
 * unregisters from all of them when any fires, so idle loops never pile up stale callbacks.
 */
export class Signal {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  static any(signals: Signal[]): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        for (const s of signals) s.waiters.delete(wake);
        resolve();
      };
      for (const s of signals) s.waiters.add(wake);
    });
  }
}

/**
 * An append-only partition log with Kafka-like offsets. The head is trimmed once every group that
 * matters has committed past it, so memory is bounded by consumer lag, not by history.
 */
export class PartitionLog {
  readonly appended = new Signal();
  private entries: StoredMessage[] = [];
  private head = 0; // index in entries of the first live message
  private base = 0; // offset of entries[head]

  /** First offset still held. */
  get start(): number {
    return this.base;
  }

  /** Offset the next append gets. */
  get end(): number {
    return this.base + this.entries.length - this.head;
  }

  append(message: Omit<StoredMessage, 'offset'>): number {
    const offset = this.end;
    this.entries.push({ ...message, offset });
    return offset;
  }

  /** Up to `max` messages from `offset` (clamped to what is still held). */
  read(offset: number, max: number): StoredMessage[] {
    const from = this.head + Math.max(0, offset - this.base);
    return this.entries.slice(from, from + max);
  }

  /** Forget every message below `offset`. */
  trimTo(offset: number): void {
    const drop = Math.min(offset, this.end) - this.base;
    if (drop <= 0) return;
    this.head += drop;
    this.base += drop;
    // Compact now and then instead of shifting the array on every trim (O(n) each time).
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
