import { Duplex } from 'node:stream';
import type { WriteResult } from './connection.js';

/** How the socket reaches the database worker (index.ts): one request, one reply. */
export interface WorkerLink {
  write(conn: number, bytes: Uint8Array): Promise<WriteResult>;
  /** The connection went away: the worker ends whatever it left open in the session. */
  reset(conn: number): Promise<void>;
}

/**
 * The stack's connection to PGlite without a network: a Duplex `pg` uses as its socket (pg's
 * `stream` option). No port is opened, so no other process can reach the session. Each write
 * goes to the database worker as one message and is done when the worker has run its frames
 * (the next write waits for it: pg's backpressure), their replies pushed in one piece.
 */
export class WorkerSocket extends Duplex {
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
    this.link.write(this.conn, chunk).then(({ reply, end }) => {
      if (this.destroyed) return callback();
      if (reply.length > 0) this.push(Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength));
      if (end) this.push(null);
      callback();
    }, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.push(null);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.link.reset(this.conn).then(
      () => callback(err),
      () => callback(err),
    );
  }
}
