/**
 * Aedes 1.2 has no maximum packet size: mqtt-packet's parser appends every byte of a packet to
 * one buffer until the remaining length announced in the fixed header has arrived, so a client
 * can announce 256 MB before it even authenticates and the process buffers it. This guard
 * follows the packet boundaries of the raw byte stream (fixed header: 1 type byte, 1-4 bytes of
 * remaining length [MQTT-2.2.3]) and reports a violation as soon as a header announces more than
 * the limit: the connection is dropped before the body is buffered anywhere.
 */

export type FrameViolation = 'too_large' | 'malformed_length';

const HEADER = 0;
const LENGTH = 1;
const BODY = 2;

export class FrameGuard {
  private state = HEADER;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  /** @param maxPacketBytes whole packet (fixed header included), as MQTT 5's Maximum Packet Size counts it */
  constructor(private readonly maxPacketBytes: number) {}

  /** Feeds the next bytes of the stream; returns a violation, or undefined when all is well. */
  check(chunk: Uint8Array): FrameViolation | undefined {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.state === BODY) {
        const take = Math.min(this.remaining, n - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = HEADER;
      } else if (this.state === HEADER) {
        i++; // packet type and flags: aedes/mqtt-packet validate them
        this.state = LENGTH;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (this.length + 1 + this.lengthBytes > this.maxPacketBytes) return 'too_large';
        if (byte & 0x80) {
          if (this.lengthBytes === 4) return 'malformed_length'; // [MQTT-2.2.3]: at most 4 bytes
          continue;
        }
        this.remaining = this.length;
        this.state = this.remaining === 0 ? HEADER : BODY;
      }
    }
    return undefined;
  }
}
