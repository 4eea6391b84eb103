import { createHash } from 'node:crypto';
import type { TelemetryDeadV1 } from '@telemetry/contracts';

/** How much of a rejected payload is kept as text: enough to see what the firmware sent. */
export const EXCERPT_CHARS = 512;

export interface RejectionRow {
  tenantId: string;
  deviceId: string | null;
  reason: string;
  detail: string;
  source: string;
  channel: string;
  eventId: string | null;
  excerpt: string;
  payloadBytes: number;
  receivedAt: string;
  dedupeKey: string;
}

/**
 * A dead letter as it is kept: the payload's first EXCERPT_CHARS characters as text (invalid UTF-8
 * replaced, control characters but tab/newline shown as U+FFFD so the excerpt is safe to display),
 * and a content hash as the dedupe key (a dead letter published twice is kept once). Dead letters
 * without a tenant (unknown device at the edge) are not kept here: only counted in the metrics.
 */
export function toRejectionRow(dead: TelemetryDeadV1): RejectionRow | undefined {
  if (!dead.tenantId) return undefined;
  const bytes = Buffer.from(dead.original, 'base64');
  const text = bytes.subarray(0, EXCERPT_CHARS * 4).toString('utf8');
  const excerpt = [...text]
    .slice(0, EXCERPT_CHARS)
    .join('')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
  const dedupeKey = createHash('sha256')
    .update(
      JSON.stringify([
        dead.source,
        dead.channel,
        dead.deviceId,
        dead.reason,
        dead.eventId,
        dead.receivedAt,
        dead.original,
      ]),
    )
    .digest('hex');
  return {
    tenantId: dead.tenantId,
    deviceId: dead.deviceId,
    reason: dead.reason,
    detail: dead.detail.slice(0, 1_000),
    source: dead.source,
    channel: dead.channel.slice(0, 300),
    eventId: dead.eventId?.slice(0, 128) ?? null,
    excerpt,
    payloadBytes: bytes.length,
    receivedAt: dead.receivedAt,
    dedupeKey,
  };
}
