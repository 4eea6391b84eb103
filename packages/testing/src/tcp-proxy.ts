import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy between a service and an engine (PostgreSQL, Redis), run inside a test so the test
 * can take the engine away from the service without touching the engine the rest of the run
 * shares: `cut()` resets every connection, `down()` also refuses new ones until `up()`, `freeze()`
 * holds the bytes (a hung engine: connections stay open, nothing answers) until `thaw()`.
 * Not for Kafka: its clients reconnect to the advertised listener, bypassing a proxy.
 */
export interface TcpProxy {
  /** Where the service connects (127.0.0.1). */
  port: number;
  url(template: string): string;
  /** Resets every open connection (RST), as a crashed engine or a dropped network would. */
  cut(): void;
  /** cut() and refuse new connections until up(). */
  down(): void;
  up(): void;
  /** Stops forwarding in both directions, connections stay open; thaw() delivers what was held. */
  freeze(): void;
  thaw(): void;
  /** Connections currently open through the proxy. */
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }, listenPort = 0): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let refusing = false;
  let frozen = false;

  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = tcpConnect({ host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
    if (frozen) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const cut = () => {
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    pairs.clear();
  };
  return {
    port,
    url(template) {
      const u = new URL(template);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut,
    down() {
      refusing = true;
      cut();
    },
    up() {
      refusing = false;
    },
    freeze() {
      frozen = true;
      for (const { client, upstream } of pairs) {
        // unpipe, or pipe() resumes the paused socket on the next 'drain'
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const { client, upstream } of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        upstream.resume();
      }
    },
    connections: () => pairs.size,
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
