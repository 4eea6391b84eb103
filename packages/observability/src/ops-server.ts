import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Health } from './health.js';

/**
 * A tiny HTTP server for /metrics, /healthz and /readyz, for services that have no
 * HTTP server of their own (pipeline, rules, notifier, mqtt-gateway).
 */
export async function startOpsServer(opts: {
  registry: Registry;
  health: Health;
  port: number;
  host?: string;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
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
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
