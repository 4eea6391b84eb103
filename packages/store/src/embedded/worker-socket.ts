import { Duplex } from 'node:stream';
import type { WriteResult } from './connection.js';

/** Written but not yet run by the worker: beyond this a writer waits (pg's backpressure). */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/** How the socket reaches the database worker (index.ts): one request, one reply. */
export interface WorkerLink {
  write(conn: number, bytes: Uint8Array): Promise<WriteResult>;
  /** The connection went away: the worker ends whatever it left open in the session. */
  reset(conn: number): Promise<void>;
}

/**
 * The stack's connection to PGlite without a network: a Duplex `pg` uses as its socket (pg's
 * `stream` option). No port is opened, so no other process can reach the session. What pg writes
 * in one go goes to the database worker as one message; the worker runs its frames in order and
 * sends their replies back in one piece.
 */
export class WorkerSocket extends Duplex {
  private pending: Buffer[] = [];
  private unsent = 0;
  private scheduled = false;
  private ended = false;
  private waiting: ((err?: Error | null) => void)[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly link: WorkerLink,
    private readonly conn: number,
  ) {
    super();
  }

  /** pg calls connect(port, host) on its socket; there is nothing to reach. */
  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  override _read(): void {
    // replies are pushed as the worker sends them
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.pending.push(chunk);
    this.unsent += chunk.length;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
    // pg writes a query as several messages in one go: taken at once and sent together, in one
    // round trip to the worker instead of one per message (#23: postMessage was a fifth of the
    // idle stack's time). Past the bound (a COPY stream) the writer waits for the worker.
    if (this.unsent < MAX_UNSENT_BYTES) callback();
    else this.waiting.push(callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.chain.then(() => {
      this.end_();
      callback();
    }, callback);
  }

  /** One message to the worker with everything written since the last one; replies in order. */
  private flush(): void {
    this.scheduled = false;
    const bytes = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.chain = this.chain
      .then(() => this.link.write(this.conn, bytes))
      .then(
        ({ reply, end }) => {
          this.unsent -= bytes.length;
          if (!this.destroyed && reply.length > 0)
            this.push(Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength));
          if (end) this.end_();
          if (this.unsent < MAX_UNSENT_BYTES) for (const release of this.waiting.splice(0)) release();
        },
        (err: unknown) => {
          for (const release of this.waiting.splice(0)) release(err as Error);
          this.destroy(err as Error);
        },
      );
  }

  private end_(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    this.push(null);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.link.reset(this.conn).then(
      () => callback(err),
      () => callback(err),
    );
  }
}
