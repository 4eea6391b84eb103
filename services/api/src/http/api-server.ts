import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Config } from '@telemetry/config';
import type { Logger } from '@telemetry/observability';
import { applyServerLimits, serverOptions } from './server-limits.js';

/**
 * The server the API (and, in the stack, the dashboard and Socket.IO) runs on: HTTPS when
 * TLS_CERT_FILE/TLS_KEY_FILE are set, re-reading them when they change (a renewed certificate is
 * used for new connections without a restart), plain HTTP otherwise (behind a TLS proxy); the
 * server limits of server-limits.ts either way (#20). `stop()` ends the file watch.
 */
export function createApiServer(
  app: RequestListener,
  cfg: Pick<Config, 'security' | 'tls'>,
  logger?: Logger,
): { server: Server; secure: boolean; stop(): void } {
  const { certFile, keyFile } = cfg.tls;
  if (!certFile || !keyFile) {
    const server = createHttpServer(serverOptions(cfg.security), app);
    applyServerLimits(server, cfg.security);
    return { server, secure: false, stop: () => undefined };
  }
  const read = () => ({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
  const https = createHttpsServer({ ...serverOptions(cfg.security), ...read(), minVersion: 'TLSv1.2' }, app);
  // https.Server is an http.Server for everything the API, Socket.IO and the limits use
  const server = https as unknown as Server;
  applyServerLimits(server, cfg.security);
  const reload = () => {
    try {
      https.setSecureContext(read());
      logger?.info({ certFile }, 'TLS certificate reloaded');
    } catch (err) {
      logger?.warn({ err }, 'TLS certificate files changed but do not load; the old ones stay');
    }
  };
  for (const f of [certFile, keyFile]) watchFile(f, { interval: 1_000, persistent: false }, reload);
  return {
    server,
    secure: true,
    stop: () => {
      for (const f of [certFile, keyFile]) unwatchFile(f, reload);
    },
  };
}
