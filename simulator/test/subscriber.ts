import mqtt from 'mqtt';

export interface Received {
  deviceId: string;
  channel: string;
  raw: string;
  json: Record<string, unknown> | undefined;
}

/** A plain MQTT client on the machine's mosquitto that records what devices of `prefix` publish. */
export async function subscribe(
  url: string,
  prefix: string,
): Promise<{
  received: Received[];
  publish(topic: string, payload: string): Promise<unknown>;
  close(): Promise<void>;
}> {
  const client = mqtt.connect(url, {
    clientId: `${prefix}-observer`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
  });
  const received: Received[] = [];
  client.on('message', (topic, payload) => {
    const [, deviceId = '', channel = ''] = topic.split('/');
    if (!deviceId.startsWith(`${prefix}-`)) return;
    const raw = payload.toString('utf8');
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    received.push({ deviceId, channel, raw, json });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => reject(new Error(`mosquitto not reachable at ${url}: ${err.message}`)));
  });
  // the answers too: command replies and configuration reports
  await client.subscribeAsync(
    ['devices/+/telemetry', 'devices/+/events', 'devices/+/status', 'devices/+/reported', 'devices/+/commands/reply'],
    { qos: 1 },
  );
  return {
    received,
    publish: (topic, payload) => client.publishAsync(topic, payload, { qos: 1 }),
    close: () => client.endAsync(),
  };
}
