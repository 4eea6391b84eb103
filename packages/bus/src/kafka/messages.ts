import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { IncomingMessage } from '../port.js';

/** kafkajs's message as the port's: header values become strings, a null key or value empty. */
export function toIncoming(topic: string, partition: number, m: KafkaMessage): IncomingMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    headers: headersToStrings(m.headers),
    timestamp: Number(m.timestamp),
  };
}

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    // Kafka allows a header name more than once; the port has one value per name: the first wins.
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}

/** Splits a fetched batch into handler calls of at most `size` messages, in order. */
export function chunks<T>(items: T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}
