import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

/**
 * A real MQTT broker (aedes) that checks device credentials the way the platform's gateway does
 * (username = device id, password = token), for the bad-credentials scenario: the machine's
 * mosquitto accepts anyone.
 */
export async function startCheckingBroker(tokenOk: (deviceId: string, token: string) => boolean) {
  const refused: string[] = [];
  const published: { topic: string; payload: string }[] = [];
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const ok =
        username !== undefined &&
        password !== undefined &&
        username === client.id &&
        tokenOk(username, password.toString());
      if (ok) return done(null, true);
      refused.push(client.id);
      const err = Object.assign(new Error('bad credentials'), { returnCode: 4 });
      done(err as Parameters<typeof done>[0], false);
    },
  });
  broker.on('publish', (packet, client) => {
    if (client) published.push({ topic: packet.topic, payload: packet.payload.toString() });
  });
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused,
    published,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
