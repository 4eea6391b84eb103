import { describe, expect, it } from 'vitest';
import { type DecodeInput, decodeDevicePayload } from './decode-payload.js';
import { compileDecoder, DecoderSpec } from './decoder.js';

const at = new Date('2026-03-01T10:00:00.000Z');
const input = (payload: string, extra: Partial<DecodeInput> = {}): DecodeInput => ({
  deviceId: 'esp-1',
  kind: 'telemetry',
  payload,
  receivedAt: at,
  ...extra,
});
const ok = (payload: string, extra: Partial<DecodeInput> = {}) => {
  const r = decodeDevicePayload(input(payload, extra));
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}: ${r.detail}`);
  return r.event;
};
const bad = (payload: string, extra: Partial<DecodeInput> = {}) => {
  const r = decodeDevicePayload(input(payload, extra));
  if (r.ok) throw new Error(`expected a dead letter, got ${JSON.stringify(r.event)}`);
  return r;
};

describe('decodeDevicePayload: what real firmware sends', () => {
  it('reads the generic format unchanged (event_id, ts, metrics container, flat numbers, attributes)', () => {
    const e = ok(
      '{"event_id":"d1-42","ts":"2026-01-01T00:00:00Z","metrics":{"temperature":21.5},"rssi":-61,"fw":"1.2"}',
    );
    expect(e).toEqual({
      eventId: 'd1-42',
      idSource: 'device',
      kind: 'telemetry',
      ts: '2026-01-01T00:00:00.000Z',
      metrics: { temperature: 21.5, rssi: -61 },
      attributes: { fw: '1.2' },
      contentHash: undefined,
    });
  });

  it('accepts a numeric event_id, stringified', () => {
    expect(ok('{"event_id":42,"t":1}').eventId).toBe('42');
    expect(bad('{"event_id":true,"t":1}')).toMatchObject({ reason: 'schema_invalid' });
    expect(bad('{"event_id":""}').reason).toBe('schema_invalid');
    expect(bad(`{"event_id":"${'x'.repeat(129)}"}`).reason).toBe('schema_invalid');
  });

  it('tells epoch seconds, milliseconds and ISO strings apart', () => {
    const iso = '2026-02-28T12:00:00.000Z';
    const s = Date.parse(iso) / 1000;
    expect(ok(`{"ts":${s},"t":1}`).ts).toBe(iso);
    expect(ok(`{"ts":${s * 1000},"t":1}`).ts).toBe(iso);
    expect(ok(`{"ts":"${s}","t":1}`).ts).toBe(iso);
    expect(ok(`{"ts":${s + 0.25},"t":1}`).ts).toBe('2026-02-28T12:00:00.250Z');
    expect(ok('{"timestamp":"2026-02-28 12:00:00","t":1}').ts).toBe(iso);
    expect(ok('{"ts":"2026-02-28T13:00:00+01:00","t":1}').ts).toBe(iso);
    expect(bad('{"ts":1000000000000000,"t":1}').reason).toBe('schema_invalid');
    expect(bad('{"ts":"yesterday","t":1}').reason).toBe('schema_invalid');
  });

  it('takes a clock that was never set (uptime, 1970, 2000) as no device time and keeps it as an attribute', () => {
    const e = ok('{"ts":12345,"t":1}');
    expect(e.ts).toBeUndefined();
    expect(e.idSource).toBe('arrival');
    expect(e.attributes).toEqual({ ts: 12345 });
    expect(e.metrics).toEqual({ t: 1 });
  });

  it('flattens nested numeric fields to dotted names and turns numeric strings into numbers', () => {
    const e = ok('{"sensors":{"t":22.1,"h":"40","deep":{"x":"-1.5e2"}},"ok":true,"label":"kitchen","arr":[1,2]}');
    expect(e.metrics).toEqual({ 'sensors.t': 22.1, 'sensors.h': 40, 'sensors.deep.x': -150, ok: 1 });
    expect(e.attributes).toEqual({ label: 'kitchen', arr: [1, 2] });
    expect(ok('{"t":"22.0"}').metrics).toEqual({ t: 22 });
    expect(ok('{"t":" 7 "}').metrics).toEqual({ t: 7 });
    expect(ok('{"t":"22,0"}').attributes).toEqual({ t: '22,0' });
  });

  it('decodes a bare number and key=value payloads', () => {
    expect(ok('22.1').metrics).toEqual({ value: 22.1 });
    expect(ok('"22.0"').metrics).toEqual({ value: 22 });
    expect(ok(' -3 \n').metrics).toEqual({ value: -3 });
    expect(ok('t=22.1&h=40').metrics).toEqual({ t: 22.1, h: 40 });
    expect(ok('t=22.1,h=40').metrics).toEqual({ t: 22.1, h: 40 });
    expect(ok('t=22.1;h=40;room=lab%201').metrics).toEqual({ t: 22.1, h: 40 });
    expect(ok('t=22.1;h=40;room=lab%201').attributes).toEqual({ room: 'lab 1' });
    const withId = ok('event_id=17&ts=1772366400&t=1');
    expect(withId).toMatchObject({ eventId: '17', ts: '2026-03-01T12:00:00.000Z', metrics: { t: 1 } });
    expect(bad('hello world')).toMatchObject({ reason: 'not_json' });
    expect(bad('{"t":').reason).toBe('not_json');
    expect(bad('[1,2]').reason).toBe('schema_invalid');
    expect(bad('null').reason).toBe('schema_invalid');
    expect(bad('"warm"').reason).toBe('schema_invalid');
  });

  it('refuses a metric name longer than 64 characters, as the raw schema would', () => {
    expect(bad(`{"event_id":"e5","${'k'.repeat(65)}":1}`)).toMatchObject({ reason: 'schema_invalid', eventId: 'e5' });
  });

  it('keeps a __proto__ key as data, never as a prototype', () => {
    const e = ok('{"__proto__":{"polluted":1},"t":1}');
    expect(Object.getPrototypeOf(e.metrics)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(e.attributes)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('derived event ids', () => {
  it('with a device time: the same reading has the same id whenever it arrives, any key order', () => {
    const a = ok('{"ts":1772359200,"t":22.1,"h":40}');
    const resend = ok('{ "h":40, "t":22.1, "ts":1772359200 }', { receivedAt: new Date(at.getTime() + 90_000) });
    expect(a.idSource).toBe('content');
    expect(resend.eventId).toBe(a.eventId);
  });

  it('with a device time: another value, another time, another device or channel is another id', () => {
    const base = ok('{"ts":1772359200,"t":22.1}').eventId;
    expect(ok('{"ts":1772359200,"t":22.2}').eventId).not.toBe(base);
    expect(ok('{"ts":1772359201,"t":22.1}').eventId).not.toBe(base);
    expect(ok('{"ts":1772359200,"t":22.1}', { deviceId: 'esp-2' }).eventId).not.toBe(base);
    expect(ok('{"ts":1772359200,"t":22.1}', { kind: 'event' }).eventId).not.toBe(base);
  });

  it('without a device time: equal readings arriving at different times are never merged', () => {
    const first = ok('{"t":22.1}');
    const later = ok('{"t":22.1}', { receivedAt: new Date(at.getTime() + 1) });
    expect(first.idSource).toBe('arrival');
    expect(later.eventId).not.toBe(first.eventId);
    // the resend memory keys on this: equal content, equal hash
    expect(later.contentHash).toBe(first.contentHash);
    expect(ok('{"t":22.2}').contentHash).not.toBe(first.contentHash);
  });

  it('a will ignores its fixed device time for the id (it may fire many times)', () => {
    const a = ok('{"online":false,"ts":1772359200}', { arrivalId: true, kind: 'status' });
    const b = ok('{"online":false,"ts":1772359200}', {
      arrivalId: true,
      kind: 'status',
      receivedAt: new Date(at.getTime() + 5_000),
    });
    expect(a.idSource).toBe('arrival');
    expect(a.eventId).not.toBe(b.eventId);
  });
});

describe('a declarative decoder per device type', () => {
  it('maps paths to names with scale and offset, reads the id and ts where it says, ignores what it lists', () => {
    const decoder = compileDecoder(
      DecoderSpec.parse({
        eventId: ['hdr.seq'],
        ts: ['hdr.time'],
        tsUnit: 'ms',
        metrics: { 'p.t10': { name: 'temperature', scale: 0.1 }, 'p.pa': { name: 'pressure', offset: -1000 } },
        flatten: false,
        ignore: ['p.debug'],
      }),
    );
    const e = ok('{"hdr":{"seq":9,"time":1772359200000},"p":{"t10":221,"pa":2013,"debug":{"x":1},"rssi":-60}}', {
      decoder,
    });
    expect(e).toMatchObject({
      eventId: '9',
      ts: '2026-03-01T10:00:00.000Z',
      metrics: { temperature: 22.1, pressure: 1013 },
      attributes: { 'p.rssi': -60 },
    });
    expect(e.metrics.temperature).toBeCloseTo(22.1, 10);
  });

  it('can require an event id, which restores the no_event_id dead letter', () => {
    const decoder = compileDecoder(DecoderSpec.parse({ requireEventId: true }));
    expect(bad('{"t":1}', { decoder }).reason).toBe('no_event_id');
  });

  it('names a bare number and pins the payload format', () => {
    const decoder = compileDecoder(DecoderSpec.parse({ format: 'number', value: 'level' }));
    expect(ok('55', { decoder }).metrics).toEqual({ level: 55 });
    expect(bad('{"a":1}', { decoder }).reason).toBe('not_json');
    const kv = compileDecoder(DecoderSpec.parse({ format: 'kv' }));
    expect(ok('a=1', { decoder: kv }).metrics).toEqual({ a: 1 });
  });

  it('refuses specs that are not declarative JSON of the known shape', () => {
    expect(DecoderSpec.safeParse({ script: 'return 1' }).success).toBe(false);
    expect(DecoderSpec.safeParse({ metrics: { 'a..b': 'x' } }).success).toBe(false);
    expect(DecoderSpec.safeParse({ tsUnit: 'minutes' }).success).toBe(false);
  });
});
