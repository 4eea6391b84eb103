import { describe, expect, it } from 'vitest';
import { kindOf, maySubscribe, publishChannel } from './topics.js';

describe('device topic ACL', () => {
  it('lets a device publish only under its own id', () => {
    expect(publishChannel('d1', 'devices/d1/telemetry')).toBe('telemetry');
    expect(publishChannel('d1', 'devices/d1/events')).toBe('events');
    expect(publishChannel('d1', 'devices/d1/status')).toBe('status');
    expect(publishChannel('d1', 'devices/d2/telemetry')).toBeUndefined();
    expect(publishChannel('d1', 'devices/d1/telemetry/x')).toBeUndefined();
    expect(publishChannel('d1', 'devices/d1/commands')).toBeUndefined();
    expect(publishChannel('d', 'devices/d1/telemetry')).toBeUndefined();
    expect(kindOf('events')).toBe('event');
  });

  it('lets a device subscribe only to its own commands and desired configuration', () => {
    expect(maySubscribe('d1', 'devices/d1/commands')).toBe(true);
    expect(maySubscribe('d1', 'devices/d1/desired')).toBe(true);
    expect(maySubscribe('d1', 'devices/d2/desired')).toBe(false);
    expect(maySubscribe('d1', 'devices/d1/reported')).toBe(false);
    expect(maySubscribe('d1', 'devices/+/commands')).toBe(false);
    expect(maySubscribe('d1', '$SYS/#')).toBe(false);
    expect(maySubscribe('d1', '#')).toBe(false);
  });
});
