/**
 * Counts the messages accepted from devices and not yet on the bus. Above the bound, QoS 0
 * publishes wait too (their callback is withheld, so aedes stops reading that socket); QoS 1
 * publishes always wait for the bus. Either way a slow or absent Kafka slows the devices down
 * instead of growing memory or dropping messages.
 *
 * The bound is soft by at most one socket read per client: aedes dispatches every packet of a
 * read at once and reads again only when all of them were called back.
 */
export class Inflight {
  private count = 0;
  private readonly waiters: (() => void)[] = [];
  private head = 0;

  constructor(
    readonly max: number,
    private readonly onChange: (count: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.count;
  }

  add(): void {
    this.count++;
    this.onChange(this.count);
  }

  remove(): void {
    this.count--;
    this.onChange(this.count);
    // Waiters are already counted (their message is queued): once at or under the bound they all go on.
    while (this.count <= this.max && this.head < this.waiters.length) {
      const wake = this.waiters[this.head]!;
      this.waiters[this.head++] = noop;
      wake();
    }
    if (this.head === this.waiters.length) {
      this.waiters.length = 0;
      this.head = 0;
    }
  }

  /** Runs `fn` now when below the bound, else once enough messages have left (FIFO). */
  whenBelowMax(fn: () => void): void {
    if (this.count <= this.max && this.head === this.waiters.length) fn();
    else this.waiters.push(fn);
  }
}

function noop(): void {}
