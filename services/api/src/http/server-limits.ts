import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '@telemetry/config';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';

/**
 * Limits of the HTTP server itself (#20), for whatever server carries the API (its own, the
 * stack's with Socket.IO, an HTTPS one): a client must send its headers within headersTimeout and
 * the whole request within requestTimeout, one address holds at most maxConnectionsPerIp
 * connections and the server maxConnections (so thousands of half-sent requests from one client
 * cannot starve the others), and the errors Node answers before express sees a request (431
 * headers too large, 400 malformed, 408 timeout) carry a problem+json body like every other refusal.
 */
/**
 * Options for http.createServer / https.createServer: the timeouts, checked every second (Node's
 * default check runs every 30 s, which would let a half-sent request live that long past its limit).
 */
export function serverOptions(
  limits: Pick<Config['security'], 'headersTimeoutMs' | 'requestTimeoutMs'>,
): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
}

export function applyServerLimits(
  server: Server,
  limits: Pick<Config['security'], 'headersTimeoutMs' | 'requestTimeoutMs' | 'maxConnectionsPerIp' | 'maxConnections'>,
): void {
  server.headersTimeout = limits.headersTimeoutMs;
  // requestTimeout must not be below headersTimeout (Node refuses that combination)
  server.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  server.maxConnections = limits.maxConnections;
  const perIp = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? '?';
    const n = (perIp.get(ip) ?? 0) + 1;
    if (n > limits.maxConnectionsPerIp) {
      // over the cap: refused before a byte is read (a 503 would need the request we do not want)
      socket.destroy();
      return;
    }
    perIp.set(ip, n);
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET' && !socket.readable)) {
      socket.destroy();
      return;
    }
    const [status, detail] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request headers are larger than this server accepts']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'the request did not arrive in time']
          : [400, 'malformed HTTP request'];
    const reason =
      status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    const body = JSON.stringify({ ...problem('VALIDATION_FAILED', detail), status, title: reason });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
