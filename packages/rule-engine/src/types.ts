import type { Severity } from '@telemetry/contracts';

/** invalid_data: `threshold` rejections of the device within `minDurationS` (see invalid-data.ts). */
export type RuleKind = 'threshold' | 'offline' | 'maintenance' | 'invalid_data';
export type Operator = '>' | '>=' | '<' | '<=' | 'outside';

/** A row of `rules`, camelCased. Exactly one of deviceId / assetType / assetId is set. */
export interface Rule {
  id: string;
  tenantId: string;
  name: string;
  kind: RuleKind;
  deviceId: string | null;
  assetType: string | null;
  assetId: string | null;
  metric: string | null;
  operator: Operator | null;
  /** The threshold; for 'outside' the low edge of the allowed band. */
  threshold: number | null;
  /** 'outside' only: the high edge of the allowed band. */
  thresholdHigh: number | null;
  /** Hysteresis: the value must come back past this to clear (null = the threshold itself). */
  clearThreshold: number | null;
  clearHigh: number | null;
  minDurationS: number;
  offlineFactor: number;
  serviceInterval: number | null;
  taskDueDays: number;
  severity: Severity;
  preset: string | null;
  enabled: boolean;
  reminderS: number;
  /** Sent to the device when the rule fires (a new episode), e.g. `refill_request` (#18). */
  command: RuleCommand | null;
}

/** A command a rule sends when it opens an episode (rules.command). */
export interface RuleCommand {
  name: string;
  params: Record<string, unknown>;
  ttlS: number;
}

export type RuleStatus = 'normal' | 'pending' | 'active';

/**
 * A row of `rule_state` (times in ms since epoch). The evaluators never mutate it: they return
 * the next state, which the I/O edge writes back in the same transaction as the effects.
 */
export interface RuleState {
  status: RuleStatus;
  /** threshold: device time the current breach started (pending or active). */
  breachSince: number | null;
  /** threshold: device time the value first came back past the clear threshold while active. */
  clearSince: number | null;
  lastValue: number | null;
  /**
   * threshold/maintenance: device time of the last evaluated sample (older ones are not evaluated,
   * which also makes a redelivered event a no-op). offline: wall time the device was last heard.
   */
  lastTs: number | null;
  /** The open alert of this episode; null when none or when a person resolved it by hand. */
  alertId: string | null;
  /** maintenance: the counter value when the last task was finished (the API moves it). */
  baseline: number | null;
}

export const initialState = (): RuleState => ({
  status: 'normal',
  breachSince: null,
  clearSince: null,
  lastValue: null,
  lastTs: null,
  alertId: null,
  baseline: null,
});

/** One numeric reading of the rule's metric at device time `ts`. */
export interface Sample {
  ts: number;
  value: number;
  /** Late data (TelemetryAcceptedV1.late, or ts far behind now): notifications say so. */
  historical: boolean;
}

export type Effect =
  | {
      type: 'open_alert';
      /** When the episode was raised (device time; wall time for offline). */
      at: number;
      value: number | null;
      threshold: number | null;
      message: string;
      historical: boolean;
    }
  | { type: 'resolve_alert'; alertId: string; at: number; value: number | null; message: string }
  | { type: 'create_task'; at: number; value: number; title: string; description: string };

export interface Evaluation {
  state: RuleState;
  effects: Effect[];
}
