import type { Client } from 'aedes';
import type { Session } from '../session.js';

/**
 * Sessions by aedes client and by device. One session per device: a second CONNECT of the same
 * device ends the first one (aedes does it itself when the client ids are equal [MQTT-3.1.4-2];
 * here also when the first used an empty, broker-generated id).
 */
export class Sessions {
  private readonly byClient = new WeakMap<Client, Session>();
  private readonly byDevice = new Map<string, { client: Client; session: Session }>();

  attach(client: Client, session: Session): void {
    this.byClient.set(client, session);
    const deviceId = session.identity.deviceId;
    const previous = this.byDevice.get(deviceId);
    this.byDevice.set(deviceId, { client, session });
    if (previous && previous.client !== client && !previous.session.closed) {
      previous.session.endReason ??= 'takeover';
      if (previous.client.id !== client.id) previous.client.close();
    }
    // A CONNECT that fails after authentication never registers: forget it when its socket closes.
    client.conn.once('close', () => this.forget(client, session));
  }

  get(client: Client | null): Session | undefined {
    return client ? this.byClient.get(client) : undefined;
  }

  forget(client: Client, session: Session): void {
    session.closed = true;
    const current = this.byDevice.get(session.identity.deviceId);
    if (current?.client === client) this.byDevice.delete(session.identity.deviceId);
  }

  client(deviceId: string): Client | undefined {
    return this.byDevice.get(deviceId)?.client;
  }

  all(): IterableIterator<{ client: Client; session: Session }> {
    return this.byDevice.values();
  }

  get size(): number {
    return this.byDevice.size;
  }
}
