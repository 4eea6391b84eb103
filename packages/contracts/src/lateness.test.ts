import { describe, expect, it } from 'vitest';
import { classifyLateness, lateWindowFromSettings } from './lateness.js';

const DAY = 86_400_000;

describe('late window', () => {
  it('is too late only before now minus the window', () => {
    const now = Date.UTC(2026, 11, 3);
    expect(classifyLateness(now - 7 * DAY, now, 7 * DAY)).toBe('timely');
    expect(classifyLateness(now - 7 * DAY - 1, now, 7 * DAY)).toBe('too_late');
    expect(classifyLateness(now + DAY, now, 7 * DAY)).toBe('timely');
  });

  it('comes from the tenant settings, else the default; malformed values keep the default', () => {
    expect(lateWindowFromSettings({ ingest: { lateWindowDays: 1000 } }, 7 * DAY)).toBe(1000 * DAY);
    expect(lateWindowFromSettings({ ingest: { lateWindowDays: 0.5 } }, 7 * DAY)).toBe(DAY);
    expect(lateWindowFromSettings({ ingest: { lateWindowDays: 1e9 } }, 7 * DAY)).toBe(36_500 * DAY);
    expect(lateWindowFromSettings({}, 7 * DAY)).toBe(7 * DAY);
    expect(lateWindowFromSettings(null, 7 * DAY)).toBe(7 * DAY);
    expect(lateWindowFromSettings({ ingest: { lateWindowDays: '30' } }, 7 * DAY)).toBe(7 * DAY);
    expect(lateWindowFromSettings({ ingest: { lateWindowDays: -1 } }, 7 * DAY)).toBe(7 * DAY);
  });
});
