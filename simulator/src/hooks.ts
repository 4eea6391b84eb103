import type { Channel } from './profiles/index.js';

/** One event publish, as the bench records it to measure device -> dashboard latency. */
export interface PublishRecord {
  deviceId: string;
  eventId: string;
  channel: Channel;
  transport: 'mqtt' | 'http';
  /** Wall-clock ms (Date.now()) when the PUBLISH / POST left, whatever the injected device clock says. */
  sentAt: number;
  /** Device time in the payload. */
  ts: string;
  duplicate: boolean;
  /** Sent after waiting in the store-and-forward buffer. */
  replay: boolean;
}

export interface FleetHooks {
  onPublish?(record: PublishRecord): void;
  /** PUBACK / HTTP 2xx received; ackedAt is wall-clock ms. */
  onAck?(record: PublishRecord & { ackedAt: number }): void;
  onCommand?(command: { deviceId: string; payload: string }): void;
}
