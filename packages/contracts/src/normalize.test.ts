import { describe, expect, it } from 'vitest';
import { LegacyIotForm, MqttPayload, OzoneEvent, ReadingBatch } from './device-payloads.js';
import { parseDeviceTime } from './device-time.js';
import { fromLegacyForm, fromMqtt, fromOzoneEvent, fromReading } from './normalize.js';

describe('device payload normalization', () => {
  it('reads the ozone seed event as written in its curl example', () => {
    const e = fromOzoneEvent(
      OzoneEvent.parse({
        device_id: 'esp32-001',
        firmware: '1.0.0',
        event_id: 'esp32-001-0000000123',
        event: 'treatment',
        treatment: 'BASIC',
        counter: 124,
        ts: '2025-09-16T12:34:56Z',
      }),
    );
    expect(e).toEqual({
      eventId: 'esp32-001-0000000123',
      kind: 'event',
      ts: '2025-09-16T12:34:56.000Z',
      metrics: { counter: 124, 'treatments.basic': 1 },
      attributes: { event: 'treatment', treatment: 'BASIC', firmware: '1.0.0' },
    });
  });

  it('gives legacy form posts a stable event id so retransmissions dedupe', () => {
    const form = LegacyIotForm.parse({
      mode: 'STANDARD',
      macaddr: 'EC:E3:34:46:2B:C0',
      count2: '17',
      type2: '3.5',
      timestamp: '2024-01-15 14:30:25',
      rtc_available: 'true',
    });
    const a = fromLegacyForm(form);
    const b = fromLegacyForm({ ...form, macaddr: 'ec:e3:34:46:2b:c0' });
    expect(a.eventId).toBe(b.eventId);
    expect(a.ts).toBe('2024-01-15T14:30:25.000Z');
    expect(a.metrics).toEqual({
      count_standard: 17,
      on_time_standard: 3.5,
      'treatments.standard': 1,
      rtc_available: 1,
    });
  });

  it('takes reading batches of the aggregator seed; zone-less times are UTC', () => {
    const [r] = ReadingBatch.parse([
      { timestamp: '2022-01-21T10:56:18.950901', reading: 0.63, device_id: 'd1', customer_id: 'c1' },
    ]);
    const e = fromReading(r!);
    expect(e.ts).toBe('2022-01-21T10:56:18.950Z');
    expect(e.metrics).toEqual({ reading: 0.63 });
  });

  it('accepts flat and nested MQTT metrics, keeps strings as attributes', () => {
    const e = fromMqtt(
      'telemetry',
      MqttPayload.parse({ event_id: 'x', ts: 1_700_000_000_000, temperature: 21.5, metrics: { on: true }, fw: '2.1' }),
    );
    expect(e.metrics).toEqual({ on: 1, temperature: 21.5 });
    expect(e.attributes).toEqual({ fw: '2.1' });
    expect(e.ts).toBe('2023-11-14T22:13:20.000Z');
  });

  it('refuses device times that are not dates', () => {
    expect(() => parseDeviceTime('yesterday')).toThrow(RangeError);
  });
});
