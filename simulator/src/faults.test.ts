import { isAppError } from '@telemetry/contracts';
import { describe, expect, it } from 'vitest';
import { type Faults, injectFaults, malform, NO_FAULTS, type Outgoing, parseFaults } from './faults.js';
import { generateEvents, mqttPayload } from './generator.js';

const events = generateEvents('machine', 3, 10_000, { deviceId: 'd' });
const faults = (f: Partial<Faults>): Faults => ({ ...NO_FAULTS, ...f });
const eventItems = (out: Outgoing[]) => out.filter((o): o is Outgoing & { kind: 'event' } => o.kind === 'event');

describe('parseFaults', () => {
  it('reads the CLI list', () => {
    expect(parseFaults('duplicates=0.2,reorder=0.1,offline=0.05,skew=30s,malformed=0.01,badcreds=1')).toEqual({
      ...NO_FAULTS,
      duplicates: 0.2,
      reorder: 0.1,
      offline: 0.05,
      skewMs: 30_000,
      malformed: 0.01,
      badcreds: 1,
    });
    expect(parseFaults('burst=0.01,burst-size=5,offline-for=2s,reorder-window=4')).toMatchObject({
      burst: 0.01,
      burstSize: 5,
      offlineMs: 2_000,
      reorderWindow: 4,
    });
    expect(parseFaults('')).toEqual(NO_FAULTS);
  });

  it('refuses unknown keys and values out of range, readably', () => {
    for (const bad of ['nope=1', 'duplicates=2', 'badcreds=0.5', 'skew=soon', 'duplicates']) {
      try {
        parseFaults(bad);
        expect.unreachable(bad);
      } catch (err) {
        expect(isAppError(err) && err.code === 'VALIDATION_FAILED').toBe(true);
      }
    }
  });
});

describe('injectFaults', () => {
  it('with no faults sends each event once, in order', () => {
    const out = injectFaults(events, NO_FAULTS, 1);
    expect(out.map((o) => (o.kind === 'event' ? o.msg.eventId : ''))).toEqual(events.map((e) => e.eventId));
  });

  it('duplicates about the configured share, with the same event id and payload', () => {
    const out = eventItems(injectFaults(events, faults({ duplicates: 0.2 }), 1));
    const dups = out.filter((o) => o.duplicate);
    expect(dups.length / events.length).toBeGreaterThan(0.18);
    expect(dups.length / events.length).toBeLessThan(0.22);
    expect(out.length).toBe(events.length + dups.length);
    for (const d of dups.slice(0, 50))
      expect(out.find((o) => !o.duplicate && o.msg.eventId === d.msg.eventId)?.msg).toBe(d.msg);
  });

  it('reorders within the window and loses nothing', () => {
    const out = eventItems(injectFaults(events, faults({ reorder: 0.1, reorderWindow: 3 }), 2));
    expect(out.map((o) => o.msg.eventId).sort()).toEqual(events.map((e) => e.eventId).sort());
    const reordered = out.filter((o) => o.reordered).length;
    expect(reordered / events.length).toBeGreaterThan(0.08);
    expect(reordered / events.length).toBeLessThan(0.12);
    // No event is sent more than window places after its successors.
    for (const [pos, o] of out.entries()) expect(pos - (o.msg.seq - 1)).toBeLessThanOrEqual(3);
  });

  it('adds malformed payloads (not JSON, or no event_id) at about the configured rate', () => {
    const out = injectFaults(events, faults({ malformed: 0.05 }), 3);
    const bad = out.filter((o): o is Outgoing & { kind: 'malformed' } => o.kind === 'malformed');
    expect(bad.length / events.length).toBeGreaterThan(0.04);
    expect(bad.length / events.length).toBeLessThan(0.06);
    expect(eventItems(out).length).toBe(events.length);
    for (const m of bad) {
      const raw = malform(JSON.stringify(mqttPayload(m.msg)), m.reason);
      if (m.reason === 'not_json') expect(() => JSON.parse(raw)).toThrow();
      else expect(JSON.parse(raw)).toEqual({ ts: m.msg.ts, ...m.msg.body });
    }
    expect(new Set(bad.map((m) => m.reason))).toEqual(new Set(['not_json', 'no_event_id']));
  });

  it('is deterministic with a seed', () => {
    const f = faults({ duplicates: 0.1, reorder: 0.1, malformed: 0.01 });
    expect(injectFaults(events, f, 9)).toEqual(injectFaults(events, f, 9));
    expect(injectFaults(events, f, 9)).not.toEqual(injectFaults(events, f, 10));
  });
});
