/**
 * The bench's smoke mode against the real embedded stack (services/stack in a child process, MQTT
 * devices provisioned over the API, a Socket.IO client): every acknowledged event is stored exactly
 * once. It asserts the promises, never speed (the figures are in BENCHMARKS.md).
 */
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from './args.js';
import { runBench } from './run.js';

describe('pnpm bench --smoke', () => {
  it('stores every acknowledged QoS 1 event once, and pushes them to a dashboard client', async () => {
    const options = parseBenchArgs(['--smoke', '--duration', '3s']);
    const result = await runBench(options, 'smoke test', () => undefined);
    const [embedded] = result.backends;
    expect(embedded?.backend).toBe('embedded');
    const [step] = embedded?.steps ?? [];
    expect(step?.run.acked).toBeGreaterThan(0);
    expect(step?.run.notAcked).toBe(0);
    expect(step?.drained).toBe(true);
    expect(step?.check).toMatchObject({ lost: 0, duplicates: 0, distinct: step?.run.acked });
    expect(step?.observer.received).toBeGreaterThan(0);
    expect(step?.procs.find((p) => p.name === 'stack')?.rssPeakMb).toBeGreaterThan(0);
    // under a load of ~30 on 2 cores (8 sessions' suites) the stack alone took 76 s to start and the
    // whole smoke run 140 s; quiet, it is ~20 s
  }, 300_000);
});
