import type { Bus, Subscription } from '@telemetry/bus';
import { type CommandStore, parseReply, toWire } from '@telemetry/commands';
import { DeviceCommandV1, DeviceTopics, decodeMessage } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Aedes, Client } from 'aedes';
import type { Sessions } from '../handlers/sessions.js';
import type { Session } from '../session.js';
import { deviceTopic } from './device-topic.js';

export interface DispatcherDeps {
  broker: Aedes;
  sessions: Sessions;
  store: CommandStore;
  bus: Bus;
  /** device.commands.v1 (tests give their own name). */
  topic: string;
  gatewayId: string;
  logger: Logger;
}

/**
 * Delivers commands from the store (#18). The store is the record: a command reaches the device
 * whenever it is connected to this instance and subscribed to its command topic: when it
 * subscribes (or reconnects with a persistent session), when the API announces a new command on
 * device.commands.v1 (every instance hears it; only the one holding the connection acts), and on a
 * periodic sweep that covers a lost announcement. Commands are only published to a device connected
 * here, so aedes never queues one for an offline session behind our back (the store does that).
 */
export function createDispatcher(deps: DispatcherDeps) {
  const { broker, sessions, store, bus, logger } = deps;
  const topicOf = DeviceTopics.commands;
  const topic = deviceTopic(broker, sessions, topicOf);
  const busy = new Set<string>();
  let subscription: Subscription | undefined;

  /** Sends the device's open commands (`queuedOnly`: leave those already sent once to the next reconnect). */
  async function deliver(deviceIds: string[], queuedOnly: boolean): Promise<number> {
    const ready = deviceIds.filter((id) => !busy.has(id) && topic.listening(id));
    if (ready.length === 0) return 0;
    for (const id of ready) busy.add(id);
    try {
      const open = await store.open(ready, { queuedOnly, limit: 100 * ready.length });
      for (const c of open) {
        if (!sessions.client(c.deviceId)) continue;
        await topic.publish(c.deviceId, Buffer.from(JSON.stringify(toWire(c))));
      }
      await store.markSent(open.map((c) => c.id));
      return open.length;
    } finally {
      for (const id of ready) busy.delete(id);
    }
  }

  const later = (deviceIds: string[], queuedOnly: boolean) =>
    void deliver(deviceIds, queuedOnly).catch((err: unknown) =>
      logger.warn({ err, deviceIds }, 'command delivery failed; the sweep retries'),
    );

  topic.onDeviceListening((deviceId) => later([deviceId], false));

  return {
    /** The device PUBACKed a message (see acks.ts): a command's is recorded as delivered. */
    acknowledged(client: Client, packet: { topic: string; payload: Buffer }): void {
      const session = sessions.get(client);
      if (!session || packet.topic !== topicOf(session.identity.deviceId)) return;
      const id = commandIdOf(packet.payload);
      if (!id) return;
      store
        .markDelivered(session.identity.deviceId, id)
        .catch((err: unknown) => logger.warn({ err, commandId: id }, 'recording a command delivery failed'));
    },

    /** The device answered on devices/{id}/commands/reply. */
    async reply(session: Session, payload: Buffer): Promise<void> {
      const deviceId = session.identity.deviceId;
      const r = parseReply(payload);
      if ('invalid' in r) {
        logger.warn({ deviceId, reason: r.invalid }, 'command reply refused');
        return;
      }
      const done = await store.reply(deviceId, r.id, r);
      if (!done) logger.info({ deviceId, commandId: r.id }, 'reply to an unknown, finished or expired command ignored');
    },

    async start(): Promise<void> {
      await bus.ensureTopics([{ name: deps.topic }]);
      subscription = await bus.subscribe({
        // every instance hears every announcement: the one holding the connection delivers
        groupId: `mqtt-gateway-commands-${deps.gatewayId}`,
        topics: [deps.topic],
        durable: false,
        fromBeginning: false,
        handler: async ({ messages }) => {
          const ids = new Set<string>();
          for (const m of messages) {
            // an announcement is only a hint (the sweep and the store are the record): a bad one is skipped
            try {
              const msg = decodeMessage(DeviceCommandV1, m.value);
              if (sessions.client(msg.deviceId)) ids.add(msg.deviceId);
            } catch (err) {
              logger.warn({ err, offset: m.offset }, 'command announcement not understood, skipped');
            }
          }
          if (ids.size > 0) later([...ids], true);
        },
      });
    },

    /** The periodic pass: expire what is past its deadline, send what is queued for devices connected here. */
    async sweep(): Promise<void> {
      const expired = await store.expire(1_000);
      if (expired > 0) logger.info({ expired }, 'commands expired undelivered');
      const connected = [...sessions.all()].map(({ session }) => session.identity.deviceId);
      for (let i = 0; i < connected.length; i += 500) await deliver(connected.slice(i, i + 500), true);
    },

    async close(): Promise<void> {
      await subscription?.close();
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

function commandIdOf(payload: unknown): string | undefined {
  try {
    const v = JSON.parse(Buffer.isBuffer(payload) ? payload.toString() : String(payload)) as { id?: unknown };
    return typeof v.id === 'string' ? v.id : undefined;
  } catch {
    return undefined;
  }
}
