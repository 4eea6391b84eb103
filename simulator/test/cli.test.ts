import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceApi, startDeviceApi } from './device-api.js';
import { subscribe } from './subscriber.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MOSQUITTO = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

function cli(args: string[]): {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
} {
  // In-process tsx (not the tsx CLI wrapper), so SIGINT reaches the simulator itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulator/src/main.ts', ...args], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let stateDir: string;
let api: DeviceApi;
let prefix: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
  prefix = uniqueName('cli').replace(/_/g, '-');
  api = await startDeviceApi({ prefix });
});
afterAll(async () => {
  await api?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('simulator CLI', () => {
  it('says which URL is unreachable and that the stack should be running', async () => {
    const port = await closedPort();
    const run = cli(['--api', `http://127.0.0.1:${port}`, '--devices', '2', '--state-dir', stateDir]);
    expect(await run.exit).toBe(1);
    expect(run.err()).toContain(`API not reachable at http://127.0.0.1:${port}`);
    expect(run.err()).toContain('pnpm start');
  });

  it('stops cleanly on Ctrl+C: stops publishing, waits for PUBACKs, saves the sequence, disconnects', async () => {
    const observer = await subscribe(MOSQUITTO, prefix);
    try {
      const run = cli([
        '--api',
        api.url,
        '--mqtt',
        MOSQUITTO,
        '--devices',
        '2',
        '--rate',
        '20',
        '--profile',
        'ozone',
        '--state-dir',
        stateDir,
      ]);
      await waitFor(() => observer.received.length >= 10, {
        timeoutMs: 20_000,
        message: `events published; stderr: ${run.err()}`,
      });
      run.child.kill('SIGINT');
      expect(await run.exit).toBe(0);
      expect(run.out()).toContain('stopping publishing, waiting for in-flight acknowledgements');
      expect(run.out()).toMatch(/not acknowledged at stop \(saved, replayed next start\): 0/);

      // The saved sequence continues past everything that was published.
      for (const [mac, d] of api.devices) {
        const saved = JSON.parse(await readFile(join(stateDir, `${mac.replace(/:/g, '-')}.json`), 'utf8'));
        expect(saved.clean).toBe(true);
        const maxSeq = () =>
          Math.max(
            ...observer.received
              .filter((r) => r.deviceId === d.deviceId)
              .map((r) => Number(String(r.json?.event_id).slice(-10))),
          );
        await waitFor(() => maxSeq() + 1 === saved.next, {
          message: `observer saw up to ${maxSeq()}, saved next ${saved.next}`,
        });
      }
    } finally {
      await observer.close();
    }
  });
});
