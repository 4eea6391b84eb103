import { describe, expect, it } from 'vitest';
import { hasDeadband, keepReading } from './deadband.js';

describe('deadband', () => {
  it('keeps a reading only when a metric moved more than its band from the last kept value', () => {
    const band = { temperature: 0.5 };
    expect(keepReading({ temperature: 20.4 }, band, { temperature: 20 })).toBe(false);
    expect(keepReading({ temperature: 20.5 }, band, { temperature: 20 })).toBe(false);
    expect(keepReading({ temperature: 20.6 }, band, { temperature: 20 })).toBe(true);
    expect(keepReading({ temperature: 19.4 }, band, { temperature: 20 })).toBe(true);
  });

  it('treats unlisted metrics as "on change" unless "*" says otherwise', () => {
    expect(keepReading({ pressure: 1 }, { temperature: 0.5 }, { pressure: 1 })).toBe(false);
    expect(keepReading({ pressure: 1.01 }, { temperature: 0.5 }, { pressure: 1 })).toBe(true);
    expect(keepReading({ pressure: 1.01 }, { '*': 0.1 }, { pressure: 1 })).toBe(false);
  });

  it('keeps the first reading of a metric and readings without metrics', () => {
    expect(keepReading({ temperature: 20 }, { temperature: 0.5 }, {})).toBe(true);
    expect(keepReading({}, { temperature: 0.5 }, { temperature: 1 })).toBe(true);
    expect(hasDeadband({})).toBe(false);
    expect(hasDeadband({ '*': 0 })).toBe(true);
  });
});
