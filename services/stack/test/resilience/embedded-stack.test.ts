import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type Proc, startProcess, waitFor } from '@telemetry/testing';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { api, type Deployment, provisionDevice, signIn } from '../scenario.js';

/**
 * The all-in-one stack (embedded engines, one process), as a child process.
 *
 * #15: one viewer's `GET /api/telemetry/stats?granularity=minute&start=1970-…&end=2100-…` froze
 * the whole embedded process for 30-45 s (the buckets were counted in SQL before the refusal, on
 * the one PGlite session). On the all-in-one stack (child process), a device publishes QoS 1
 * throughout while that request and its CSV export are sent again and again: each is answered 400
 * without a database query (the figures are reported), and PUBACKs keep flowing.
 *
 * Then the whole process is SIGKILLed while the device publishes QoS 1, and restarted on the same
 * data: every PUBACKed event is stored exactly once and the 1-minute rollups equal a
 * recomputation from the stored events (read through the API); the restart time is reported.
 */
const BAD = 'granularity=minute&start=1970-01-01T00:00:00Z&end=2100-01-01T00:00:00Z';

describe('the 130-year stats request on the embedded stack', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-stats-'));
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  let ports: { http: number; mqtt: number; ws: number };
  let d: Deployment;
  let token: string;
  let device: Awaited<ReturnType<typeof provisionDevice>>;
  let proc: Proc;
  const start = async () => {
    const p = startProcess('stack', 'services/stack/src/main.ts', {
      // the embedded engines whatever the run's environment (its Kafka, its PostgreSQL)
      KAFKA_BROKERS: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      DATA_DIR: dataDir,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(ports.http),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(ports.mqtt),
      MQTT_WS_PORT: String(ports.ws),
      SIMULATE: 'false',
      LOG_LEVEL: 'warn',
    });
    procs.push(p);
    await p.waitForOutput(/Ctrl\+C stops it/, 120_000);
    return p;
  };

  it('is refused without touching the database while devices keep their PUBACKs flowing', async () => {
    ports = { http: await freePort(), mqtt: await freePort(), ws: await freePort() };
    proc = await start();
    d = { http: `http://127.0.0.1:${ports.http}`, mqtt: `mqtt://127.0.0.1:${ports.mqtt}` };
    const admin = proc.output().match(/platform admin\s+(\S+) \/ (\S+)/) as RegExpMatchArray;
    ({ token } = await signIn(d, admin[1] as string, admin[2] as string, 'Resilience-stats-pw-1'));
    device = await provisionDevice(d, token, 'StatsLoad');

    const client = await mqtt.connectAsync(d.mqtt, {
      username: device.deviceId,
      password: device.deviceToken,
      clientId: device.deviceId,
      reconnectPeriod: 0,
    });
    const pubacks: number[] = [];
    let publishing = true;
    let n = 0;
    const publisher = (async () => {
      while (publishing) {
        const t0 = performance.now();
        await client.publishAsync(
          `devices/${device.deviceId}/telemetry`,
          JSON.stringify({
            event_id: `s-${n++}`,
            ts: new Date().toISOString(),
            metrics: { temperature: 20 + (n % 5) },
          }),
          { qos: 1 },
        );
        pubacks.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await new Promise((r) => setTimeout(r, 1_000));
    const refusals: { path: string; status: number; ms: number; type: string | null }[] = [];
    for (let i = 0; i < 10; i++) {
      for (const path of ['/api/telemetry/stats', '/api/telemetry/stats-export.csv']) {
        const t0 = performance.now();
        const res = await fetch(`${d.http}${path}?${BAD}&tenantId=${device.tenantId}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await res.text();
        refusals.push({ path, status: res.status, ms: performance.now() - t0, type: res.headers.get('content-type') });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // years outside 1970-2199 are refused by validation
    const year1 = await fetch(
      `${d.http}/api/telemetry/stats?granularity=day&start=0001-01-01T00:00:00Z&end=0002-01-01T00:00:00Z&tenantId=${device.tenantId}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(year1.status).toBe(400);
    await new Promise((r) => setTimeout(r, 1_000));
    publishing = false;
    await publisher;
    await client.endAsync();

    const sorted = [...pubacks].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number;
    const slowest = Math.max(...refusals.map((r) => r.ms));
    console.log(
      `[resilience] viewer stats: ${refusals.length} refusals, slowest ${slowest.toFixed(1)} ms ` +
        `(median ${refusals
          .map((r) => r.ms)
          .sort((a, b) => a - b)
          [Math.floor(refusals.length / 2)]?.toFixed(1)} ms); ` +
        `${pubacks.length} PUBACKs meanwhile, p99 ${p99.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`,
    );
    for (const r of refusals) {
      expect(r.status, r.path).toBe(400);
      expect(r.type, r.path).toContain('application/problem+json');
    }
    // The figures are reported above (targets: refusal < 100 ms, PUBACK p99 < 1 s on a quiet
    // machine); the assertions only guard against the freeze itself (30-45 s), not a speed, so a
    // loaded CI machine cannot fail them.
    expect(slowest).toBeLessThan(5_000);
    expect(pubacks.length).toBeGreaterThan(10);
    expect(p99).toBeLessThan(5_000);
  }, 180_000);

  it('loses and doubles nothing acknowledged when SIGKILLed mid-stream, rollups equal a recomputation', async () => {
    expect(device, 'the first test provisioned the device').toBeDefined();
    const client = await mqtt.connectAsync(d.mqtt, {
      username: device.deviceId,
      password: device.deviceToken,
      clientId: device.deviceId,
      reconnectPeriod: 0,
    });
    client.on('error', () => undefined);
    const acked: { id: string; v: number; ts: string }[] = [];
    let n = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        const id = `k-${n}`;
        const v = n % 17;
        const ts = new Date().toISOString();
        n++;
        try {
          await client.publishAsync(
            `devices/${device.deviceId}/telemetry`,
            JSON.stringify({ event_id: id, ts, metrics: { temperature: v } }),
            { qos: 1 },
          );
          acked.push({ id, v, ts });
        } catch {
          return; // the connection died with the process: unacknowledged, not counted
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await waitFor(() => acked.length >= 200, { timeoutMs: 60_000, message: '200 PUBACKs before the kill' });
    await proc.stop('SIGKILL');
    publishing = false;
    client.end(true);
    await publisher;
    const killedAt = Date.now();
    proc = await start();
    const restartMs = Date.now() - killedAt;

    // every stored event of the device, through the API (keyset pages)
    const stored = new Map<string, { n: number; v: number; ts: string }>();
    let cursor: string | null = null;
    do {
      const q: string = `/api/telemetry/events?deviceId=${device.deviceId}&tenantId=${device.tenantId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api(d, 'GET', q, { token });
      for (const e of page.items as { eventId: string; ts: string; metrics: { temperature: number } }[]) {
        const seen = stored.get(e.eventId);
        stored.set(e.eventId, { n: (seen?.n ?? 0) + 1, v: e.metrics.temperature, ts: e.ts });
      }
      cursor = page.nextCursor;
    } while (cursor);
    const mine = [...stored].filter(([id]) => id.startsWith('k-'));
    const missing = acked.filter((a) => !stored.has(a.id));
    const doubled = mine.filter(([, s]) => s.n > 1);

    // 1-minute rollups of the device equal a recomputation from its stored events
    const from = new Date(Math.min(...mine.map(([, s]) => Date.parse(s.ts))) - 120_000).toISOString();
    const to = new Date(Date.now() + 120_000).toISOString();
    const agg = await api(
      d,
      'GET',
      `/api/telemetry/aggregate?deviceId=${device.deviceId}&tenantId=${device.tenantId}&metric=temperature&bucket=1m&agg=count,sum&from=${from}&to=${to}`,
      { token },
    );
    const want = new Map<string, { count: number; sum: number }>();
    for (const [, s] of stored) {
      const bucket = new Date(Math.floor(Date.parse(s.ts) / 60_000) * 60_000).toISOString();
      const w = want.get(bucket) ?? { count: 0, sum: 0 };
      w.count++;
      w.sum += s.v;
      want.set(bucket, w);
    }
    const got = new Map<string, { count: number; sum: number }>(
      (agg.items as { bucket: string; values: { count: number; sum: number } }[]).map((p) => [
        new Date(p.bucket).toISOString(),
        { count: Number(p.values.count), sum: Number(p.values.sum) },
      ]),
    );
    console.log(
      `[resilience] embedded stack SIGKILL: ${acked.length} PUBACKed before the kill, ${missing.length} missing, ` +
        `${doubled.length} doubled, ${mine.length} stored; restarted and serving ${restartMs} ms after the kill; ` +
        `${got.size} one-minute rollups checked`,
    );
    expect(missing).toEqual([]);
    expect(doubled).toEqual([]);
    expect(got).toEqual(want);
  }, 240_000);
});
