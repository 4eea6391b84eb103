import { Duplex } from 'node:stream';
import { FrameGuard, type FrameViolation } from './frame-guard.js';

/**
 * The byte stream aedes reads, with the FrameGuard in front: every chunk read from the socket is
 * checked before aedes can buffer it, and a violation destroys the socket at once. Writes go
 * straight to the socket. Works for TCP sockets and for ws's createWebSocketStream alike.
 */
export class GuardedConnection extends Duplex {
  private readonly guard: FrameGuard;
  // (not `corked`/`uncork`: those would shadow Writable's own cork()/uncork(), which mqtt-packet calls)
  private socketCorked = false;
  private readonly flushSocket = () => {
    this.socketCorked = false;
    this.socket.uncork();
  };

  constructor(
    private readonly socket: Duplex,
    maxPacketBytes: number,
    onViolation: (violation: FrameViolation) => void,
  ) {
    super({ allowHalfOpen: false });
    this.guard = new FrameGuard(maxPacketBytes);
    socket.on('data', (chunk: Buffer) => {
      const violation = this.guard.check(chunk);
      if (violation) {
        socket.pause();
        onViolation(violation);
        this.destroy(new Error(`MQTT packet refused before buffering: ${violation}`));
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.once('end', () => this.push(null));
    socket.once('error', (err) => this.destroy(err));
    socket.once('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.socket.destroyed) {
      callback(new Error('connection closed'));
      return;
    }
    if (this.send(chunk)) callback();
    else this.waitDrain(callback);
  }

  /**
   * Writes of one tick leave in one syscall: when a batch is acknowledged by the bus, its PUBACKs
   * are written back to back, and each would otherwise be a write(2) of 4 bytes.
   */
  private send(data: Buffer): boolean {
    if (!this.socketCorked) {
      this.socketCorked = true;
      this.socket.cork();
      process.nextTick(this.flushSocket);
    }
    return this.socket.write(data);
  }

  /** mqtt-packet writes a packet in several pieces (header, topic, payload): one socket write. */
  override _writev(chunks: { chunk: Buffer }[], callback: (err?: Error | null) => void): void {
    if (this.socket.destroyed) {
      callback(new Error('connection closed'));
      return;
    }
    const data = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    if (this.send(data)) callback();
    else this.waitDrain(callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }

  private waitDrain(callback: (err?: Error | null) => void): void {
    const done = () => {
      this.socket.off('drain', done);
      this.socket.off('close', done);
      callback(this.socket.destroyed ? new Error('connection closed') : null);
    };
    this.socket.on('drain', done);
    this.socket.on('close', done);
  }
}
