import { useEffect, useMemo, useRef, useState } from 'react';
import { devices as devicesApi } from '../api/endpoints.js';
import { pickBucket, pointsForWidth, RANGE_PRESETS } from '../lib/buckets.js';
import { describeError } from '../lib/problem.js';
import { addReading, type Columns, emptyColumns, toColumns } from '../lib/series.js';
import { formatTs, fromZonedInput, toZonedInput } from '../lib/time.js';
import { useAction } from '../lib/use-resource.js';
import { useLive } from '../live/context.js';
import { Chart } from './Chart.js';
import { ErrorBox, formatValue } from './ui.js';

interface Range {
  from: number;
  to: number;
  /** Follows now: slides forward and takes live readings. */
  live: boolean;
}

const FIXED_MAX_MS = 6 * 3_600_000;

/** Housekeeping metrics are rarely what a machine is about: chart the first other one. */
const HOUSEKEEPING = /^(battery|rssi|wifi|uptime|heap|voltage)/i;

function primaryMetric(metrics: string[]): string {
  return metrics.find((m) => !HOUSEKEEPING.test(m)) ?? metrics[0] ?? '';
}

/**
 * Live and historical chart of one metric from the rollups. The bucket follows the visible range
 * (pickBucket), so a year and a minute both load a few hundred points; drag to zoom, buttons for
 * the keyboard.
 */
