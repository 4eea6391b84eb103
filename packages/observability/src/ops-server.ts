import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Health } from './health.js';

/**
 * A tiny HTTP server for /metrics, /healthz and /readyz, for services that have no
 * HTTP server of their own (pipeline, rules, notifier, mqtt-gateway).
 *
 * Metrics name tenants' devices and the shape of the deployment: the server binds loopback unless
 * told otherwise (METRICS_HOST), and with a token (METRICS_TOKEN) /metrics needs
 * `Authorization: Bearer <token>` (#20). /healthz and /readyz stay open for orchestrators.
 */
export async function startOpsServer(opts: {
  registry: Registry;
  health: Health;
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  token?: string;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics' && opts.token !== undefined && !bearerMatches(req, opts.token)) {
      res.statusCode = 401;
      res.setHeader('www-authenticate', 'Bearer');
      res.setHeader('content-type', 'application/problem+json');
      res.end(
        JSON.stringify({
          type: '/docs/problems#unauthenticated',
          title: 'Authentication required',
          status: 401,
          code: 'UNAUTHENTICATED',
          detail: 'send Authorization: Bearer <METRICS_TOKEN>',
        }),
      );
    } else if (path === '/metrics') {
      res.setHeader('content-type', opts.registry.contentType);
      res.end(await opts.registry.metrics());
    } else if (path === '/healthz') {
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const r = await opts.health.readiness();
      res.statusCode = r.ready ? 200 : 503;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(r));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function bearerMatches(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m?.[1]) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
