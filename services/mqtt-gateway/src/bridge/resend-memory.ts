/**
 * The id the gateway gave each recent QoS 1 packet of a device whose payload carried no id and no
 * device time (its id is derived from the arrival, see packages/contracts event-id.ts). A resend of
 * such a packet (DUP=1, same packet id, same payload [MQTT-3.3.1-1]) gets the first copy's id, so the
 * pipeline stores it once. A packet id used again without DUP is a new message and replaces the entry.
 *
 * Bounded: at most `maxEntries` (oldest forgotten first) and entries older than `ttlMs` are not
 * used. Kept per gateway process across reconnects of the device (esp-mqtt resends its outbox after
 * reconnecting); lost on restart, which is the documented limit of arrival ids.
 */
export class ResendMemory {
  private readonly entries = new Map<string, { hash: string; id: string; at: number }>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly ttlMs = 15 * 60_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The id to use for this packet: the remembered one for a matching resend, else `eventId` (remembered). */
  resolve(p: { deviceId: string; messageId: number; dup: boolean; contentHash: string; eventId: string; now: number }) {
    const key = `${p.deviceId}\u0000${p.messageId}`;
    const seen = this.entries.get(key);
    if (p.dup && seen && seen.hash === p.contentHash && p.now - seen.at <= this.ttlMs) return seen.id;
    this.entries.delete(key);
    this.entries.set(key, { hash: p.contentHash, id: p.eventId, at: p.now });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return p.eventId;
  }
}
