import { type Child, forkChild } from '../rpc.js';
import type { ConnectParams, ConnectResult, LoadDevice, RunParams, RunResult } from './protocol.js';

export type { ConnectResult, LoadDevice, RunParams, RunResult } from './protocol.js';
export { payloadFor } from './protocol.js';

/** The load generator in its own process (loadgen/worker.ts). */
export interface LoadGenerator {
  readonly pid: number;
  connect(p: ConnectParams): Promise<ConnectResult>;
  /** Connect storm: bare CONNECTs (no mqtt.js client per connection), kept open until disconnect(). */
  storm(p: ConnectParams): Promise<ConnectResult>;
  run(p: RunParams, onProgress?: (p: { published: number; acked: number }) => void): Promise<RunResult>;
  disconnect(): Promise<void>;
  close(): Promise<void>;
}

export function startLoadGenerator(): LoadGenerator {
  const child: Child = forkChild(new URL('./worker.ts', import.meta.url), { name: 'load generator' });
  let onProgress: ((p: { published: number; acked: number }) => void) | undefined;
  child.on('progress', (p) => onProgress?.(p as { published: number; acked: number }));
  return {
    pid: child.pid,
    connect: (p) => child.call('connect', p),
    storm: (p) => child.call('storm', p),
    async run(p, progress) {
      onProgress = progress;
      try {
        return await child.call<RunResult>('run', p, p.durationMs + p.drainTimeoutMs + 120_000);
      } finally {
        onProgress = undefined;
      }
    },
    async disconnect() {
      await child.call('disconnect');
    },
    close: () => child.stop(10_000),
  };
}

/** Anonymous devices for a plain broker (mosquitto): topics under bench/<run>/. */
export function anonymousDevices(run: string, count: number): LoadDevice[] {
  return Array.from({ length: count }, (_, i) => ({
    clientId: `bench-${run}-${i}`,
    topic: `bench/${run}/${i}/telemetry`,
  }));
}
