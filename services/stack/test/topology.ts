import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestStore, kafkaBrokers, type TestStore, waitFor } from '@telemetry/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDns, type TestDns } from './dns.js';
import { freePort, type Proc, ROOT, startProcess } from './processes.js';
import { type Deployment, provisionDevice, signIn } from './scenario.js';

/**
 * Issue 22: the front door as deployed. infra/haproxy/haproxy.cfg — the file docker-compose and
 * Kubernetes run — is run by Debian's haproxy in front of two gateways, two realtime instances and
 * an api (each its own process, on addresses of their own), over real Kafka, PostgreSQL and Redis.
 * A DNS server lists the replicas by name, as Docker's and Kubernetes's do. The device reaches the
 * gateways only through the proxy (PROXY protocol), the dashboard client the api and Socket.IO only
 * through it (one origin, long-polling first: that needs the sticky cookie).
 *
 * Called from distributed.test.ts: both deployments use the product's topic names and consumer
 * groups on the shared broker, so they must never run at the same time (one file runs in order).
 */
export function topologySuite(): void {
  describe('behind HAProxy (infra/haproxy/haproxy.cfg): two gateways, two realtime, api', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'topology-'));
    const GW = ['127.0.1.1', '127.0.1.2'];
    const RT = ['127.0.2.1', '127.0.2.2'];
    const API = '127.0.3.1';
    let db: TestStore;
    let dns: TestDns;
    let haproxy: ChildProcess | undefined;
    let haproxyOut = '';
    const procs: Proc[] = [];
    const gateways = new Map<string, Proc>();
    const port: Record<string, number> = {};
    const env: Record<string, string> = {};

    async function startService(name: string, extra: Record<string, string>, readyz: string): Promise<Proc> {
      const p = startProcess(name, `services/${extra.SERVICE_NAME}/src/main.ts`, { ...env, ...extra });
      procs.push(p);
      await waitFor(async () => (await fetch(readyz).catch(() => undefined))?.ok === true, {
        timeoutMs: 90_000,
        message: `${name} ready:\n${p.output()}`,
      });
      return p;
    }

    beforeAll(async () => {
      db = await createTestStore('postgres', { migrate: false });
      for (const k of ['mqtt', 'ws', 'http', 'gwMqtt', 'gwWs', 'gwPlain', 'rt', 'api', 'metrics', 'pipelineMetrics']) {
        port[k] = await freePort();
      }
      Object.assign(env, {
        KAFKA_BROKERS: kafkaBrokers().join(','),
        KAFKA_PARTITIONS: '2',
        DATABASE_URL: db.url,
        REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        JWT_SECRET: 'topology-test-secret-of-at-least-32-characters',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        METRICS_PORT: String(port.metrics),
        // a dead instance is noticed after 3 s, its wills published within 4 more
        MQTT_CLUSTER_HEARTBEAT: '1s',
        // sequential readings 100 ms apart: each one is pushed, none coalesced away
        REALTIME_MAX_UPDATES_PER_SEC: '50',
      });
      const admin = startProcess('create-admin', 'services/api/src/cli.ts', env, ['create-admin']);
      expect(await admin.exited, admin.output()).toBe(0);
      env.ADMIN_PASSWORD = admin.output().match(/with password: (\S+)/)?.[1] ?? '';

      await startService(
        'pipeline',
        { SERVICE_NAME: 'pipeline', METRICS_PORT: String(port.pipelineMetrics) },
        `http://127.0.0.1:${port.pipelineMetrics}/readyz`,
      );
      for (const [i, host] of GW.entries()) {
        const p = await startService(
          `gateway-${i + 1}`,
          {
            SERVICE_NAME: 'mqtt-gateway',
            INSTANCE_ID: `topology-gw-${i + 1}`,
            MQTT_HOST: host,
            MQTT_PORT: String(port.gwPlain),
            MQTT_WS_PORT: '-1',
            MQTT_PROXY_PORT: String(port.gwMqtt),
            MQTT_WS_PROXY_PORT: String(port.gwWs),
            METRICS_HOST: host,
          },
          `http://${host}:${port.metrics}/readyz`,
        );
        gateways.set(`topology-gw-${i + 1}`, p);
      }
      for (const [i, host] of RT.entries()) {
        await startService(
          `realtime-${i + 1}`,
          { SERVICE_NAME: 'realtime', HTTP_HOST: host, REALTIME_PORT: String(port.rt), METRICS_HOST: host },
          `http://${host}:${port.metrics}/readyz`,
        );
      }
      await startService(
        'api',
        {
          SERVICE_NAME: 'api',
          HTTP_HOST: API,
          HTTP_PORT: String(port.api),
          METRICS_HOST: API,
          TRUST_PROXY: 'loopback',
        },
        `http://${API}:${port.metrics}/readyz`,
      );

      dns = await startDns({ 'gateway.topology.test': GW, 'realtime.topology.test': RT, 'api.topology.test': [API] });
      haproxy = spawn('haproxy', ['-db', '-f', join(ROOT, 'infra/haproxy/haproxy.cfg')], {
        env: {
          ...process.env,
          MQTT_BIND: `127.0.0.1:${port.mqtt}`,
          MQTT_WS_BIND: `127.0.0.1:${port.ws}`,
          HTTP_BIND: `127.0.0.1:${port.http}`,
          DNS_NAMESERVER: dns.address,
          GATEWAY_HOST: 'gateway.topology.test',
          REALTIME_HOST: 'realtime.topology.test',
          API_HOST: 'api.topology.test',
          GATEWAY_MQTT_PORT: String(port.gwMqtt),
          GATEWAY_WS_PORT: String(port.gwWs),
          REALTIME_PORT: String(port.rt),
          API_PORT: String(port.api),
          METRICS_PORT: String(port.metrics),
          COOKIE_KEY: 'topology-test-cookie-key',
          MAX_REPLICAS: '4',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      haproxy.stdout?.on('data', (d: Buffer) => (haproxyOut += d.toString()));
      haproxy.stderr?.on('data', (d: Buffer) => (haproxyOut += d.toString()));
      haproxy.once('error', (err) => (haproxyOut += `\n${err.message}`));
      // through the proxy: answered once DNS filled the server slots and the health checks passed
      await waitFor(
        async () => {
          if (haproxy?.exitCode !== null) throw new Error(`haproxy exited:\n${haproxyOut}`);
          return (await fetch(`http://127.0.0.1:${port.http}/openapi.json`).catch(() => undefined))?.ok === true;
        },
        { timeoutMs: 30_000, message: 'haproxy serving the api' },
      );
    }, 300_000);

    afterAll(async () => {
      haproxy?.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.stop('SIGKILL')));
      await dns?.close();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps a device working when its gateway dies, loses no acknowledged reading, and the dashboard gets each once', async () => {
      const d: Deployment = { http: `http://127.0.0.1:${port.http}`, mqtt: `mqtt://127.0.0.1:${port.mqtt}` };
      const { token } = await signIn(d, 'admin', env.ADMIN_PASSWORD!, 'a-new-admin-secret-1');
      const device = await provisionDevice(d, token, 'Topology');
      const pool = db.store.pool;

      // the dashboard: long-polling first, then the upgrade, all through the proxy's one origin
      const pushed: string[] = [];
      const dashboard: Socket = io(d.http, {
        path: '/socket.io',
        auth: { token },
        transports: ['polling', 'websocket'],
        withCredentials: true,
        reconnection: false,
        forceNew: true,
      });
      dashboard.on('telemetry', (m: { deviceId: string; eventId: string }) => {
        if (m.deviceId === device.deviceId) pushed.push(m.eventId);
      });
      const transportErrors: string[] = [];
      dashboard.on('connect_error', (err) => transportErrors.push(err.message));
      dashboard.on('disconnect', (reason) => transportErrors.push(`disconnect: ${reason}`));
      await new Promise<void>((resolve, reject) => {
        dashboard.once('connect', () => resolve());
        dashboard.once('connect_error', reject);
      });
      const ack = await dashboard.timeout(10_000).emitWithAck('subscribe', { scope: 'device', id: device.deviceId });
      expect(ack).toMatchObject({ ok: true });
      await waitFor(() => dashboard.io.engine.transport.name === 'websocket', {
        timeoutMs: 10_000,
        message: 'the Socket.IO session upgraded to WebSocket through the proxy',
      });

      const client: MqttClient = mqtt.connect(d.mqtt, {
        clientId: device.deviceId,
        username: device.deviceId,
        password: device.deviceToken,
        reconnectPeriod: 250,
        connectTimeout: 5_000,
        will: {
          topic: `devices/${device.deviceId}/status`,
          payload: Buffer.from('{"online":false}'),
          qos: 1,
          retain: false,
        },
      });
      client.on('error', () => undefined);
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));

      const acknowledged: string[] = [];
      const publish = async (n: number) => {
        const eventId = `topo-${n}`;
        await client.publishAsync(
          `devices/${device.deviceId}/telemetry`,
          JSON.stringify({ event_id: eventId, ts: new Date().toISOString(), metrics: { temperature: 20 + n / 100 } }),
          { qos: 1 },
        );
        acknowledged.push(eventId);
        await new Promise((r) => setTimeout(r, 100));
      };
      for (let n = 0; n < 15; n++) await publish(n);

      // the instance holding the device dies without a word (presence says which one it is)
      const holder = (
        await pool.query<{ gw: string }>('SELECT connected_gateway AS gw FROM devices WHERE id = $1', [device.deviceId])
      ).rows[0]?.gw;
      expect([...gateways.keys()]).toContain(holder);
      gateways.get(holder!)!.child.kill('SIGKILL');
      let reconnects = 0;
      client.on('connect', () => reconnects++);
      for (let n = 15; n < 30; n++) await publish(n);
      expect(reconnects).toBeGreaterThanOrEqual(1);
      const survivor = [...gateways.keys()].find((id) => id !== holder);
      const now = (
        await pool.query<{ gw: string }>('SELECT connected_gateway AS gw FROM devices WHERE id = $1', [device.deviceId])
      ).rows[0]?.gw;
      expect(now).toBe(survivor);

      // every acknowledged reading stored once; the will of the dead instance's session once too
      const seen = async () =>
        (
          await pool.query<{ event_id: string }>(
            'SELECT event_id FROM telemetry_seen WHERE device_id = $1 ORDER BY event_id',
            [device.deviceId],
          )
        ).rows.map((r) => r.event_id);
      await waitFor(async () => (await seen()).length >= acknowledged.length + 1, {
        timeoutMs: 60_000,
        message: 'the readings and the will stored',
      });
      const stored = await seen();
      expect(stored.filter((id) => id.startsWith('topo-')).sort()).toEqual([...acknowledged].sort());
      expect(stored.filter((id) => !id.startsWith('topo-'))).toHaveLength(1);

      // the dashboard is pushed the readings once each, and the last one for sure. Not always every
      // one: readings the pipeline stores in one batch (the backlog of the gateway's death, on a
      // loaded machine) reach realtime in one round, where a client gets the latest (coalescing).
      const last = acknowledged.at(-1) as string;
      await waitFor(() => pushed.includes(last), {
        timeoutMs: 20_000,
        message: `the last reading pushed (${pushed.length} of ${acknowledged.length} pushed)`,
      });
      const topo = pushed.filter((id) => id.startsWith('topo-'));
      console.log(
        `[topology] ${topo.length} of ${acknowledged.length} readings pushed to the dashboard (the rest coalesced)`,
      );
      expect(new Set(topo).size).toBe(topo.length);
      expect(topo.every((id) => acknowledged.includes(id))).toBe(true);
      expect(topo.length).toBeGreaterThanOrEqual(acknowledged.length / 2);
      expect(transportErrors).toEqual([]);

      client.end(true);
      dashboard.close();
    }, 240_000);
  });
}
