import { describe, expect, it } from 'vitest';
import { formatStatus } from './progress.js';
import { emptyCounters, type FleetStats } from './stats.js';

const stats = (over: Partial<FleetStats>): FleetStats => ({
  ...emptyCounters(),
  devices: {
    total: 10,
    idle: 0,
    handshaking: 0,
    pending: 2,
    connecting: 0,
    online: 8,
    offline: 0,
    auth_failed: 0,
    stopped: 0,
  },
  queued: 0,
  inflight: 0,
  elapsedMs: 0,
  ...over,
});

describe('formatStatus', () => {
  it('shows devices connected, sent, acked, errors and the rate', () => {
    const line = formatStatus(stats({ sent: 12_345, acked: 12_300, errors: 3 }), stats({ acked: 11_300 }), 2_000);
    expect(line).toBe('devices 8/10 connected (2 pending) | sent 12,345 | acked 12,300 | errors 3 | 500 msg/s');
  });
});
