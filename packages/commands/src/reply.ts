/** A device's answer to a command, as sent on devices/{id}/commands/reply or POSTed over HTTP. */
export interface Reply {
  id: string;
  ok: boolean;
  result: unknown;
  error: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `{"id": "<command id>", "status": "ok" | "error", "result": ..., "error": "..."}`; `status` may be
 * left out (ok unless an `error` is given), as small firmware tends to. Returns a reason when the
 * payload is not a reply.
 */
export function parseReply(payload: Buffer | string | unknown): Reply | { invalid: string } {
  let v: unknown = payload;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    try {
      v = JSON.parse(payload.toString());
    } catch {
      return { invalid: 'reply is not JSON' };
    }
  }
  if (typeof v !== 'object' || v === null) return { invalid: 'reply is not a JSON object' };
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || !UUID.test(o.id)) return { invalid: 'reply has no command id ("id")' };
  const error = typeof o.error === 'string' ? o.error.slice(0, 1000) : null;
  const status = o.status ?? (error ? 'error' : 'ok');
  if (status !== 'ok' && status !== 'error') return { invalid: 'reply status must be "ok" or "error"' };
  return {
    id: o.id,
    ok: status === 'ok',
    result: o.result ?? null,
    error: status === 'error' ? (error ?? 'failed') : null,
  };
}
