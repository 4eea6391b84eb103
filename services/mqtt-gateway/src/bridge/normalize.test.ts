import { decodeMessage, TelemetryDeadV1, TelemetryRawV1 } from '@telemetry/contracts';
import { describe, expect, it } from 'vitest';
import { type MqttInput, normalizeMqtt } from './normalize.js';

const identity = { deviceId: 'd1', tenantId: 't1', assetId: null, state: 'active' as const };
const at = new Date('2026-01-01T00:00:10.000Z');
const input = (payload: string | Buffer, extra: Partial<MqttInput> = {}): MqttInput => ({
  identity,
  topic: 'devices/d1/telemetry',
  channel: 'telemetry',
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  receivedAt: at,
  maxPayloadBytes: 1024,
  ...extra,
});

const deadOf = (payload: string | Buffer, extra: Partial<MqttInput> = {}) => {
  const n = normalizeMqtt(input(payload, extra));
  expect(n.ok).toBe(false);
  return decodeMessage(TelemetryDeadV1, n.value);
};

describe('normalizeMqtt', () => {
  it('turns a device payload into telemetry.raw.v1 with tenant, kind and trace', () => {
    const n = normalizeMqtt(
      input('{"event_id":"e1","ts":"2026-01-01T00:00:00Z","metrics":{"t":21.5}}', {
        channel: 'events',
        topic: 'devices/d1/events',
      }),
    );
    expect(n.ok).toBe(true);
    expect(decodeMessage(TelemetryRawV1, n.value)).toMatchObject({
      tenantId: 't1',
      deviceId: 'd1',
      eventId: 'e1',
      kind: 'event',
      ts: '2026-01-01T00:00:00.000Z',
      receivedAt: at.toISOString(),
      source: 'mqtt',
      metrics: { t: 21.5 },
      trace: { device: Date.parse('2026-01-01T00:00:00Z'), gateway: at.getTime() },
    });
  });

  it('uses the receive time when the device sent none', () => {
    const n = normalizeMqtt(input('{"event_id":"e2","t":1}'));
    expect(decodeMessage(TelemetryRawV1, n.value).ts).toBe(at.toISOString());
  });

  it('dead-letters each kind of malformed payload with its reason and the original bytes', () => {
    expect(deadOf('not json')).toMatchObject({ reason: 'not_json', deviceId: 'd1', tenantId: 't1', source: 'mqtt' });
    expect(deadOf('{"t":1}').reason).toBe('no_event_id');
    expect(deadOf('{"event_id":"e3","metrics":{"t":"hot"}}')).toMatchObject({
      reason: 'schema_invalid',
      eventId: 'e3',
    });
    expect(deadOf('{"event_id":"e4","ts":"yesterday"}')).toMatchObject({ reason: 'schema_invalid', eventId: 'e4' });
    expect(deadOf('[1,2]').reason).toBe('schema_invalid');
    const big = Buffer.alloc(2_000, 0x20);
    const d = deadOf(big);
    expect(d.reason).toBe('too_large');
    expect(Buffer.from(d.original, 'base64').equals(big)).toBe(true);
  });

  it('derives an event id for a last will, which cannot carry a fresh one', () => {
    const n = normalizeMqtt(input('{"online":false}', { will: true, channel: 'status', topic: 'devices/d1/status' }));
    expect(n.ok).toBe(true);
    expect(decodeMessage(TelemetryRawV1, n.value)).toMatchObject({ kind: 'status', metrics: { online: 0 } });
  });
});
