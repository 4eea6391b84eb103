/** Where an event's device time puts it, against the worker's clock and its receive time. */
export type Timing =
  | { kind: 'ok'; ts: string }
  | { kind: 'too_late'; ts: string }
  /** Device time beyond receive time + futureSkew: filed under the receive time, device time kept aside. */
  | { kind: 'skewed'; ts: string; deviceTs: string };

export interface TimingRules {
  lateWindowMs: number;
  futureSkewMs: number;
}

/**
 * Late data inside the window is stored (and updates past buckets); older data is dead-lettered
 * as too_late, which is also what lets telemetry_seen forget marks older than the window.
 *
 * A device clock far in the future (no RTC, a reset to a firmware build date...) would otherwise
 * open buckets nobody queries and pin device_state's "latest by device time" on a bogus value for
 * as long as the skew lasts. So such an event is filed under its receive time, flagged skewed, and
 * its device time kept in device_ts. Its event id still dedupes it.
 */
export function classifyTime(ts: string, receivedAt: string, now: number, rules: TimingRules): Timing {
  const t = Date.parse(ts);
  const received = Date.parse(receivedAt);
  if (t > received + rules.futureSkewMs) return { kind: 'skewed', ts: new Date(received).toISOString(), deviceTs: ts };
  if (t < now - rules.lateWindowMs) return { kind: 'too_late', ts };
  return { kind: 'ok', ts };
}
