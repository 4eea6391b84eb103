import { type FormEvent, useState } from 'react';
import { rules as rulesApi } from '../../api/endpoints.js';
import type { Asset, Device, Rule, RuleKind, RuleTestResult, Severity } from '../../api/types.js';
import { ErrorBox, Field, formatValue } from '../../components/ui.js';
import { formatZoned } from '../../lib/time.js';
import { useAction } from '../../lib/use-resource.js';

type Target = 'deviceId' | 'assetType' | 'assetId';

export const KIND_LABELS: Record<RuleKind, string> = {
  threshold: 'Threshold',
  offline: 'Offline',
  maintenance: 'Maintenance (service interval)',
  invalid_data: 'Invalid data',
};

const text = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
const num = (s: string): number | null => (s.trim() === '' ? null : Number(s));

function initial(r: Rule | undefined) {
  const target: Target = r?.deviceId ? 'deviceId' : r?.assetId ? 'assetId' : 'assetType';
  return {
    name: r?.name ?? '',
    kind: (r?.kind ?? 'threshold') as RuleKind,
    target,
    targetValue: r?.deviceId ?? r?.assetId ?? r?.assetType ?? '',
    metric: r?.metric ?? '',
    operator: (r?.operator ?? '>') as NonNullable<Rule['operator']>,
    threshold: text(r?.threshold),
    thresholdHigh: text(r?.thresholdHigh),
    clearThreshold: text(r?.clearThreshold),
    minDurationS: text(r?.minDurationS ?? 0),
    offlineFactor: text(r?.offlineFactor ?? 3),
    serviceInterval: text(r?.serviceInterval),
    taskDueDays: text(r?.taskDueDays ?? 7),
    severity: (r?.severity ?? 'warning') as Severity,
  };
}
type FormState = ReturnType<typeof initial>;

/** The fields of the rule a kind uses (the API checks what each kind needs, on the server). */
function draft(f: FormState): Partial<Rule> {
  const base: Partial<Rule> = { name: f.name.trim(), kind: f.kind, severity: f.severity };
  switch (f.kind) {
    case 'threshold':
      return {
        ...base,
        metric: f.metric.trim(),
        operator: f.operator,
        threshold: num(f.threshold),
        thresholdHigh: f.operator === 'outside' ? num(f.thresholdHigh) : null,
        clearThreshold: num(f.clearThreshold),
        minDurationS: Number(f.minDurationS) || 0,
      };
    case 'offline':
      return { ...base, offlineFactor: Number(f.offlineFactor) || 3 };
    case 'maintenance':
      return {
        ...base,
        metric: f.metric.trim(),
        serviceInterval: num(f.serviceInterval),
        taskDueDays: Number(f.taskDueDays) || 0,
      };
    case 'invalid_data':
      return { ...base, threshold: num(f.threshold) ?? 1, minDurationS: Number(f.minDurationS) || 0 };
  }
}

