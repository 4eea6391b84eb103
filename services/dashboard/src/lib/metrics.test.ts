import { describe, expect, it } from 'vitest';
import { formatDuration, formatMetricValue, metricDisplay, metricLookup } from './metrics.js';

describe('metric display (#21)', () => {
  it('reads uptime_s 178 as "Uptime" 2 min 58 s', () => {
    const d = metricDisplay('uptime_s', undefined);
    expect(d).toEqual({ label: 'Uptime', unit: 's' });
    expect(formatMetricValue(178, d.unit)).toBe('2 min 58 s');
  });

  it('prefers the device type’s name and unit', () => {
    const lookup = metricLookup([
      {
        name: 'ozone',
        expectedIntervalS: 60,
        deadband: {},
        devices: 1,
        metrics: { temp: { label: 'Water', unit: '°C' } },
      },
    ]);
    expect(lookup('ozone', 'temp')).toEqual({ label: 'Water', unit: '°C' });
    expect(formatMetricValue(21.456, '°C')).toBe(`${(21.46).toLocaleString()} °C`);
    expect(lookup('other', 'battery_pct')).toEqual({ label: 'Battery', unit: '%' });
  });

  it('formats durations to at most three parts', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(90_061)).toBe('1 d 1 h 1 min');
    expect(formatDuration(3600)).toBe('1 h');
  });
});
