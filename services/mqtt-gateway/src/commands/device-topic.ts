import type { Aedes, Client } from 'aedes';
import type { Sessions } from '../handlers/sessions.js';

/**
 * One server-to-device topic (devices/{id}/commands, devices/{id}/desired) as the command
 * dispatcher and the desired pusher both use it: the store is the record, so the gateway only
 * publishes to a device connected here and subscribed, and delivers again when it starts listening.
 */
export interface DeviceTopic {
  /** Is the device connected to this instance and subscribed to its topic? */
  listening(deviceId: string): boolean;
  /** Publishes at QoS 1 to the device's topic; resolves once aedes has taken it. */
  publish(deviceId: string, payload: Buffer): Promise<void>;
  /**
   * `listener(deviceId, subscribed)` when a device connected here starts listening: it subscribes
   * to its topic (`subscribed` true) or comes back with a persistent session, its subscription
   * restored, for which no SUBSCRIBE is sent (`subscribed` false).
   */
  onDeviceListening(listener: (deviceId: string, subscribed: boolean) => void): void;
}

export function deviceTopic(broker: Aedes, sessions: Sessions, topicOf: (deviceId: string) => string): DeviceTopic {
  const subscribed = (client: Client, deviceId: string): boolean =>
    Boolean((client as Client & { subscriptions?: Record<string, unknown> }).subscriptions?.[topicOf(deviceId)]);
  return {
    listening(deviceId) {
      const client = sessions.client(deviceId);
      return client !== undefined && subscribed(client, deviceId);
    },

    publish(deviceId, payload) {
      return new Promise((resolve, reject) => {
        broker.publish(
          { cmd: 'publish', topic: topicOf(deviceId), payload, qos: 1, dup: false, retain: false },
          (err?: Error) => (err ? reject(err) : resolve()),
        );
      });
    },

    onDeviceListening(listener) {
      broker.on('subscribe', (subs: Array<{ topic: string }>, client: Client) => {
        const session = sessions.get(client);
        if (session && subs.some((s) => s.topic === topicOf(session.identity.deviceId)))
          listener(session.identity.deviceId, true);
      });
      broker.on('clientReady', (client: Client) => {
        const session = sessions.get(client);
        if (session) listener(session.identity.deviceId, false);
      });
    },
  };
}
