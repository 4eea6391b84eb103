/** What a loop logs with (a pino logger fits). */
export interface LoopLogger {
  warn(obj: object, msg: string): void;
}

export interface LoopOptions {
  /** Run the first tick at once (default) or only after the first interval. */
  immediate?: boolean;
}

/** What a tick may return besides true: when the next tick is due, if sooner than the interval. */
export interface NextTick {
  nextInMs: number;
}

export interface Loop {
  /** New work: run as soon as the current tick (if any) ends; with `inMs`, no later than then. */
  kick(inMs?: number): void;
  /** No further ticks; resolves when the running one has ended. */
  stop(): Promise<void>;
}

/**
 * A periodic job: runs `tick` every `intervalMs`, never two at once, until stopped; a tick that
 * returns true (more work waiting) runs again at once, one that returns `{ nextInMs }` (work due
 * then) runs again then if that is sooner. So a job woken by `kick()` when work arrives polls only
 * as a safety net, at a long interval, and idles (#23). Errors are logged, never thrown, and the
 * next tick comes as usual. Its timer does not keep the process alive (the servers and engine
 * connections do), so a forgotten stop() cannot hang a test run or an exit.
 */
export function startLoop(
  name: string,
  intervalMs: number,
  tick: () => Promise<boolean | NextTick | unknown>,
  logger: LoopLogger,
  opts: LoopOptions = {},
): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let dueAt = Number.POSITIVE_INFINITY; // when the armed timer fires
  let soonest = Number.POSITIVE_INFINITY; // a kick(inMs) or a tick's nextInMs, for the next schedule
  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (stopped) return;
    dueAt = Date.now() + ms;
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    again = false;
    dueAt = soonest = Number.POSITIVE_INFINITY;
    running = (async () => {
      try {
        const result = await tick();
        if (result === true) again = true;
        else if (isNextTick(result)) soonest = Math.min(soonest, Date.now() + Math.max(0, result.nextInMs));
      } catch (err) {
        logger.warn({ err, loop: name }, `${name}: iteration failed; next try on the next tick`);
      }
    })().finally(() => {
      running = undefined;
      schedule(again ? 0 : Math.max(0, Math.min(intervalMs, soonest - Date.now())));
    });
  };
  schedule(opts.immediate === false ? intervalMs : 0);
  return {
    kick(inMs = 0) {
      if (stopped) return;
      if (running) {
        if (inMs <= 0) again = true;
        else soonest = Math.min(soonest, Date.now() + inMs);
      } else if (Date.now() + inMs < dueAt) schedule(inMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

function isNextTick(value: unknown): value is NextTick {
  return typeof value === 'object' && value !== null && typeof (value as NextTick).nextInMs === 'number';
}
