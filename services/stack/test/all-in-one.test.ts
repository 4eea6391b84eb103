import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Proc, startProcess } from './processes.js';
import {
  type Deployment,
  expectTemperature,
  provisionDevice,
  publishReading,
  signIn,
  startAllInOne,
} from './scenario.js';

// Issue 10: the README's first command on a fresh data directory, as a child process: publish over
// MQTT, read it back through the API, stop with SIGINT, start again, and find everything still there.
describe('npm start (all-in-one, embedded engines)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-'));
  let proc: Proc | undefined;
  afterAll(async () => {
    await proc?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ d: Deployment; banner: string }> {
    const started = await startAllInOne('stack', dataDir);
    proc = started.proc;
    return started;
  }

  it('keeps acknowledged data across a graceful restart', async () => {
    const first = await start();
    const admin = first.banner.match(/platform admin\s+(\S+) \/ (\S+)/);
    expect(admin, first.banner).not.toBeNull();
    const [, username, password] = admin as RegExpMatchArray;
    const { token, password: current } = await signIn(
      first.d,
      username as string,
      password as string,
      'a-new-admin-secret-1',
    );
    const device = await provisionDevice(first.d, token, 'Plant');
    await publishReading(first.d, device, 'evt-1', 21.5);
    await expectTemperature(first.d, token, device.tenantId, device.deviceId, 21.5);

    expect(await proc?.stop('SIGINT')).toBe(0);
    expect(proc?.output()).toMatch(/Stopped\./);

    const second = await start();
    expect(second.banner, 'credentials are shown on the first start only').not.toMatch(/platform admin/);
    const { token: again } = await signIn(second.d, username as string, current, 'unused');
    await expectTemperature(second.d, again, device.tenantId, device.deviceId, 21.5);
    // the device's token survived too, and new data flows after the restart
    await publishReading(second.d, device, 'evt-2', 22.75);
    await expectTemperature(second.d, again, device.tenantId, device.deviceId, 22.75);
    expect(await proc?.stop('SIGINT')).toBe(0);
  }, 240_000);

  it('refuses clearly when a port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    const port = await new Promise<number>((r) =>
      blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)),
    );
    try {
      const p = startProcess('stack-port-clash', 'services/stack/src/main.ts', {
        DATA_DIR: join(dataDir, 'clash'),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        MQTT_PORT: '0',
        MQTT_WS_PORT: '0',
        SIMULATE: 'false',
      });
      expect(await p.exited).toBe(1);
      expect(p.output()).toMatch(
        new RegExp(`port ${port} \\(HTTP_PORT\\) is already in use.*HTTP_PORT=<another port>`),
      );
    } finally {
      blocker.close();
    }
  });
});
