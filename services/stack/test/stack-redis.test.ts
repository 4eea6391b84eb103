import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, startProcess } from './processes.js';
import { provisionDevice, signIn } from './scenario.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One Redis command over RESP (the stack package has no Redis client of its own). */
function redisCommand(...args: string[]): Promise<string> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port || 6379), url.hostname, () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.once('data', (d) => {
      socket.end();
      resolve(d.toString());
    });
    socket.once('error', reject);
  });
}

// Issue 22: with REDIS_URL the all-in-one process's MQTT gateway is one instance of the Redis
// cluster (its sessions in aedes-persistence-redis), like the separate gateway service.
describe('npm start with REDIS_URL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-redis-'));
  let proc: Proc | undefined;
  afterAll(async () => {
    await proc?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the gateway’s MQTT sessions in Redis', async () => {
    const [http, mqttPort] = [await freePort(), await freePort()];
    proc = startProcess('stack', 'services/stack/src/main.ts', {
      // the in-process bus: on the shared broker its consumer groups would take partitions from the
      // distributed tests' services (same topics, other database)
      KAFKA_BROKERS: '',
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      REDIS_URL,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(http),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      MQTT_WS_PORT: '-1',
      SIMULATE: 'false',
    });
    await proc.waitForOutput(/Ctrl\+C stops it/);
    const d = { http: `http://127.0.0.1:${http}`, mqtt: `mqtt://127.0.0.1:${mqttPort}` };
    const admin = proc.output().match(/platform admin\s+(\S+) \/ (\S+)/);
    expect(admin, proc.output()).not.toBeNull();
    const { token } = await signIn(d, admin![1]!, admin![2]!, 'a-new-admin-secret-1');
    const device = await provisionDevice(d, token, `RedisPlant${Date.now()}`);
    const key = `mqtt:client:${encodeURIComponent(device.deviceId)}`;
    expect(await redisCommand('EXISTS', key)).toBe(':0\r\n');

    const client = await mqtt.connectAsync(d.mqtt, {
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.deviceToken,
      clean: false,
      reconnectPeriod: 0,
    });
    await client.subscribeAsync(`devices/${device.deviceId}/commands`, { qos: 1 });
    // a clean=false session's subscription, stored where every gateway instance finds it
    expect(await redisCommand('EXISTS', key)).toBe(':1\r\n');
    await client.endAsync();
    await redisCommand('DEL', key);
    expect(await proc.stop('SIGINT')).toBe(0);
  }, 180_000);
});
