import type { OutgoingMessage } from '@telemetry/bus';

/** One device message on its way to the bus. */
export interface QueuedMessage {
  topic: string;
  message: OutgoingMessage;
  /** The MQTT session it came on; when that session is gone, waiting for the bus is pointless. */
  isAbandoned(): boolean;
  /** Called once: undefined when on the bus, an error when abandoned. */
  done(err?: Error): void;
}

/**
 * Publishes a batch; resolves true once the bus acknowledged it, false when it gave up because
 * `stop()` became true (it retries a failing bus until then).
 */
export type BatchPublisher = (topic: string, messages: OutgoingMessage[], stop: () => boolean) => Promise<boolean>;

/**
 * Keeps one device's messages in arrival order on their way to the bus. aedes dispatches the
 * packets of one socket read concurrently, so without this a device's messages could reach
 * Kafka (and its partition) out of order. Consecutive messages for the same topic go as one
 * bus publish: the batch is what gives throughput, the order comes from one batch at a time.
 *
 * Keyed by device, not by session: after a reconnect the new session's messages queue behind
 * the old session's message still in flight.
 */
export class DeviceQueue {
  private items: QueuedMessage[] = [];
  private running = false;

  constructor(
    private readonly publish: BatchPublisher,
    private readonly maxBatch: number,
    private readonly onIdle: () => void,
  ) {}

  get idle(): boolean {
    return !this.running && this.items.length === 0;
  }

  push(item: QueuedMessage): void {
    this.items.push(item);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.items.length > 0) {
        this.dropAbandoned();
        const first = this.items[0];
        if (!first) break;
        let n = 1;
        while (n < this.items.length && n < this.maxBatch && this.items[n]!.topic === first.topic) n++;
        const batch = this.items.splice(0, n);
        let ok = false;
        let error: Error | undefined;
        try {
          ok = await this.publish(
            first.topic,
            batch.map((i) => i.message),
            () => batch.every((i) => i.isAbandoned()),
          );
        } catch (err) {
          error = err as Error;
        }
        for (const item of batch)
          item.done(ok ? undefined : (error ?? new Error('abandoned: the session ended before the bus acknowledged')));
      }
    } finally {
      this.running = false;
      this.onIdle();
    }
  }

  /** Messages of a session that ended and that never left: the device resends them (no PUBACK). */
  private dropAbandoned(): void {
    if (!this.items.some((i) => i.isAbandoned())) return;
    const keep: QueuedMessage[] = [];
    for (const item of this.items) {
      if (item.isAbandoned()) item.done(new Error('abandoned: the session ended'));
      else keep.push(item);
    }
    this.items = keep;
  }
}
