import type { Severity } from '@telemetry/contracts';
import type { Rule } from './types.js';

export type PresetName = 'low_battery' | 'low_level';

/** What a caller chooses when adding a preset; everything else has a default. */
export interface PresetOptions {
  /** The target: exactly one of these. */
  deviceId?: string;
  assetType?: string;
  assetId?: string;
  name?: string;
  metric?: string;
  threshold?: number;
  clearThreshold?: number;
  minDurationS?: number;
  severity?: Severity;
  reminderS?: number;
}

/** The columns of a `rules` row a preset fills (ids, tenant and timestamps are the caller's). */
export type RuleDraft = Omit<Rule, 'id' | 'tenantId'>;

interface Preset {
  name: string;
  metric: string;
  threshold: number;
  /** Hysteresis: how far above the threshold the value must come back to clear. */
  gap: number;
  minDurationS: number;
}

const PRESETS: Record<PresetName, Preset> = {
  // Battery in %: a reading dips on a radio burst, so it must stay low 5 minutes, and clears
  // only after a swap/charge takes it 5 points above the threshold.
  low_battery: { name: 'Low battery', metric: 'battery', threshold: 20, gap: 5, minDurationS: 300 },
  // Dispenser level in % (seed 000, simulator's `level`): raise at once, clear when refilled
  // past the clear threshold, so consumption jitter around the threshold raises one alert.
  low_level: { name: 'Low level', metric: 'level', threshold: 15, gap: 5, minDurationS: 0 },
};

/**
 * Low battery and low level are threshold rules with chosen defaults: `metric < threshold`,
 * clearing at `metric >= clearThreshold`.
 */
export function presetRule(preset: PresetName, options: PresetOptions): RuleDraft {
  const targets = [options.deviceId, options.assetType, options.assetId].filter((x) => x !== undefined);
  if (targets.length !== 1) throw new RangeError('presetRule: give exactly one of deviceId, assetType, assetId');
  const base = PRESETS[preset];
  const threshold = options.threshold ?? base.threshold;
  return {
    name: options.name ?? base.name,
    kind: 'threshold',
    deviceId: options.deviceId ?? null,
    assetType: options.assetType ?? null,
    assetId: options.assetId ?? null,
    metric: options.metric ?? base.metric,
    operator: '<',
    threshold,
    thresholdHigh: null,
    clearThreshold: Math.max(options.clearThreshold ?? threshold + base.gap, threshold),
    clearHigh: null,
    minDurationS: options.minDurationS ?? base.minDurationS,
    offlineFactor: 3,
    serviceInterval: null,
    taskDueDays: 7,
    severity: options.severity ?? 'warning',
    preset,
    enabled: true,
    reminderS: options.reminderS ?? 3600,
    command: null,
  };
}

/**
 * A low-level rule evaluated for one asset: the asset's own `low_level_threshold` (the dispenser
 * seed's per-dispenser field) replaces the rule's threshold, keeping the rule's hysteresis gap.
 * A low-level rule is the preset, or any `level <`/`<=` threshold rule. Other rules, and assets
 * without a numeric threshold of their own, are returned unchanged.
 */
export function forAsset(rule: Rule, attributes: Record<string, unknown> | undefined): Rule {
  const own = attributes?.low_level_threshold;
  if (typeof own !== 'number' || !Number.isFinite(own) || own < 0) return rule;
  if (rule.kind !== 'threshold' || rule.threshold === null) return rule;
  const lowLevel =
    rule.preset === 'low_level' || (rule.metric === 'level' && (rule.operator === '<' || rule.operator === '<='));
  if (!lowLevel) return rule;
  const gap = Math.max((rule.clearThreshold ?? rule.threshold) - rule.threshold, 0);
  return { ...rule, threshold: own, clearThreshold: own + gap };
}
