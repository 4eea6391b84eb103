import { takeFrame } from './frames.js';
import type { Session } from './session.js';

/** Far above anything the stack sends (COPY chunks and batched INSERTs stay well below). */
const MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;

/** What one write of the client produced. */
export interface WriteResult {
  /** The backend messages of every complete frame, in order (empty when none). */
  reply: Uint8Array;
  /** The client sent Terminate: end its stream (the session outlives the connection). */
  end: boolean;
}

/**
 * One of the stack's connections, inside the database worker: cuts the bytes pg writes into
 * frontend messages and hands them to PGlite in order, one at a time, through the session's queue.
 * The main thread's end of it is worker-socket.ts.
 */
export class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;

  constructor(private readonly session: Session) {}

  async write(chunk: Uint8Array): Promise<WriteResult> {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, bytes]) : bytes;
    const replies: Uint8Array[] = [];
    for (;;) {
      const { frame, rest, error } = takeFrame(this.buffer, !this.started, MAX_MESSAGE_BYTES);
      if (error) throw new Error(`embedded store: ${error}`);
      if (!frame) return { reply: concat(replies), end: false };
      this.buffer = rest;
      if (frame.kind === 'startup') this.started = true;
      if (frame.kind === 'message' && frame.type === 'X') return { reply: concat(replies), end: true };
      const reply = await this.session.stack(new Uint8Array(frame.bytes));
      // a copy now: PGlite may hand out a view of a buffer that its next message overwrites
      if (reply.length > 0) replies.push(reply.slice());
    }
  }
}

/** One fresh buffer (it is transferred to the other thread, so never a view into PGlite's memory). */
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
