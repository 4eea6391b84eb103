import type { IncomingMessage } from '@telemetry/bus';
import { type DeadReason, TelemetryRawV1 } from '@telemetry/contracts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Decoded =
  | { ok: true; event: TelemetryRawV1 }
  | {
      ok: false;
      reason: DeadReason;
      detail: string;
      /** What could be read of the message, for the dead letter. */
      tenantId: string | null;
      deviceId: string | null;
      eventId: string | null;
    };

/** Validates one telemetry.raw.v1 message. Never throws: bad input becomes a dead-letter reason. */
export function decodeRaw(message: IncomingMessage): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return {
      ok: false,
      reason: 'not_json',
      detail: (err as Error).message,
      tenantId: null,
      deviceId: null,
      eventId: null,
    };
  }
  const parsed = TelemetryRawV1.safeParse(json);
  const ids = peekIds(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    const reason: DeadReason =
      ids.eventId === null && isObject(json) && !('eventId' in json) ? 'no_event_id' : 'schema_invalid';
    return { ok: false, reason, detail, ...ids };
  }
  // tenants.id is a uuid: another id could never be scoped by a tenant's queries
  if (!UUID.test(parsed.data.tenantId)) {
    return { ok: false, reason: 'schema_invalid', detail: 'tenantId: must be a uuid', ...ids };
  }
  return { ok: true, event: parsed.data };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function peekIds(json: unknown): { tenantId: string | null; deviceId: string | null; eventId: string | null } {
  const o = isObject(json) ? json : {};
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, 256) : null);
  return { tenantId: str(o.tenantId), deviceId: str(o.deviceId), eventId: str(o.eventId) };
}
