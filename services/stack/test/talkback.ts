import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi, createFirstAdmin } from '@telemetry/api';
import { createPasswordHasher, FAST_SCRYPT } from '@telemetry/auth';
import { type Bus, createBus } from '@telemetry/bus';
import { createCommandStore, createShadowStore } from '@telemetry/commands';
import { loadConfig } from '@telemetry/config';
import { createGateway, type Gateway } from '@telemetry/mqtt-gateway';
import { createRegistry as createMetrics, silentLogger } from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import { createTestStore, kafkaBrokers, type TestStore, uniqueName } from '@telemetry/testing';
import { Redis } from 'ioredis';
import { api, type Deployment, signIn } from './scenario.js';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

export interface TalkBack {
  d: Deployment;
  /** One MQTT URL per gateway instance. */
  gateways: { gateway: Gateway; url: string }[];
  registry: DeviceRegistry;
  token: string;
  test: TestStore;
  /** An active device of a new tenant, with its MQTT/HTTP token. */
  device(name: string): Promise<{ tenantId: string; deviceId: string; token: string }>;
  close(): Promise<void>;
}

/**
 * The talk-back path in one process, as the services compose it: the API (commands, desired
 * configuration) and `gateways` MQTT gateway instances, over the embedded store and the in-process
 * bus, or PostgreSQL and Kafka. With `redis` the gateways are one clustered broker (REDIS_URL), as
 * docker-compose runs them; topic names and the Redis prefix are this run's own.
 */
export async function startTalkBack(opts: {
  backend: 'embedded' | 'distributed';
  gateways: number;
  redis: boolean;
}): Promise<TalkBack> {
  const distributed = opts.backend === 'distributed';
  const test = await createTestStore(distributed ? 'postgres' : 'embedded');
  const bus: Bus = createBus({
    kafkaBrokers: distributed ? kafkaBrokers() : [],
    clientId: uniqueName('talkback'),
    partitions: 2,
  });
  const topics = { commands: uniqueName('commands'), desired: uniqueName('desired') };
  await bus.ensureTopics([{ name: topics.commands }, { name: topics.desired }]);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: 'memory://',
    JWT_SECRET: 'talkback-test-secret-of-at-least-32-characters',
    API_LOGIN_RATE_PER_MIN: '100000',
  });
  const passwords = createPasswordHasher(FAST_SCRYPT);
  const apiService = createApi({
    store: test.store,
    bus,
    logger: silentLogger(),
    registry: createMetrics(),
    config,
    passwords,
    deviceRoutes: false,
    topics,
  });
  const server: Server = await new Promise((resolve) => {
    const s = apiService.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const http = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const registry = createDeviceRegistry({ pool: test.store.pool });
  const prefix = `${uniqueName('talkback')}:`;
  const gateways: TalkBack['gateways'] = [];
  for (let i = 0; i < opts.gateways; i++) {
    const gateway = createGateway({
      bus,
      registry,
      logger: silentLogger(),
      metrics: createMetrics(),
      gatewayId: uniqueName(`gw${i}`),
      topics: { raw: uniqueName('raw'), dead: uniqueName('dead'), presence: uniqueName('presence'), ...topics },
      options: {
        host: '127.0.0.1',
        port: 0,
        wsPort: -1,
        maxPacketBytes: 65_536,
        maxInflight: 10_000,
        connectsPerIpPerMinute: 100_000,
        commandSweepMs: 5_000,
        ...(opts.redis ? { redisUrl: REDIS_URL, redisPrefix: prefix } : {}),
      },
      commands: createCommandStore(test.store.pool),
      shadows: createShadowStore(test.store.pool),
    });
    const { port } = await gateway.start();
    gateways.push({ gateway, url: `mqtt://127.0.0.1:${port}` });
  }
  const d: Deployment = { http, mqtt: gateways[0]?.url ?? '' };

  await createFirstAdmin(test.store, { username: 'root', password: 'root-password-1', passwords });
  const token = (await signIn(d, 'root', 'root-password-1', 'root-password-2')).token;

  return {
    d,
    gateways,
    registry,
    token,
    test,
    async device(name) {
      const tenant = await api(d, 'POST', '/api/tenants', { token, body: { name: uniqueName(name) } });
      const deviceId = uniqueName(name.toLowerCase());
      await registry.lifecycle.preRegister({ tenantId: tenant.id, deviceId });
      const { token: deviceToken } = await registry.lifecycle.rotateToken(deviceId);
      return { tenantId: tenant.id as string, deviceId, token: deviceToken };
    },
    async close() {
      for (const g of gateways) await g.gateway.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await apiService.close();
      await bus.close();
      await test.drop();
      if (opts.redis) {
        const redis = new Redis(REDIS_URL);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    },
  };
}
