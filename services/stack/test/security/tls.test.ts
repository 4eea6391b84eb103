import { copyFileSync } from 'node:fs';
import { get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createApiServer } from '@telemetry/api';
import { type Bus, createMemoryBus, type IncomingMessage } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createGateway, type Gateway } from '@telemetry/mqtt-gateway';
import { createRegistry as createMetricsRegistry, silentLogger } from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from './figures.js';
import { createTestCa, type TestCa } from './test-ca.js';

// #20 "Done when": an ESP32-style client connects over MQTT/TLS with a token and with a client
// certificate; HTTPS for the API; certificates reloaded when their files change.
describe('security: TLS for devices and the API', () => {
  let ca: TestCa;
  let db: TestStore;
  let bus: Bus;
  let registry: DeviceRegistry;
  let gateway: Gateway;
  let ports: { tlsPort: number; wssPort: number };
  let tenantId: string;
  let serverFiles: { certFile: string; keyFile: string };
  const topics = { raw: uniqueName('raw'), dead: uniqueName('dead'), presence: uniqueName('presence') };
  const raw: IncomingMessage[] = [];
  const probes = { tried: 0, refused: 0 };

  beforeAll(async () => {
    ca = createTestCa();
    serverFiles = ca.server();
    db = await createTestStore('embedded');
    registry = createDeviceRegistry({ pool: db.store.pool });
    bus = createMemoryBus({ partitions: 2 });
    await bus.ensureTopics([{ name: topics.raw }, { name: topics.dead }, { name: topics.presence }]);
    await bus.subscribe({
      groupId: uniqueName('g'),
      topics: [topics.raw],
      handler: async (b) => void raw.push(...b.messages),
    });
    tenantId = (await db.store.pool.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('tls') RETURNING id"))
      .rows[0]?.id as string;
    gateway = createGateway({
      bus,
      registry,
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      gatewayId: uniqueName('gw'),
      topics,
      options: {
        host: '127.0.0.1',
        port: 0,
        wsPort: -1,
        maxPacketBytes: 65_536,
        maxInflight: 10_000,
        connectsPerIpPerMinute: 10_000,
        tls: { ...serverFiles, caFile: ca.caFile, port: 0, wssPort: 0 },
      },
    });
    ports = await gateway.start();
  });
  afterAll(async () => {
    await gateway?.close();
    await bus?.close();
    await db?.drop();
    ca?.remove();
    record('tls_client_auth', { tried: probes.tried, refused: probes.refused, leaked: 0 });
  });

  /** What an ESP32 with esp-mqtt does: mqtts://, the CA pinned, its library's client id, QoS 1. */
  const esp32 = (url: string, extra: IClientOptions) =>
    mqtt.connectAsync(url, {
      ca: ca.ca,
      rejectUnauthorized: true,
      clientId: `ESP32_${Math.random().toString(16).slice(2, 8).toUpperCase()}`,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      protocolVersion: 4,
      ...extra,
    });
  const publishOnce = async (client: mqtt.MqttClient, deviceId: string, eventId: string) => {
    await client.publishAsync(
      `devices/${deviceId}/telemetry`,
      JSON.stringify({ event_id: eventId, temperature: 21.5 }),
      {
        qos: 1,
      },
    );
    await waitFor(() => raw.some((m) => m.key === deviceId && m.value.toString().includes(eventId)), {
      message: `${eventId} on the bus`,
    });
  };

  it('a device with a token connects over MQTT/TLS (8883) and over WebSocket/TLS, and publishes', async () => {
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'tls-token-1' });
    const { token } = await registry.lifecycle.rotateToken('tls-token-1');
    const tcp = await esp32(`mqtts://127.0.0.1:${ports.tlsPort}`, { username: 'tls-token-1', password: token });
    await publishOnce(tcp, 'tls-token-1', 'e-tls-1');
    await tcp.endAsync();
    const wss = await esp32(`wss://127.0.0.1:${ports.wssPort}/mqtt`, { username: 'tls-token-1', password: token });
    await publishOnce(wss, 'tls-token-1', 'e-wss-1');
    await wss.endAsync();
    // a wrong token over TLS is still refused
    probes.tried++;
    await expect(
      esp32(`mqtts://127.0.0.1:${ports.tlsPort}`, { username: 'tls-token-1', password: `${token}x` }),
    ).rejects.toThrow();
    probes.refused++;
  });

  it('a device with a client certificate (CN = device id) connects without a token', async () => {
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'tls-cert-1' });
    const { cert, key } = ca.client('tls-cert-1');
    const client = await esp32(`mqtts://127.0.0.1:${ports.tlsPort}`, { cert, key });
    await publishOnce(client, 'tls-cert-1', 'e-cert-1');
    // its certificate is its identity: another device's topic is not its own (not stored)
    await client.publishAsync('devices/tls-token-1/telemetry', JSON.stringify({ event_id: 'e-foreign', t: 1 }), {
      qos: 1,
    });
    await client.endAsync();
    expect(raw.some((m) => m.value.toString().includes('e-foreign'))).toBe(false);

    // refused: a certificate naming an unknown device, one for another device than the username,
    // one from a CA we do not trust (self-signed), and a certificate of a revoked device
    const ghost = ca.client('ghost-device');
    const foreign = ca.client('tls-cert-1', { selfSigned: true });
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'tls-cert-revoked' });
    await registry.lifecycle.revoke('tls-cert-revoked');
    const revoked = ca.client('tls-cert-revoked');
    for (const opts of [
      { cert: ghost.cert, key: ghost.key },
      { cert, key, username: 'tls-token-1' },
      { cert: foreign.cert, key: foreign.key },
      { cert: revoked.cert, key: revoked.key },
    ] as IClientOptions[]) {
      probes.tried++;
      await expect(esp32(`mqtts://127.0.0.1:${ports.tlsPort}`, opts)).rejects.toThrow();
      probes.refused++;
    }
  });

  it('a renewed server certificate is served to new connections without a restart', async () => {
    const serialOf = () =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ port: ports.tlsPort, host: '127.0.0.1', ca: ca.ca, servername: 'localhost' }, () => {
          resolve(s.getPeerCertificate().serialNumber);
          s.end();
        });
        s.on('error', reject);
      });
    const before = await serialOf();
    const renewed = ca.server('renewed');
    copyFileSync(renewed.keyFile, serverFiles.keyFile);
    copyFileSync(renewed.certFile, serverFiles.certFile);
    await waitFor(async () => (await serialOf()) !== before, { timeoutMs: 10_000, message: 'certificate reloaded' });
  });

  it('the API speaks HTTPS from the configured files', async () => {
    const files = ca.server('api');
    const cfg = loadConfig({ TLS_CERT_FILE: files.certFile, TLS_KEY_FILE: files.keyFile, LOG_LEVEL: 'silent' });
    const app = (_req: unknown, res: { end(s: string): void }) => res.end(JSON.stringify({ status: 'ok' }));
    const web = createApiServer(app, cfg);
    expect(web.secure).toBe(true);
    await new Promise<void>((resolve) => web.server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (web.server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/healthz', ca: ca.ca, servername: 'localhost' }, (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(JSON.parse(body)).toEqual({ status: 'ok' });
    } finally {
      web.stop();
      web.server.closeAllConnections();
      await new Promise((resolve) => web.server.close(resolve));
    }
  });
});
