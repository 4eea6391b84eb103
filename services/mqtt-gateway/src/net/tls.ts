import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { listenOn } from './listen-on.js';
import type { Listener } from './listeners.js';

/** Certificate files (PEM); `caFile`: the CA whose client certificates authenticate devices. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

/** The files as a secure context: read now, and again whenever one changes (cert renewal without restart). */
export function readTls(files: TlsFiles): SecureContextOptions {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ...(files.caFile ? { ca: readFileSync(files.caFile) } : {}),
  };
}

/**
 * Watches the files (polling: renewals are usually a rename over the old file, which inotify
 * watchers lose) and hands a fresh context to `apply`. A half-written pair fails to load: the old
 * context stays, and the next change tries again.
 */
export function watchTls(files: TlsFiles, apply: (ctx: SecureContextOptions) => void, onError: (err: unknown) => void) {
  const paths = [files.certFile, files.keyFile, ...(files.caFile ? [files.caFile] : [])];
  const reload = () => {
    try {
      apply(readTls(files));
    } catch (err) {
      onError(err);
    }
  };
  for (const p of paths) watchFile(p, { interval: 1_000, persistent: false }, reload);
  return () => {
    for (const p of paths) unwatchFile(p, reload);
  };
}

/** The device id a verified client certificate names (subject CN), or undefined. */
export function certificateIdentity(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined;
}

const tlsOptions = (files: TlsFiles) => ({
  ...readTls(files),
  // a client certificate is optional: devices with a token connect without one
  requestCert: files.caFile !== undefined,
  rejectUnauthorized: false,
  minVersion: 'TLSv1.2' as const,
});

/** MQTT over TLS (8883). */
export async function listenMqtts(
  host: string,
  port: number,
  files: TlsFiles,
  onConnection: (socket: TLSSocket) => void,
  onError: (err: unknown) => void,
): Promise<Listener> {
  const server = createTlsServer(tlsOptions(files), onConnection);
  server.on('tlsClientError', () => undefined); // a failed handshake is the client's problem, not ours
  const stop = watchTls(files, (ctx) => server.setSecureContext(ctx), onError);
  return listenOn(server, host, port, async () => stop());
}

/** MQTT over WebSocket over TLS (wss). */
export async function listenMqttWss(
  host: string,
  port: number,
  files: TlsFiles,
  maxPayload: number,
  onConnection: (stream: Duplex, req: IncomingMessage, socket: TLSSocket) => void,
  onError: (err: unknown) => void,
): Promise<Listener> {
  const https = createHttpsServer(tlsOptions(files), (_req, res) => {
    res.statusCode = 426;
    res.end('MQTT over WebSocket only\n');
  });
  const stop = watchTls(files, (ctx) => https.setSecureContext(ctx), onError);
  const wss = new WebSocketServer({ server: https, maxPayload, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => ws.terminate());
    onConnection(stream, req, req.socket as TLSSocket);
  });
  return listenOn(https, host, port, async () => {
    stop();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
}
