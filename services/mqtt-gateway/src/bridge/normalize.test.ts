import { decodeMessage, encodeMessage, TelemetryDeadV1, TelemetryRawV1 } from '@telemetry/contracts';
import { describe, expect, it } from 'vitest';
import { encodeRaw, type MqttInput, normalizeMqtt, rawIsPlainlyValid } from './normalize.js';

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
    expect(deadOf('{"event_id":true}')).toMatchObject({ reason: 'schema_invalid' });
    expect(deadOf('{"event_id":"e4","ts":"yesterday"}')).toMatchObject({ reason: 'schema_invalid', eventId: 'e4' });
    expect(deadOf('[1,2]').reason).toBe('schema_invalid');
    const big = Buffer.alloc(2_000, 0x20);
    const d = deadOf(big);
    expect(d.reason).toBe('too_large');
    expect(Buffer.from(d.original, 'base64').equals(big)).toBe(true);
  });

  it('accepts what real firmware sends: no id, numeric id, seconds, nested, numeric strings, key=value, bare number', () => {
    const raw = (p: string) => {
      const n = normalizeMqtt(input(p));
      expect(n.ok).toBe(true);
      return decodeMessage(TelemetryRawV1, n.value);
    };
    expect(raw('{"t":1}')).toMatchObject({ eventId: expect.stringMatching(/^a-/), ts: at.toISOString() });
    expect(raw('{"event_id":42,"t":1}').eventId).toBe('42');
    expect(raw('{"ts":1767225600,"t":1}')).toMatchObject({
      ts: '2026-01-01T00:00:00.000Z',
      eventId: expect.stringMatching(/^c-/),
    });
    expect(raw('{"sensors":{"t":22.1},"h":"40"}').metrics).toEqual({ 'sensors.t': 22.1, h: 40 });
    expect(raw('t=22.1&h=40').metrics).toEqual({ t: 22.1, h: 40 });
    expect(raw('22.5').metrics).toEqual({ value: 22.5 });
  });

  it('asks for the id of an arrival-derived event, so a QoS 1 resend can keep its first id', () => {
    const seen: string[] = [];
    const n = normalizeMqtt(
      input('{"t":1}', {
        resolveArrivalId: (id, hash) => {
          seen.push(id, hash);
          return 'a-first';
        },
      }),
    );
    expect(n.ok && n.eventId).toBe('a-first');
    expect(decodeMessage(TelemetryRawV1, n.value).eventId).toBe('a-first');
    expect(seen).toHaveLength(2);
    normalizeMqtt(input('{"event_id":"x","t":1}', { resolveArrivalId: () => 'never' }));
    expect(seen).toHaveLength(2);
  });

  it('derives an event id for a last will, which cannot carry a fresh one', () => {
    const n = normalizeMqtt(input('{"online":false}', { will: true, channel: 'status', topic: 'devices/d1/status' }));
    expect(n.ok).toBe(true);
    expect(decodeMessage(TelemetryRawV1, n.value)).toMatchObject({ kind: 'status', metrics: { online: 0 } });
  });

  it('encodes telemetry.raw.v1 without zod only when zod would return the message unchanged', () => {
    const base: TelemetryRawV1 = {
      v: 1,
      tenantId: 't1',
      deviceId: 'd1',
      eventId: 'e1',
      kind: 'telemetry',
      ts: '2026-01-01T00:00:00.000Z',
      receivedAt: at.toISOString(),
      source: 'mqtt',
      metrics: { t: 21.5, 'a.b': -1 },
      attributes: { fw: '1.2', nested: { x: [1, 'y', null] } },
      trace: { device: 1, gateway: 2 },
    };
    const variants: TelemetryRawV1[] = [
      base,
      { ...base, trace: { gateway: 2 } },
      { ...base, metrics: {}, attributes: {} },
      { ...base, metrics: { ['k'.repeat(64)]: 1 } },
      { ...base, metrics: { ['k'.repeat(65)]: 1 } },
      { ...base, metrics: { '': 1 } },
      { ...base, metrics: { t: Number.POSITIVE_INFINITY } },
      { ...base, ts: '+033658-09-27T01:46:40.000Z' },
      { ...base, ts: '0000-01-01T00:00:00.000Z' },
      { ...base, eventId: 'e'.repeat(129) },
      { ...base, tenantId: '' },
    ];
    for (const m of variants) {
      let expected: string;
      try {
        expected = encodeMessage(TelemetryRawV1, m).toString();
      } catch {
        expect(rawIsPlainlyValid(m)).toBe(false);
        expect(() => encodeRaw(m)).toThrow();
        continue;
      }
      expect(encodeRaw(m).toString()).toBe(expected);
    }
  });

  it('dead-letters a top-level metric name the schema refuses, as before', () => {
    expect(deadOf(`{"event_id":"e5","${'k'.repeat(65)}":1}`)).toMatchObject({
      reason: 'schema_invalid',
      eventId: 'e5',
    });
    expect(deadOf('{"event_id":"e6","ts":1000000000000000}')).toMatchObject({
      reason: 'schema_invalid',
      eventId: 'e6',
    });
  });
});
