import type { Server, Socket } from 'node:net';
import type { Listener } from './listeners.js';

/**
 * Starts a server on host:port and returns it as a Listener. `close` runs `before` (closing what
 * sits on top, e.g. a WebSocket server), stops accepting, and destroys `pending`: connections still
 * in a handshake of ours (a PROXY header) belong to no one else who would close them.
 */
export async function listenOn(
  server: Server,
  host: string,
  port: number,
  before: () => Promise<void>,
  pending?: Set<Socket>,
): Promise<Listener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    async close() {
      await before();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of pending ?? []) s.destroy();
      await closed;
    },
  };
}
