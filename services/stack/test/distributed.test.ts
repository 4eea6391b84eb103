import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestStore, kafkaBrokers, type TestStore, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, startProcess } from './processes.js';
import { type Deployment, expectTemperature, provisionDevice, publishReading, signIn } from './scenario.js';
import { topologySuite } from './topology.js';

const SERVICES = ['pipeline', 'rules', 'notifier', 'realtime', 'api', 'mqtt-gateway'] as const;

// Issue 10: the same scenario as the all-in-one test, with every service its own process over
// real Kafka, PostgreSQL and Redis, as docker-compose runs them.
describe('separate services over Kafka, PostgreSQL and Redis', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dist-'));
  let db: TestStore;
  let procs: Proc[] = [];
  const ports: Record<string, number> = {};
  const env: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestStore('postgres', { migrate: false });
    for (const k of ['http', 'mqtt', 'ws', 'realtime']) ports[k] = await freePort();
    Object.assign(env, {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      DATABASE_URL: db.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      JWT_SECRET: 'distributed-test-secret-of-at-least-32-characters',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(ports.http),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(ports.mqtt),
      MQTT_WS_PORT: String(ports.ws),
      REALTIME_PORT: String(ports.realtime),
      KAFKA_PARTITIONS: '2',
    });
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startAll(): Promise<Deployment> {
    procs = [];
    for (const name of SERVICES) {
      const metrics = await freePort();
      const p = startProcess(name, `services/${name}/src/main.ts`, {
        ...env,
        SERVICE_NAME: name,
        METRICS_PORT: String(metrics),
      });
      procs.push(p);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${metrics}/readyz`)).ok, {
        timeoutMs: 90_000,
        message: `${name} ready:\n${p.output()}`,
      });
    }
    return { http: `http://127.0.0.1:${ports.http}`, mqtt: `mqtt://127.0.0.1:${ports.mqtt}` };
  }

  async function stopAll(): Promise<void> {
    // edges first, then the workers: what an edge acknowledged is already on Kafka
    for (const p of [...procs].reverse()) expect(await p.stop('SIGTERM'), `${p.name} exit:\n${p.output()}`).toBe(0);
  }

  it('stores what a device publishes and keeps it across a restart of every service', async () => {
    const admin = startProcess('create-admin', 'services/api/src/cli.ts', { ...env, LOG_LEVEL: 'warn' }, [
      'create-admin',
    ]);
    // the CLI migrates the fresh database before the services start, so they race on nothing
    const cli = await Promise.race([admin.exited, new Promise((r) => setTimeout(r, 60_000))]);
    expect(cli, admin.output()).toBe(0);
    const password = admin.output().match(/with password: (\S+)/)?.[1];
    expect(password, admin.output()).toBeTruthy();

    const d = await startAll();
    const { token, password: current } = await signIn(d, 'admin', password as string, 'a-new-admin-secret-1');
    const device = await provisionDevice(d, token, 'Factory');
    await publishReading(d, device, 'evt-1', 19.25);
    await expectTemperature(d, token, device.tenantId, device.deviceId, 19.25);
    await stopAll();

    const again = await startAll();
    const { token: t2 } = await signIn(again, 'admin', current, 'unused');
    await expectTemperature(again, t2, device.tenantId, device.deviceId, 19.25);
    await publishReading(again, device, 'evt-2', 20.5);
    await expectTemperature(again, t2, device.tenantId, device.deviceId, 20.5);
    await stopAll();
  }, 300_000);
});

// The same file on purpose: both deployments use the product's topic names and consumer groups on
// the shared broker, and must not run at once (the tests of one file run one after the other).
topologySuite();
