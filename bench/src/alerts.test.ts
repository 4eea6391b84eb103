import { describe, expect, it } from 'vitest';
import { counterSum } from './alerts.js';

describe('counterSum', () => {
  const text = [
    '# HELP rules_events_total Messages seen by the rules worker',
    '# TYPE rules_events_total counter',
    'rules_events_total{topic="telemetry",result="evaluated",service="stack"} 120',
    'rules_events_total{topic="telemetry",result="no_rule",service="stack"} 5',
    'rules_events_total{topic="presence",result="evaluated",service="stack"} 7',
    'rules_events_total_other 99',
    'pipeline_events_stored_total 130',
  ].join('\n');

  it('sums the series of one counter, optionally those with a label', () => {
    expect(counterSum(text, 'rules_events_total')).toBe(132);
    expect(counterSum(text, 'rules_events_total', 'topic="telemetry"')).toBe(125);
    expect(counterSum(text, 'pipeline_events_stored_total')).toBe(130);
    expect(counterSum(text, 'absent_total')).toBe(0);
  });
});
