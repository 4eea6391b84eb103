import type { EventKind } from '@telemetry/contracts';
import { DeviceTopics } from '@telemetry/contracts';

/** What a device may publish on: `devices/{its id}/{channel}`. */
export type Channel = 'telemetry' | 'events' | 'status';

const KIND: Record<Channel, EventKind> = { telemetry: 'telemetry', events: 'event', status: 'status' };

export function kindOf(channel: Channel): EventKind {
  return KIND[channel];
}

/**
 * The channel of a topic when `deviceId` may publish on it, else undefined (the ACL). An exact
 * match of three levels: no other device's id, no deeper levels, no `$`-topics.
 */
export function publishChannel(deviceId: string, topic: string): Channel | undefined {
  const prefix = `devices/${deviceId}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  return rest === 'telemetry' || rest === 'events' || rest === 'status' ? rest : undefined;
}

/** A device may subscribe only to its own command and desired-configuration topics, exactly (no wildcards, no `$SYS`). */
export function maySubscribe(deviceId: string, topicFilter: string): boolean {
  return topicFilter === DeviceTopics.commands(deviceId) || topicFilter === DeviceTopics.desired(deviceId);
}
