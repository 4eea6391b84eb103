import type { DeviceType, MetricDisplay } from '../api/types.js';

/**
 * How a metric reads to people (#21): the device type's display name and unit when it has them,
 * else what the metric's name says (`uptime_s` → "Uptime", seconds). Seconds show as a duration.
 */
const SUFFIX_UNITS: Array<[RegExp, string]> = [
  [/_ms$/, 'ms'],
  [/_s$/, 's'],
  [/_pct$/, '%'],
];

export function metricDisplay(metric: string, given: MetricDisplay | undefined): { label: string; unit: string } {
  let base = metric;
  let unit = given?.unit ?? '';
  for (const [re, u] of SUFFIX_UNITS) {
    if (re.test(metric)) {
      base = metric.replace(re, '');
      if (!given?.unit) unit = u;
      break;
    }
  }
  const words = base.replace(/[_.:-]+/g, ' ').trim();
  const label = given?.label || (words ? words.charAt(0).toUpperCase() + words.slice(1) : metric);
  return { label, unit };
}

/** 178 → "2 min 58 s"; 90061 → "1 d 1 h 1 min". */
export function formatDuration(seconds: number): string {
  const neg = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  const parts: string[] = [];
  for (const [n, u] of [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'min'],
  ] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)} ${u}`);
      s %= n;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s} s`);
  return (neg ? '−' : '') + parts.slice(0, 3).join(' ');
}

export function formatMetricValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (unit === 's') return formatDuration(value);
  if (unit === 'ms' && Math.abs(value) >= 1000) return formatDuration(value / 1000);
  const n = Number.isInteger(value)
    ? value.toLocaleString()
    : value.toLocaleString(undefined, { maximumFractionDigits: 2 });
  if (!unit) return n;
  return unit === '%' ? `${n} %` : `${n} ${unit}`;
}

/** A lookup of the tenant's device types: (type, metric) → label and unit. */
export function metricLookup(types: DeviceType[] | undefined) {
  const byType = new Map((types ?? []).map((t) => [t.name, t.metrics ?? {}]));
  return (deviceType: string | null | undefined, metric: string) =>
    metricDisplay(metric, deviceType ? byType.get(deviceType)?.[metric] : undefined);
}
