import { createServer } from 'node:net';

/** Turns a listen error into a message that names the port and the way out. */
export function portError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new Error(
      `embedded store: port ${port} on ${host} is in use (another store running?): set STORE_PORT to another port, or 0 for a free one`,
      { cause: err },
    );
  }
  if (code === 'EACCES') {
    return new Error(
      `embedded store: not allowed to listen on port ${port} on ${host}: set STORE_PORT to a port above 1023`,
      {
        cause: err,
      },
    );
  }
  return new Error(`embedded store: cannot listen on ${host}:${port}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

/**
 * Fails fast when a fixed port is taken, BEFORE the data directory is opened: a second
 * instance started with the same config must not touch the first one's files. Port 0 is
 * always free. (The socket server's own listen error is also mapped: this check can race.)
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(portError(err, host, port)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
