/** What a loop logs with (a pino logger fits). */
export interface LoopLogger {
  warn(obj: object, msg: string): void;
}

export interface LoopOptions {
  /** Run the first tick at once (default) or only after the first interval. */
  immediate?: boolean;
}

export interface Loop {
  /** New work: run as soon as the current tick (if any) ends. */
  kick(): void;
  /** No further ticks; resolves when the running one has ended. */
  stop(): Promise<void>;
}

/**
 * A periodic job: runs `tick` every `intervalMs`, never two at once, until stopped; a tick that
 * returns true (more work waiting) runs again at once. Errors are logged, never thrown, and the
 * next tick comes as usual. Its timer does not keep the process alive (the servers and engine
 * connections do), so a forgotten stop() cannot hang a test run or an exit.
 */
export function startLoop(
  name: string,
  intervalMs: number,
  tick: () => Promise<boolean | unknown>,
  logger: LoopLogger,
  opts: LoopOptions = {},
): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    again = false;
    running = (async () => {
      try {
        if ((await tick()) === true) again = true;
      } catch (err) {
        logger.warn({ err, loop: name }, `${name}: iteration failed; next try on the next tick`);
      }
    })().finally(() => {
      running = undefined;
      schedule(again ? 0 : intervalMs);
    });
  };
  schedule(opts.immediate === false ? intervalMs : 0);
  return {
    kick() {
      if (stopped) return;
      if (running) again = true;
      else schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
