import mqtt from 'mqtt';

/**
 * What the tests do besides the browser: set up a tenant over the REST API (as an admin would)
 * and be a device (handshake over HTTP, readings over MQTT QoS 1).
 */
export class Api {
  constructor(
    readonly baseUrl: string,
    private token: string | null = null,
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<Api> {
    const api = new Api(baseUrl);
    const res = await api.call<{ accessToken: string }>('POST', '/api/auth/login', { username, password });
    api.token = res.accessToken;
    return api;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The status only (for refusals the test expects). */
  async status(method: string, path: string, body?: unknown): Promise<number> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      // fetch refuses a body on GET/HEAD
      body: method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(body ?? {}),
    });
    await res.arrayBuffer();
    return res.status;
  }
}

export interface FakeDevice {
  id: string;
  /** One reading, timestamped now (or at `at`: store-and-forward of an older reading). */
  send(metrics: Record<string, number>, at?: Date): Promise<void>;
  /** From now on, answers every command that expects a reply with `{status: 'ok', result: {done: name}}`. */
  answerCommands(): Promise<void>;
  /** Applies every desired configuration it is given and reports it with its version (#18). */
  applyDesired(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A device as the firmware does it: handshake by MAC (a pending device), then, once an admin has
 * assigned it (`assign`), MQTT with username = device id and password = token.
 */
export async function handshake(
  baseUrl: string,
  mac: string,
): Promise<{ deviceId: string; token: string; assigned: boolean }> {
  const res = await new Api(baseUrl).call<{ device_id: string; token: string; assigned: boolean }>(
    'POST',
    '/api/handshake/',
    {
      mac,
      firmware: '1.4.2',
    },
  );
  return { deviceId: res.device_id, token: res.token, assigned: res.assigned };
}

export async function connectDevice(mqttUrl: string, deviceId: string, token: string): Promise<FakeDevice> {
  const client = await mqtt.connectAsync(mqttUrl, {
    clientId: deviceId,
    username: deviceId,
    password: token,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  let seq = 0;
  return {
    id: deviceId,
    async send(metrics, at = new Date()) {
      seq++;
      const payload = {
        event_id: `${deviceId}-${String(seq).padStart(10, '0')}`,
        ts: at.toISOString(),
        metrics,
      };
      // QoS 1: resolves on PUBACK, which the gateway sends only once the reading is durable
      await client.publishAsync(`devices/${deviceId}/telemetry`, JSON.stringify(payload), { qos: 1 });
    },
    async answerCommands() {
      // as firmware does: subscribe to its command topic, apply each command once, answer when asked
      client.on('message', (topic, payload) => {
        if (topic !== `devices/${deviceId}/commands`) return;
        const c = JSON.parse(payload.toString()) as { id: string; name: string; expectReply?: boolean };
        if (c.expectReply)
          void client.publishAsync(
            `devices/${deviceId}/commands/reply`,
            JSON.stringify({ id: c.id, status: 'ok', result: { done: c.name } }),
            { qos: 1 },
          );
      });
      await client.subscribeAsync(`devices/${deviceId}/commands`, { qos: 1 });
    },
    async applyDesired() {
      client.on('message', (topic, payload) => {
        if (topic !== `devices/${deviceId}/desired`) return;
        const doc = JSON.parse(payload.toString()) as { version: number; desired: Record<string, unknown> };
        void client.publishAsync(
          `devices/${deviceId}/reported`,
          JSON.stringify({ version: doc.version, reported: doc.desired }),
          { qos: 1 },
        );
      });
      await client.subscribeAsync(`devices/${deviceId}/desired`, { qos: 1 });
    },
    async close() {
      await client.endAsync();
    },
  };
}
