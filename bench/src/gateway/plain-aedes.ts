/**
 * A bare aedes 1.2 broker (defaults, no hooks), in a process of its own: what the gateway's
 * guards are measured against. aedes is not a dependency of bench/, so it is resolved from the
 * mqtt-gateway package, which pins the version under test.
 */
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '../rpc.js';

interface AedesModule {
  Aedes: {
    createBroker(): Promise<{ handle(socket: Socket): unknown; close(cb: () => void): void; version: string }>;
  };
}

let close: (() => Promise<void>) | undefined;

async function start(): Promise<{ port: number; version: string }> {
  const require = createRequire(new URL('../../../services/mqtt-gateway/package.json', import.meta.url));
  const { Aedes } = (await import(pathToFileURL(require.resolve('aedes')).href)) as AedesModule;
  const broker = await Aedes.createBroker();
  const srv = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  close = async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  };
  return { port: (srv.address() as { port: number }).port, version: broker.version };
}

serve({ start, gc: () => global.gc?.() }, async () => {
  await close?.();
});