export function DeviceChart({
  deviceId,
  metrics,
  timeZone,
}: {
  deviceId: string;
  metrics: string[];
  timeZone: string;
}) {
  const live = useLive();
  const [metric, setMetric] = useState(() => primaryMetric(metrics));
  const [range, setRange] = useState<Range>(() => ({ from: Date.now() - 3_600_000, to: Date.now(), live: true }));
  const [presetId, setPresetId] = useState<string | null>('1h');
  const [cols, setCols] = useState<Columns>(emptyColumns);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [width, setWidth] = useState(800);
  const wrap = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!metric && metrics.length) setMetric(primaryMetric(metrics));
  }, [metric, metrics]);

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const bucket = useMemo(() => pickBucket(range.from, range.to, pointsForWidth(width)), [range.from, range.to, width]);

  // Load the visible range at its bucket. In live mode only bucket or metric changes refetch; the
  // window slides forward on a timer and readings arrive over the socket.
  const loadKey = range.live ? `live|${range.to - range.from}` : `${range.from}|${range.to}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: loadKey stands for the range
  useEffect(() => {
    if (!metric) return;
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    const from = range.live ? Date.now() - (range.to - range.from) : range.from;
    const to = range.live ? Date.now() + bucket.ms : range.to;
    devicesApi
      .series(
        deviceId,
        {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          bucket: bucket.id,
          tz: timeZone,
          metrics: [metric],
        },
        ctrl.signal,
      )
      .then(
        (points) => {
          setCols(toColumns(points, metric));
          setLoading(false);
        },
        (err) => {
          if (ctrl.signal.aborted) return;
          setError(err);
          setLoading(false);
        },
      );
    return () => ctrl.abort();
  }, [deviceId, metric, bucket.id, timeZone, loadKey]);

  // Live: slide the window and fold readings into the drawn buckets. Keyed by the span, not the
  // moving ends, so the subscription and the timer survive each slide.
  const liveSpan = range.live ? range.to - range.from : 0;
  useEffect(() => {
    if (!liveSpan) return;
    const span = liveSpan;
    const t = setInterval(
      () => setRange((r) => (r.live ? { from: Date.now() - span, to: Date.now(), live: true } : r)),
      5_000,
    );
    const off = live.on('telemetry', (m) => {
      if (m.deviceId !== deviceId) return;
      const v = m.metrics[metric];
      if (typeof v !== 'number') return;
      if (bucket.ms <= FIXED_MAX_MS) setCols((c) => addReading(c, Date.parse(m.ts), v, bucket.ms));
    });
    return () => {
      clearInterval(t);
      off();
    };
  }, [live, deviceId, metric, bucket.ms, liveSpan]);

  const data = useMemo(() => [cols.x, cols.avg, cols.min, cols.max] as [number[], ...(number | null)[][]], [cols]);

  const setPreset = (id: string, ms: number) => {
    setPresetId(id);
    setRange({ from: Date.now() - ms, to: Date.now(), live: true });
  };
  const zoomTo = (from: number, to: number) => {
    const span = Math.max(60_000, to - from);
    const mid = (from + to) / 2;
    setPresetId(null);
    setRange({ from: Math.round(mid - span / 2), to: Math.round(mid + span / 2), live: false });
  };
  const span = range.to - range.from;
  const shift = (dir: -1 | 1) => {
    const delta = (span / 2) * dir;
    const to = Math.min(Date.now(), range.to + delta);
    setPresetId(null);
    setRange({ from: to - span, to, live: false });
  };

  const exportCsv = useAction(() => {
    // live: up to this moment, not to the last slide of the window
    const to = range.live ? Date.now() + 1_000 : range.to;
    const from = range.live ? to - (range.to - range.from) : range.from;
    return devicesApi.exportCsv(deviceId, {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      tz: timeZone,
    });
  });

  const lastIdx = cols.x.length - 1;
  const summary =
    cols.x.length === 0
      ? 'No data in this range.'
      : `${cols.x.length} points of ${bucket.label} averages from ${formatTs(range.from, timeZone)} to ${formatTs(range.to, timeZone)}; latest average ${formatValue(cols.avg[lastIdx])}.`;

  return (
    <section className="panel" aria-labelledby="chart-h">
      <div className="row spread">
        <h2 id="chart-h" style={{ margin: 0 }}>
          History
        </h2>
        <button type="button" onClick={() => void exportCsv.run()} disabled={exportCsv.pending}>
          {exportCsv.pending ? 'Preparing CSV…' : 'Export CSV'}
        </button>
      </div>
      <ErrorBox error={exportCsv.error} />
      <div className="inline-form" style={{ margin: '0.75rem 0' }}>
        <div className="field" style={{ maxWidth: '14rem' }}>
          <label htmlFor="chart-metric">Metric</label>
          <select id="chart-metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
            {metrics.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </div>
        <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="visually-hidden">Time range</legend>
          <div className="segmented">
            {RANGE_PRESETS.map((p) => (
              <button key={p.id} type="button" aria-pressed={presetId === p.id} onClick={() => setPreset(p.id, p.ms)}>
                {p.label}
              </button>
            ))}
          </div>
        </fieldset>
        <div className="field" style={{ minWidth: '13.5rem', maxWidth: '16rem' }}>
          <label htmlFor="chart-from">From</label>
          <input
            id="chart-from"
            type="datetime-local"
            value={toZonedInput(range.from, timeZone)}
            onChange={(e) => {
              const from = fromZonedInput(e.target.value, timeZone);
              if (Number.isFinite(from) && from < range.to) {
                setPresetId(null);
                setRange({ ...range, from, live: false });
              }
            }}
          />
        </div>
        <div className="field" style={{ minWidth: '13.5rem', maxWidth: '16rem' }}>
          <label htmlFor="chart-to">To</label>
          <input
            id="chart-to"
            type="datetime-local"
            value={toZonedInput(range.to, timeZone)}
            onChange={(e) => {
              const to = fromZonedInput(e.target.value, timeZone);
              if (Number.isFinite(to) && to > range.from) {
                setPresetId(null);
                setRange({ ...range, to, live: false });
              }
            }}
          />
        </div>
      </div>
      <div className="row" style={{ marginBottom: '0.5rem' }}>
        <button type="button" onClick={() => shift(-1)} aria-label="Earlier">
          ◀ Earlier
        </button>
        <button
          type="button"
          onClick={() => zoomTo(range.from + span / 4, range.to - span / 4)}
          disabled={span <= 60_000}
        >
          Zoom in
        </button>
        <button type="button" onClick={() => zoomTo(range.from - span / 2, range.to + span / 2)}>
          Zoom out
        </button>
        <button type="button" onClick={() => shift(1)} disabled={range.live} aria-label="Later">
          Later ▶
        </button>
        {!range.live ? (
          <button type="button" onClick={() => setPreset('1h', 3_600_000)}>
            Back to live
          </button>
        ) : null}
        <span className="muted" role="status" aria-live="polite">
          {loading ? 'Loading…' : `${bucket.label} buckets${range.live ? ' · live' : ''}`}
        </span>
      </div>
      {error ? (
        <p className="alert-box" role="alert">
          {describeError(error)}
        </p>
      ) : null}
      <div ref={wrap}>
        {metric ? (
          <Chart
            data={data}
            series={[
              { label: `${metric} (avg)`, color: 'var(--accent)' },
              { label: 'min', color: '#8a94a3', dash: [4, 4] },
              { label: 'max', color: '#8a94a3', dash: [4, 4] },
            ]}
            timeZone={timeZone}
            range={range}
            onZoom={zoomTo}
            label={`${metric} over time`}
            summary={summary}
          />
        ) : (
          <p className="muted">This device has not reported a numeric metric yet.</p>
        )}
      </div>
      <p className="muted" style={{ fontSize: '0.8rem' }}>
        Drag across the chart to zoom; times in {timeZone}.
      </p>
    </section>
  );
}
