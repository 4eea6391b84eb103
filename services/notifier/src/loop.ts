import type { Logger } from '@telemetry/observability';

/**
 * Runs `tick` every `intervalMs`, never two at once, until stopped; a tick that returns true
 * (more work waiting) runs again at once. Errors are logged, never thrown.
 */
export function startLoop(name: string, intervalMs: number, tick: () => Promise<boolean | unknown>, logger: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(run, ms);
  };
  const run = () => {
    again = false;
    running = (async () => {
      try {
        if ((await tick()) === true) again = true;
      } catch (err) {
        logger.error({ err, loop: name }, 'loop iteration failed');
      }
    })().finally(() => {
      running = undefined;
      schedule(again ? 0 : intervalMs);
    });
  };
  schedule(0);
  return {
    /** New work: run as soon as the current iteration (if any) ends. */
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
