import { DecoderSpec } from '@telemetry/contracts/decoder';
import { DeadReason, EventKind, Metrics } from '@telemetry/contracts/messages';
import { z } from 'zod';
import { isoString } from './common.js';

/** GET /api/device-types/{typeName}/decoder: the type's own decoder, or the built-in default (`builtIn`). */
export const TypeDecoder = z.object({
  name: z.string(),
  builtIn: z.boolean(),
  decoder: DecoderSpec,
  updatedAt: isoString.nullable(),
});

/** PUT /api/device-types/{typeName}/decoder: the decoder as saved (every default filled in). */
export const SavedDecoder = z.object({ typeName: z.string(), builtIn: z.literal(false), decoder: DecoderSpec });

/** POST /api/device-types/{typeName}/decoder/test: what the sample becomes, or why it would be dead-lettered. */
export const DecoderTestResult = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    event: z.object({
      eventId: z.string(),
      /** Where the id came from: the payload, its content, or its arrival (packages/contracts event-id.ts). */
      idSource: z.enum(['device', 'content', 'arrival']),
      kind: EventKind,
      /** Device time; absent when the payload has none. */
      ts: isoString.optional(),
      metrics: Metrics,
      attributes: z.record(z.string(), z.unknown()),
      contentHash: z.string().optional(),
    }),
    receivedAt: isoString,
  }),
  z.object({
    ok: z.literal(false),
    reason: DeadReason,
    detail: z.string(),
    eventId: z.string().nullable(),
    receivedAt: isoString,
  }),
]);
