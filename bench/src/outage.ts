/**
 * Kafka outage and backlog drain: devices publish at `rate`; after a lead-in the broker is frozen
 * (SIGSTOP) for `outageMs`, then resumed (SIGCONT). While it is frozen the gateway withholds
 * PUBACKs, so the devices' in-flight windows fill and the rest waits on the devices, as an ESP32's
 * store-and-forward does. After the resume: how fast does the stack store the backlog (events
 * stored per second until it has caught up with the offered schedule), as a multiple of `rate`?
 */
import type { LoadGenerator, RunResult } from './loadgen/index.js';
import type { Observer } from './observer/index.js';
import { checkStored, type StoredCheck, type StoredReader } from './stored.js';

export interface OutageResult {
  rate: number;
  outageSeconds: number;
  /** Events offered by the schedule but not yet stored when the broker came back. */
  backlogAtResume: number;
  /** Seconds from the resume until stored caught up with the schedule; undefined if it never did. */
  catchUpSeconds: number | undefined;
  /** Events stored per second between the resume and the catch-up. */
  drainPerSec: number;
  ratio: number;
  run: Omit<RunResult, 'perDevice'>;
  check: StoredCheck;
}

export async function measureOutage(o: {
  lg: LoadGenerator;
  reader: StoredReader;
  observer: Observer;
  brokerPid: number;
  rate: number;
  outageMs: number;
  window: number;
  drainTimeoutMs: number;
  tag: string;
}): Promise<OutageResult> {
  const leadIn = 10_000;
  const after = Math.max(60_000, o.outageMs);
  await o.observer.reset(o.tag);
  const before = await o.reader.count();
  const samples: { t: number; stored: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      samples.push({ t: Date.now(), stored: (await o.reader.count()) - before });
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const t0 = Date.now();
  const running = o.lg.run({
    rate: o.rate,
    durationMs: leadIn + o.outageMs + after,
    window: o.window,
    tag: o.tag,
    drainTimeoutMs: o.drainTimeoutMs,
  });
  let resumedAt = 0;
  try {
    await new Promise((r) => setTimeout(r, leadIn));
    process.kill(o.brokerPid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, o.outageMs));
  } finally {
    process.kill(o.brokerPid, 'SIGCONT');
    resumedAt = Date.now();
  }
  const r = await running;
  // until everything acknowledged is stored
  const deadline = Date.now() + o.drainTimeoutMs;
  while ((samples[samples.length - 1]?.stored ?? 0) < r.acked && Date.now() < deadline)
    await new Promise((res) => setTimeout(res, 250));
  polling = false;
  await poller;

  const due = (t: number) => (o.rate * (t - t0)) / 1000;
  const atResume = samples.filter((s) => s.t <= resumedAt).at(-1) ?? { t: resumedAt, stored: 0 };
  // caught up: stored within one second of the schedule again
  const caught = samples.find((s) => s.t > resumedAt && s.stored >= due(s.t) - o.rate);
  const catchUpSeconds = caught ? (caught.t - atResume.t) / 1000 : undefined;
  const drainPerSec = caught && catchUpSeconds ? (caught.stored - atResume.stored) / catchUpSeconds : 0;
  const events = await o.reader.events(o.tag, new Date(t0 - 60_000), new Date(Date.now() + 60_000));
  const { perDevice: _, ...summary } = r;
  return {
    rate: o.rate,
    outageSeconds: o.outageMs / 1000,
    backlogAtResume: Math.max(0, Math.round(due(atResume.t) - atResume.stored)),
    catchUpSeconds,
    drainPerSec,
    ratio: drainPerSec / o.rate,
    run: summary,
    check: checkStored(o.tag, r, events),
  };
}
