import { Duplex } from 'node:stream';
import { takeFrame } from './frames.js';
import type { Session } from './session.js';

/** Far above anything the stack sends (COPY chunks and batched INSERTs stay well below). */
const MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;

/**
 * The stack's connection to PGlite without a network: a Duplex `pg` uses as its socket
 * (pg's `stream` option). No port is opened, so no other process can reach the session, and
 * the frames go to PGlite in order, one at a time, through the session's queue.
 */
export class InProcessSocket extends Duplex {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;

  constructor(private readonly session: Session) {
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
    // replies are pushed as PGlite produces them
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.drain().then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.push(null);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.session.resetStack().then(
      () => callback(err),
      () => callback(err),
    );
  }

  private async drain(): Promise<void> {
    for (;;) {
      const { frame, rest, error } = takeFrame(this.buffer, !this.started, MAX_MESSAGE_BYTES);
      if (error) throw new Error(`embedded store: ${error}`);
      if (!frame) return;
      this.buffer = rest;
      if (frame.kind === 'startup') this.started = true;
      // Terminate: the session outlives this connection (the pool may open another one)
      if (frame.kind === 'message' && frame.type === 'X') {
        this.push(null);
        return;
      }
      const reply = await this.session.stack(new Uint8Array(frame.bytes));
      if (reply.length > 0 && !this.destroyed) this.push(Buffer.from(reply));
    }
  }
}
