import { AppError, DeviceTopics } from '@telemetry/contracts';
import mqtt from 'mqtt';
import type { Link, LinkEvents } from './link.js';

export interface MqttLinkOptions extends LinkEvents {
  url: string;
  deviceId: string;
  token: string;
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
  /** How soon mqtt.js reconnects after losing a working connection. */
  reconnectMs?: number;
}

// MQTT 3.1.1 CONNACK return codes that mean "your credentials" [MQTT-3.2.2.3].
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;

/**
 * Connects as the ESP32 firmware does: MQTT 3.1.1, client id = username = device_id, password =
 * token, clean session, subscribed to its commands topic. Resolves once CONNACK accepted;
 * rejects with TOKEN_INVALID when refused, UNAVAILABLE when the broker cannot be reached.
 */
export async function connectMqtt(o: MqttLinkOptions): Promise<Link> {
  const client = mqtt.connect(o.url, {
    protocolVersion: 4,
    clientId: o.deviceId,
    username: o.deviceId,
    password: o.token,
    clean: true,
    keepalive: o.keepaliveSeconds ?? 30,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    reconnectPeriod: o.reconnectMs ?? 1_000,
    // Let our own code decide after a refusal (re-handshake), not a blind reconnect loop.
    reconnectOnConnackError: false,
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        fail(
          new AppError(
            'UNAVAILABLE',
            `MQTT broker at ${o.url} did not accept the connection within ${o.connectTimeoutMs ?? 10_000} ms`,
            { retriable: true },
          ),
        ),
      (o.connectTimeoutMs ?? 10_000) + 500,
    );
    const done = () => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
    };
    const onConnect = () => {
      done();
      resolve();
    };
    const onError = (err: Error & { code?: string | number }) => fail(classifyConnectError(o.url, err));
    const fail = (err: AppError) => {
      done();
      client.end(true);
      reject(err);
    };
    client.on('connect', onConnect);
    client.on('error', onError);
  });

  const commands = DeviceTopics.commands(o.deviceId);
  const desired = DeviceTopics.desired(o.deviceId);
  client.on('message', (topic, payload) => {
    if (topic === commands) o.onCommand?.(payload.toString('utf8'));
    else if (topic === desired) o.onDesired?.(payload.toString('utf8'));
  });
  client.on('error', (err: Error & { code?: string | number }) => {
    if (err.code === BAD_CREDENTIALS || err.code === NOT_AUTHORIZED)
      o.onAuthRefused?.(classifyConnectError(o.url, err));
  });
  client.on('offline', () => o.onConnectionChange?.(false));
  client.on('connect', () => o.onConnectionChange?.(true));
  // resubscribe (default on) renews this after reconnects.
  client.subscribe([commands, desired], { qos: 1 }, () => undefined);

  return {
    transport: 'mqtt',
    send(channel, payload) {
      return new Promise((resolve, reject) => {
        client.publish(DeviceTopics[channel](o.deviceId), payload, { qos: 1 }, (err) => {
          if (err)
            reject(
              new AppError('UNAVAILABLE', `publish not acknowledged: ${err.message}`, { retriable: true, cause: err }),
            );
          else resolve();
        });
      });
    },
    reply(payload) {
      return new Promise((resolve, reject) => {
        client.publish(DeviceTopics.commandReplies(o.deviceId), payload, { qos: 1 }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    },
    report(payload) {
      return new Promise((resolve, reject) => {
        client.publish(DeviceTopics.firmware(o.deviceId), payload, { qos: 1 }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    },
    reportConfig(payload) {
      return new Promise((resolve, reject) => {
        client.publish(DeviceTopics.reported(o.deviceId), payload, { qos: 1 }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    },
    close: (force) =>
      new Promise<void>((resolve) => {
        client.end(force, {}, () => resolve());
      }),
  };
}

function classifyConnectError(url: string, err: Error & { code?: string | number }): AppError {
  if (err.code === BAD_CREDENTIALS || err.code === NOT_AUTHORIZED) {
    return new AppError('TOKEN_INVALID', `MQTT broker at ${url} refused the credentials: ${err.message}`, {
      cause: err,
    });
  }
  const hint =
    err.code === 'ECONNREFUSED'
      ? '; is the stack running? Start it with `pnpm start` or point --mqtt at the broker'
      : '';
  return new AppError('UNAVAILABLE', `MQTT broker at ${url} not reachable (${err.code ?? err.message})${hint}`, {
    retriable: true,
    cause: err,
  });
}
