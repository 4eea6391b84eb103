/**
 * Open-loop pacing: at `rate` messages/s in total, `owed(elapsedMs)` is how many messages should
 * have been handed out by now; each call hands out the difference, round-robin over the devices
 * (so every device runs at rate / devices). Messages a device cannot send yet (its in-flight window
 * is full) wait in its `pending` count: the offered rate stays the target, and a generator that
 * falls behind shows it as backlog instead of silently slowing down.
 */
export function createPacer(rate: number, devices: number) {
  let scheduled = 0;
  let cursor = 0;
  return {
    /** Adds what is due at `elapsedMs` to `pending` (indexed by device); returns how many were added. */
    due(elapsedMs: number, pending: number[]): number {
      const owed = Math.floor((elapsedMs * rate) / 1000) - scheduled;
      if (owed <= 0) return 0;
      scheduled += owed;
      const each = Math.floor(owed / devices);
      const rest = owed - each * devices;
      if (each > 0) for (let i = 0; i < devices; i++) pending[i] = (pending[i] ?? 0) + each;
      for (let i = 0; i < rest; i++) {
        pending[cursor] = (pending[cursor] ?? 0) + 1;
        cursor = (cursor + 1) % devices;
      }
      return owed;
    },
    get scheduled() {
      return scheduled;
    },
  };
}