/** Create or edit a rule of any kind, and test the draft against a device's recent data first. */
export function RuleForm({
  rule,
  tenantId,
  assets,
  devices,
  onSaved,
  onCancel,
}: {
  rule?: Rule;
  tenantId: string | undefined;
  assets: Asset[];
  devices: Device[];
  onSaved: (r: Rule) => void;
  onCancel?: () => void;
}) {
  const [f, setF] = useState(() => initial(rule));
  const [testDevice, setTestDevice] = useState(rule?.deviceId ?? '');
  const [hours, setHours] = useState('24');
  const types = [...new Set(assets.map((a) => a.type))].sort();
  const set = (k: keyof FormState) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setF((x) => ({ ...x, [k]: e.target.value }));

  const save = useAction(async () => {
    const targets = { deviceId: null, assetType: null, assetId: null, [f.target]: f.targetValue.trim() };
    const body = { ...draft(f), ...targets };
    const saved = rule
      ? await rulesApi.update(rule.id, body)
      : await rulesApi.create({ ...body, tenantId, enabled: true });
    onSaved(saved);
    if (!rule) setF(initial(undefined));
  });
  const [result, setResult] = useState<RuleTestResult | undefined>(undefined);
  const test = useAction(async () => {
    setResult(undefined);
    setResult(await rulesApi.test({ rule: draft(f), deviceId: testDevice, hours: Number(hours) || 24, tenantId }));
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  const usesMetric = f.kind === 'threshold' || f.kind === 'maintenance';
  const prefix = rule ? `edit-${rule.id}` : 'new';

  return (
    <form className="rule-form" onSubmit={submit} noValidate aria-label={rule ? `Edit rule ${rule.name}` : 'New rule'}>
      <div className="inline-form">
        <Field label="Rule name" name="name" error={save.error}>
          {(p) => <input {...p} required value={f.name} onChange={set('name')} />}
        </Field>
        <Field label="Kind" name="kind" error={save.error}>
          {(p) => (
            <select {...p} value={f.kind} onChange={set('kind')}>
              {(Object.keys(KIND_LABELS) as RuleKind[]).map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Applies to" name="target" error={save.error}>
          {(p) => (
            <select
              {...p}
              value={f.target}
              onChange={(e) => setF((x) => ({ ...x, target: e.target.value as Target, targetValue: '' }))}
            >
              <option value="assetType">Every asset of a type</option>
              <option value="deviceId">One device</option>
              <option value="assetId">An asset and what is under it</option>
            </select>
          )}
        </Field>
        <Field
          label={f.target === 'deviceId' ? 'Device' : f.target === 'assetType' ? 'Asset type' : 'Asset'}
          name={f.target}
          error={save.error}
        >
          {(p) =>
            f.target === 'assetType' ? (
              <input {...p} required list={`${prefix}-types`} value={f.targetValue} onChange={set('targetValue')} />
            ) : (
              <select {...p} required value={f.targetValue} onChange={set('targetValue')}>
                <option value="">Choose…</option>
                {f.target === 'deviceId'
                  ? devices.map((d) => (
                      <option key={d.id} value={d.id}>
                        {d.name || d.id}
                      </option>
                    ))
                  : assets.map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name} ({a.type})
                      </option>
                    ))}
              </select>
            )
          }
        </Field>
        <datalist id={`${prefix}-types`}>
          {types.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        {usesMetric ? (
          <Field
            label="Metric"
            name="metric"
            error={save.error}
            hint={f.kind === 'maintenance' ? 'A counter or running hours' : 'e.g. temperature, level'}
          >
            {(p) => <input {...p} required value={f.metric} onChange={set('metric')} />}
          </Field>
        ) : null}
        {f.kind === 'threshold' ? (
          <>
            <Field label="Condition" name="operator" error={save.error}>
              {(p) => (
                <select {...p} value={f.operator} onChange={set('operator')}>
                  <option value=">">above (&gt;)</option>
                  <option value=">=">at or above (≥)</option>
                  <option value="<">below (&lt;)</option>
                  <option value="<=">at or below (≤)</option>
                  <option value="outside">outside a band</option>
                </select>
              )}
            </Field>
            <Field label={f.operator === 'outside' ? 'Band from' : 'Threshold'} name="threshold" error={save.error}>
              {(p) => <input {...p} type="number" step="any" value={f.threshold} onChange={set('threshold')} />}
            </Field>
            {f.operator === 'outside' ? (
              <Field label="Band to" name="thresholdHigh" error={save.error}>
                {(p) => (
                  <input {...p} type="number" step="any" value={f.thresholdHigh} onChange={set('thresholdHigh')} />
                )}
              </Field>
            ) : null}
            <Field label="Clears past" name="clearThreshold" error={save.error} hint="Hysteresis; empty = threshold">
              {(p) => (
                <input {...p} type="number" step="any" value={f.clearThreshold} onChange={set('clearThreshold')} />
              )}
            </Field>
          </>
        ) : null}
        {f.kind === 'offline' ? (
          <Field label="Silent for (× expected interval)" name="offlineFactor" error={save.error}>
            {(p) => (
              <input
                {...p}
                type="number"
                step="any"
                min={0.1}
                value={f.offlineFactor}
                onChange={set('offlineFactor')}
              />
            )}
          </Field>
        ) : null}
        {f.kind === 'maintenance' ? (
          <>
            <Field
              label="Service interval"
              name="serviceInterval"
              error={save.error}
              hint="Counter units between services"
            >
              {(p) => (
                <input {...p} type="number" step="any" value={f.serviceInterval} onChange={set('serviceInterval')} />
              )}
            </Field>
            <Field label="Task due in (days)" name="taskDueDays" error={save.error}>
              {(p) => <input {...p} type="number" min={0} value={f.taskDueDays} onChange={set('taskDueDays')} />}
            </Field>
          </>
        ) : null}
        {f.kind === 'invalid_data' ? (
          <Field label="Rejected messages" name="threshold" error={save.error} hint="How many within the window">
            {(p) => <input {...p} type="number" min={1} value={f.threshold} onChange={set('threshold')} />}
          </Field>
        ) : null}
        {f.kind === 'threshold' || f.kind === 'invalid_data' ? (
          <Field
            label={f.kind === 'invalid_data' ? 'Window (s)' : 'For at least (s)'}
            name="minDurationS"
            error={save.error}
            hint={f.kind === 'invalid_data' ? 'At least 60' : undefined}
          >
            {(p) => <input {...p} type="number" min={0} value={f.minDurationS} onChange={set('minDurationS')} />}
          </Field>
        ) : null}
        <Field label="Severity" name="severity" error={save.error}>
          {(p) => (
            <select {...p} value={f.severity} onChange={set('severity')}>
              <option value="info">info</option>
              <option value="warning">warning</option>
              <option value="critical">critical</option>
            </select>
          )}
        </Field>
      </div>
      <fieldset className="panel test-rule">
        <legend>Test against recent data</legend>
        <div className="inline-form">
          <Field label="Test device" name="deviceId" error={test.error}>
            {(p) => (
              <select {...p} value={testDevice} onChange={(e) => setTestDevice(e.target.value)}>
                <option value="">Choose…</option>
                {devices.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name || d.id}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Last hours" name="hours" error={test.error}>
            {(p) => (
              <input {...p} type="number" min={1} max={168} value={hours} onChange={(e) => setHours(e.target.value)} />
            )}
          </Field>
          <button type="button" disabled={!testDevice || test.pending} onClick={() => void test.run()}>
            Test rule
          </button>
        </div>
        <ErrorBox error={test.error} />
        {result ? (
          <div role="status" data-testid="rule-test-result">
            <p>
              {result.wouldFire
                ? `Would have fired ${result.episodes.length} time${result.episodes.length === 1 ? '' : 's'}`
                : 'Would not have fired'}{' '}
              over {result.evaluated} of {result.samples} stored {result.samples === 1 ? 'reading' : 'readings'}
              {result.truncated ? ' (the newest only)' : ''} since {formatZoned(result.from, result.timezone)}.
            </p>
            {result.episodes.length > 0 ? (
              <ul>
                {result.episodes.map((e) => (
                  <li key={e.openedAt}>
                    {formatZoned(e.openedAt, result.timezone)}: {e.message}
                    {e.value !== null ? ` (${formatValue(e.value)})` : ''} —{' '}
                    {e.resolvedAt ? `cleared ${formatZoned(e.resolvedAt, result.timezone)}` : 'still open'}
                    {e.task ? ` · task “${e.task}”` : ''}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </fieldset>
      <div className="row">
        <button className="primary" type="submit" disabled={save.pending}>
          {rule ? 'Save rule' : 'Add rule'}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      <ErrorBox error={save.error} />
    </form>
  );
}
