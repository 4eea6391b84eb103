import { AppError, HandshakeResponse } from '@telemetry/contracts';
import { type HttpResult, parseJson, post } from './http.js';

export interface HandshakeRequestInput {
  mac: string;
  firmware: string;
}

/**
 * The ozone seed's device registration: POST {api}/api/handshake/ {mac, firmware} ->
 * {device_id, token, assigned}. assigned=false means an admin has not assigned the device yet;
 * the caller retries later, it never assigns itself.
 */
export async function handshake(
  apiUrl: string,
  req: HandshakeRequestInput,
  timeoutMs = 10_000,
  /** The token of the last handshake: proves this is the same device (trust on first use, #20). */
  proofToken?: string,
): Promise<HandshakeResponse> {
  const url = new URL('/api/handshake/', apiUrl).toString();
  let res: HttpResult;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (proofToken) headers.authorization = `Bearer ${proofToken}`;
  try {
    res = await post(url, JSON.stringify(req), headers, timeoutMs);
  } catch (err) {
    if (err instanceof AppError && err.code === 'UNAVAILABLE') {
      throw new AppError(
        'UNAVAILABLE',
        `API not reachable: ${err.message}. Is the stack running? Start it with \`pnpm start\` or point --api at it.`,
        { retriable: true, cause: err },
      );
    }
    throw err;
  }
  if (res.status >= 500 || res.status === 429) {
    throw new AppError('UNAVAILABLE', `handshake at ${url} answered ${res.status}: ${res.text.slice(0, 200)}`, {
      retriable: true,
    });
  }
  if (res.status === 401 || res.status === 403) {
    throw new AppError(
      'DEVICE_REVOKED',
      `handshake at ${url} refused ${req.mac} (${res.status}): ${res.text.slice(0, 200)}`,
    );
  }
  if (res.status < 200 || res.status >= 300) {
    throw new AppError('VALIDATION_FAILED', `handshake at ${url} answered ${res.status}: ${res.text.slice(0, 200)}`);
  }
  const parsed = HandshakeResponse.safeParse(parseJson(res.text));
  if (!parsed.success) {
    throw new AppError(
      'INTERNAL',
      `handshake at ${url} answered something that is not {device_id, token, assigned}: ${res.text.slice(0, 200)}`,
    );
  }
  return parsed.data;
}
