import { forkChild } from '../rpc.js';
import { type Percentiles, percentiles } from '../stats.js';

export interface ObserverReport {
  /** Pushes of this step's events that reached the client. */
  received: number;
  /** Latest trace.stored among them (ms since epoch), 0 when none. */
  lastStored: number;
  disconnects: number;
  toStored: Percentiles;
  toSocket: Percentiles;
  /** Alerts of the bench's rule opened in the step (pushes seen, one per alert). */
  alertsOpened: number;
  /** Device publish (payload ts of the opening event) → the alert's push at the client. */
  toAlert: Percentiles;
}

/** A dashboard client in its own process (observer/worker.ts). */
export async function startObserver(p: { url: string; token: string; tenantId: string; ruleId?: string }) {
  const child = forkChild(new URL('./worker.ts', import.meta.url), { name: 'socket client' });
  try {
    await child.call('open', p, 60_000);
  } catch (err) {
    await child.stop(5_000);
    throw err;
  }
  return {
    pid: child.pid,
    /** From now on: this step's events (`tag`), and alerts opened at or after `since` (ms). */
    reset: (tag: string, since?: number) => child.call('reset', { tag, since }),
    count: () => child.call<{ received: number; lastStored: number; alertsOpened: number }>('count'),
    async report(): Promise<ObserverReport> {
      const r = await child.call<{
        received: number;
        lastStored: number;
        disconnects: number;
        toStored: Float64Array;
        toSocket: Float64Array;
        alertsOpened: number;
        toAlert: Float64Array;
      }>('report');
      return {
        ...r,
        toStored: percentiles(r.toStored),
        toSocket: percentiles(r.toSocket),
        toAlert: percentiles(r.toAlert),
      };
    },
    close: () => child.stop(5_000),
  };
}
export type Observer = Awaited<ReturnType<typeof startObserver>>;
