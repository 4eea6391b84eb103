import { fromMqtt, fromOzoneEvent, MqttPayload, OzoneEvent } from '@telemetry/contracts';
import { describe, expect, it } from 'vitest';
import { createGenerator, generateEvents, mqttPayload, ozoneHttpBody } from './generator.js';
import { deviceMac, eventIdFor } from './identity.js';
import { PROFILE_NAMES } from './profiles/index.js';

describe('generateEvents', () => {
  it('is deterministic with a seed: same seed same payloads, another seed others', () => {
    for (const profile of PROFILE_NAMES) {
      const a = generateEvents(profile, 42, 200);
      expect(generateEvents(profile, 42, 200)).toEqual(a);
      expect(generateEvents(profile, 43, 200)).not.toEqual(a);
    }
  });

  it('numbers events from the device sequence as "<device_id>-<seq padded>"', () => {
    const events = generateEvents('machine', 1, 3, { deviceId: 'esp32-001', firstSeq: 123 });
    expect(events.map((e) => e.eventId)).toEqual([
      'esp32-001-0000000123',
      'esp32-001-0000000124',
      'esp32-001-0000000125',
    ]);
    expect(eventIdFor('d', 7)).toBe('d-0000000007');
  });

  it('stamps device time from the clock, with the skew, and sends a heartbeat every statusEvery', () => {
    const start = Date.UTC(2026, 0, 1);
    const events = generateEvents('energy', 1, 10, {
      startMs: start,
      intervalMs: 500,
      statusEvery: 5,
      skewMs: -30_000,
    });
    expect(events[0]?.ts).toBe(new Date(start - 30_000).toISOString());
    expect(events[9]?.ts).toBe(new Date(start + 9 * 500 - 30_000).toISOString());
    expect(events.map((e) => e.channel)).toEqual([
      'telemetry',
      'telemetry',
      'telemetry',
      'telemetry',
      'status',
      'telemetry',
      'telemetry',
      'telemetry',
      'telemetry',
      'status',
    ]);
    expect(events[4]?.body).toEqual({ metrics: { rssi: expect.any(Number), uptime_s: 2 } });
  });

  it('produces payloads the contracts accept, over MQTT and over the ozone HTTP endpoint', () => {
    for (const profile of PROFILE_NAMES) {
      for (const e of generateEvents(profile, 5, 100, { deviceId: 'dev-1', statusEvery: 10 })) {
        const normalized = fromMqtt(
          e.channel === 'status' ? 'status' : e.channel === 'events' ? 'event' : 'telemetry',
          MqttPayload.parse(mqttPayload(e)),
        );
        expect(normalized.eventId).toBe(e.eventId);
        expect(Object.keys(normalized.metrics).length).toBeGreaterThan(0);
      }
    }
    const [treatment] = generateEvents('ozone', 5, 1, { deviceId: 'esp32-001' });
    const body = ozoneHttpBody(treatment!, 'esp32-001', '1.0.0');
    // The seed's field order: device_id, firmware, event_id, event, treatment, counter, ts.
    expect(Object.keys(body)).toEqual(['device_id', 'firmware', 'event_id', 'event', 'treatment', 'counter', 'ts']);
    const n = fromOzoneEvent(OzoneEvent.parse(body));
    expect(n.kind).toBe('event');
    expect(Object.keys(n.metrics).sort()).toEqual(
      ['counter', `treatments.${String(body.treatment).toLowerCase()}`].sort(),
    );
  });

  it('continues a restored state: counters carry over a restart', () => {
    const gen = createGenerator({
      profile: 'ozone',
      seed: 1,
      deviceKey: deviceMac(0),
      deviceId: 'd',
      state: { counter: 900 },
      firstSeq: 50,
    });
    expect(gen.next(0, 1000).body).toMatchObject({ counter: 901 });
    expect(gen.nextSeq).toBe(51);
  });
});

describe('deviceMac', () => {
  it('is a locally administered MAC the contracts accept', () => {
    expect(deviceMac(0)).toBe('02:53:00:00:00:00');
    expect(deviceMac(0x010203, 7)).toBe('02:53:07:01:02:03');
    expect(() => deviceMac(-1)).toThrow(RangeError);
  });
});
