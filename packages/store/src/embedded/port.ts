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
