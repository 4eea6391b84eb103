import type { z } from 'zod';

/** JSON on the wire; every consumer validates with the topic's schema before use. */
export function encodeMessage<S extends z.ZodType>(schema: S, value: z.input<S>): Buffer {
  return Buffer.from(JSON.stringify(schema.parse(value)));
}

export function decodeMessage<S extends z.ZodType>(schema: S, bytes: Buffer | string): z.output<S> {
  return schema.parse(JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8')));
}
