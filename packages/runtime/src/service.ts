/** What the stop sequence logs with (a pino logger fits). */
export interface ServiceLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One thing to close on shutdown; `close` may return anything (pg's end(), ioredis' quit()). */
export interface Closer {
  name: string;
  close: () => unknown;
}

/**
 * Closes each in the given order (the reverse of how they were started: servers before the
 * services behind them, engines last). A failing close is logged and the rest still close, so a
 * broken ops server cannot keep the store's connections open. Resolves true when all closed.
 */
export async function closeInOrder(
  closers: readonly Closer[],
  logger: ServiceLogger,
  service: string,
): Promise<boolean> {
  let ok = true;
  for (const c of closers) {
    try {
      await c.close();
    } catch (err) {
      ok = false;
      logger.error({ err, service, closing: c.name }, `${service}: error while closing ${c.name}`);
    }
  }
  return ok;
}

/**
 * The end of every composition root: on the first SIGTERM or SIGINT (`process.once`: a second
 * signal gets Node's default, which kills a hung shutdown), close in order and set the exit
 * code (0, or 1 when something failed to close). Returns the stop function, for a caller that
 * stops for another reason (a timed run).
 */
export function stopOnSignals(opts: {
  service: string;
  logger: ServiceLogger;
  closers: readonly Closer[];
  signals?: readonly NodeJS.Signals[];
  /**
   * Exit (code 1) this long after the signal whatever is still closing: an orchestrator kills
   * at 10 s anyway, and a terminal user should not wait on a stuck client (#16). The timer does
   * not keep a process alive that has stopped by itself.
   */
  exitWithinMs?: number;
}): (reason: string) => Promise<void> {
  const { service, logger, closers, exitWithinMs } = opts;
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ signal: reason }, `${service} stopping`);
      const ok = await closeInOrder(closers, logger, service);
      process.exitCode = ok ? (process.exitCode ?? 0) : 1;
    })();
    return stopping;
  };
  for (const signal of opts.signals ?? (['SIGTERM', 'SIGINT'] as const)) {
    process.once(signal, () => {
      if (exitWithinMs !== undefined) {
        setTimeout(() => {
          logger.error({ signal }, `${service} not stopped after ${exitWithinMs / 1000} s; exiting anyway`);
          process.exit(1);
        }, exitWithinMs).unref();
      }
      void stop(signal);
    });
  }
  return stop;
}
