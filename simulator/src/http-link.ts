import { AppError, type ErrorCode } from '@telemetry/contracts';
import { parseJson, post } from './http.js';
import type { Link } from './link.js';

export interface HttpLinkOptions {
  apiUrl: string;
  token: string;
  timeoutMs?: number;
}

/**
 * The ozone seed's HTTP firmware: every event is POST /api/device/events/ with the Bearer token
 * from the handshake; the server answers {ack: true, event_id} (also for an id it has seen).
 */
export function httpLink(o: HttpLinkOptions): Link {
  const url = new URL('/api/device/events/', o.apiUrl).toString();
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${o.token}` };
  return {
    transport: 'http',
    async send(_channel, payload) {
      const res = await post(url, payload, headers, o.timeoutMs ?? 10_000);
      if (res.status >= 200 && res.status < 300) return;
      throw classifyResponse(url, res.status, res.text);
    },
    async report(payload) {
      const progress = new URL('/api/device/firmware/progress', o.apiUrl).toString();
      const res = await post(progress, payload, headers, o.timeoutMs ?? 10_000);
      if (res.status >= 300) throw classifyResponse(progress, res.status, res.text);
    },
    close: async () => undefined,
  };
}

function classifyResponse(url: string, status: number, text: string): AppError {
  const body = parseJson(text) as { code?: string } | undefined;
  const detail = `${url} answered ${status}: ${text.slice(0, 200)}`;
  if (status === 401) return new AppError('TOKEN_INVALID', detail);
  if (status === 403) {
    const code: ErrorCode = body?.code === 'DEVICE_NOT_ASSIGNED' ? 'DEVICE_NOT_ASSIGNED' : 'DEVICE_REVOKED';
    return new AppError(code, detail);
  }
  if (status === 429 || status >= 500) return new AppError('UNAVAILABLE', detail, { retriable: true });
  if (status === 413) return new AppError('TELEMETRY_TOO_LARGE', detail);
  if (status === 400 && body?.code === 'TELEMETRY_NOT_JSON') return new AppError('TELEMETRY_NOT_JSON', detail);
  return new AppError(status === 422 ? 'TELEMETRY_SCHEMA_INVALID' : 'VALIDATION_FAILED', detail);
}
