import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkStored, createTestStore, kafkaBrokers, type TestStore, waitFor } from '@telemetry/testing';
import mqtt from 'mqtt';
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
  let provisioned: Awaited<ReturnType<typeof provisionDevice>> | undefined;

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

  async function startService(name: (typeof SERVICES)[number]): Promise<Proc> {
    const metrics = await freePort();
    const p = startProcess(name, `services/${name}/src/main.ts`, {
      ...env,
      SERVICE_NAME: name,
      METRICS_PORT: String(metrics),
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${metrics}/readyz`).catch(() => undefined))?.ok === true, {
      timeoutMs: 90_000,
      message: `${name} ready:\n${p.output()}`,
    });
    return p;
  }

  async function startAll(): Promise<Deployment> {
    procs = [];
    for (const name of SERVICES) procs.push(await startService(name));
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
    provisioned = device;
  }, 300_000);

  // #15: what a gateway PUBACKed is on Kafka before the PUBACK, so a crash with QoS 1 in flight
  // loses nothing acknowledged; what it had not acknowledged the device sends again on reconnect
  // (same event ids), and the pipeline stores it once.
  it('stores every acknowledged event exactly once when the gateway is SIGKILLed with QoS 1 in flight', async () => {
    const device = provisioned;
    expect(device, 'the first test provisions the device').toBeDefined();
    if (!device) return;
    const d = await startAll();
    const client = await mqtt.connectAsync(d.mqtt, {
      username: device.deviceId,
      password: device.deviceToken,
      clientId: device.deviceId,
      clean: false,
      reconnectPeriod: 200,
      connectTimeout: 5_000,
    });
    const acked: string[] = [];
    const failed: string[] = [];
    let sent = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        // a window of 20 unacknowledged publishes at a time, as esp-mqtt's outbox holds them
        for (let i = 0; i < 20; i++) {
          const eventId = `kill-${sent++}`;
          client.publish(
            `devices/${device.deviceId}/telemetry`,
            JSON.stringify({ event_id: eventId, ts: new Date().toISOString(), metrics: { temperature: sent % 40 } }),
            { qos: 1 },
            (err) => {
              if (err) failed.push(`${eventId}: ${err.message}`);
              else acked.push(eventId);
            },
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await waitFor(() => acked.length >= 500, {
      timeoutMs: 30_000,
      message: 'the device publishes through the gateway',
    });
    const gwIndex = procs.findIndex((p) => p.name === 'mqtt-gateway');
    const gateway = procs[gwIndex] as Proc;
    const inFlight = sent - acked.length;
    await gateway.stop('SIGKILL');
    procs[gwIndex] = await startService('mqtt-gateway');
    const ackedAtRestart = acked.length;
    await waitFor(() => acked.length >= ackedAtRestart + 500, {
      timeoutMs: 60_000,
      message: 'the device reconnects and publishes through the new gateway',
    });
    publishing = false;
    await publisher;
    await waitFor(() => acked.length + failed.length === sent, {
      // the device's reconnect backs off while the new gateway starts: generous on a loaded 2-core machine
      timeoutMs: 90_000,
      message: `every publish answered in the end (sent ${sent}, acked ${acked.length}, failed ${failed.length}: ${failed.slice(0, 3)}; gateway:\n${procs[gwIndex]?.output().slice(-3000)})`,
    });
    expect(failed).toEqual([]);
    await client.endAsync();
    await waitFor(async () => (await checkStored(db.store.pool, device.tenantId, acked)).missing.length === 0, {
      timeoutMs: 60_000,
      intervalMs: 250,
      message: 'every acknowledged event stored',
    });
    const report = await checkStored(db.store.pool, device.tenantId, acked);
    console.log(
      `[resilience] gateway SIGKILL with ${inFlight} QoS 1 publishes in flight: ${acked.length} acknowledged in all, ` +
        `${report.missing.length} missing, ${report.duplicated.length} doubled, ${report.rollupMismatches.length} rollup mismatches`,
    );
    expect(inFlight).toBeGreaterThan(0);
    expect(report).toEqual({ missing: [], duplicated: [], rollupMismatches: [] });
    await stopAll();
  }, 300_000);
});

// The same file on purpose: both deployments use the product's topic names and consumer groups on
// the shared broker, and must not run at once (the tests of one file run one after the other).
topologySuite();
