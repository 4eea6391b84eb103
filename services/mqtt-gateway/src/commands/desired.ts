import type { Bus, Subscription } from '@telemetry/bus';
import { parseReport, type ShadowStore, toDesiredWire } from '@telemetry/commands';
import { DeviceDesiredV1, DeviceTopics, decodeMessage } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Aedes } from 'aedes';
import type { Sessions } from '../handlers/sessions.js';
import type { Session } from '../session.js';
import { deviceTopic } from './device-topic.js';

export interface DesiredDeps {
  broker: Aedes;
  sessions: Sessions;
  store: ShadowStore;
  bus: Bus;
  /** device.desired.v1 (tests give their own name). */
  topic: string;
  gatewayId: string;
  logger: Logger;
}

/**
 * Pushes desired configuration from the store (#18), as the command dispatcher delivers commands:
 * the whole document `{"version","desired"}` on devices/{id}/desired at QoS 1 when the device
 * subscribes (or comes back with a persistent session), when device.desired.v1 announces a change
 * (every instance hears it; only the one holding the connection pushes), and on the periodic sweep
 * (a lost announcement). The store is the record, so nothing is retained in the broker: a session
 * is given a version once, unless it asks again by subscribing or reports an older one.
 */
export function createDesiredPusher(deps: DesiredDeps) {
  const { broker, sessions, store, bus, logger } = deps;
  const topic = deviceTopic(broker, sessions, DeviceTopics.desired);
  /** The version each live session was last given. */
  const given = new WeakMap<Session, number>();
  let subscription: Subscription | undefined;

  /** Pushes the current document to these devices when connected here and subscribed (`again`: even if given already). */
  async function push(deviceIds: string[], again: boolean): Promise<number> {
    const ready = deviceIds.filter((id) => topic.listening(id));
    if (ready.length === 0) return 0;
    let pushed = 0;
    for (const shadow of await store.get(ready)) {
      const client = sessions.client(shadow.deviceId);
      const session = sessions.get(client ?? null);
      // nothing desired yet: no document to give
      if (!session || shadow.version === 0) continue;
      if (!again && (given.get(session) ?? -1) >= shadow.version) continue;
      given.set(session, shadow.version);
      await topic.publish(shadow.deviceId, Buffer.from(JSON.stringify(toDesiredWire(shadow))));
      pushed++;
    }
    return pushed;
  }

  const later = (deviceIds: string[], again: boolean) =>
    void push(deviceIds, again).catch((err: unknown) =>
      logger.warn({ err, deviceIds }, 'desired configuration not pushed; the sweep retries'),
    );

  // a SUBSCRIBE asks for the document again; a restored session is given what it lacks
  topic.onDeviceListening((deviceId, subscribed) => later([deviceId], subscribed));

  return {
    /** The device reported on devices/{id}/reported what it applied. */
    async report(session: Session, payload: Buffer): Promise<void> {
      const deviceId = session.identity.deviceId;
      const report = parseReport(payload);
      if ('invalid' in report) {
        logger.warn({ deviceId, reason: report.invalid }, 'desired-configuration report refused');
        return;
      }
      const stored = await store.report(deviceId, report.version, report.reported);
      if ('refused' in stored) {
        // an MQTT 3.1.1 PUBACK cannot say no: the answer is the current document, pushed again
        logger.info(
          { deviceId, version: report.version, reason: stored.refused },
          'report refused; desired pushed again',
        );
        later([deviceId], true);
      }
    },

    async start(): Promise<void> {
      await bus.ensureTopics([{ name: deps.topic }]);
      subscription = await bus.subscribe({
        // every instance hears every announcement: the one holding the connection pushes
        groupId: `mqtt-gateway-desired-${deps.gatewayId}`,
        topics: [deps.topic],
        durable: false,
        fromBeginning: false,
        handler: async ({ messages }) => {
          const ids = new Set<string>();
          for (const m of messages) {
            try {
              const msg = decodeMessage(DeviceDesiredV1, m.value);
              if (msg.deviceId !== null) {
                if (sessions.client(msg.deviceId)) ids.add(msg.deviceId);
                continue;
              }
              // a type's defaults: the tenant's devices connected here (the store knows their types)
              for (const { session } of sessions.all())
                if (session.identity.tenantId === msg.tenantId) ids.add(session.identity.deviceId);
            } catch (err) {
              logger.warn({ err, offset: m.offset }, 'desired announcement not understood, skipped');
            }
          }
          const list = [...ids];
          for (let i = 0; i < list.length; i += 500) later(list.slice(i, i + 500), false);
        },
      });
    },

    /** The periodic pass: pushes a version newer than what each connected session was given. */
    async sweep(): Promise<void> {
      const connected = [...sessions.all()].map(({ session }) => session.identity.deviceId);
      for (let i = 0; i < connected.length; i += 500) await push(connected.slice(i, i + 500), false);
    },

    async close(): Promise<void> {
      await subscription?.close();
    },
  };
}

export type DesiredPusher = ReturnType<typeof createDesiredPusher>;
