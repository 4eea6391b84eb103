import { useEffect, useMemo, useRef, useState } from 'react';
import { devices as devicesApi } from '../../api/endpoints.js';
import { Chart } from '../../components/Chart.js';
import { ErrorBox, formatValue } from '../../components/ui.js';
import { pickBucket, pointsForWidth } from '../../lib/buckets.js';
import { addReading, type Columns, emptyColumns, toColumns } from '../../lib/series.js';
import { useLive } from '../../live/context.js';
import type { WidgetProps } from './widgets.js';

/** The board's row height in px (styles.css .board-grid): a chart fills its widget's rows. */
const ROW_PX = 80;

/**
 * One metric over the last `rangeMinutes`, from the rollups (GET /api/telemetry/aggregate at the
 * bucket the width allows), folded with live readings like the device page's chart.
 */
export function ChartWidget({ widget, timeZone }: WidgetProps<'chart'>) {
  const live = useLive();
  const { deviceId, metric } = widget.binding;
  const span = widget.options.rangeMinutes * 60_000;
  const [width, setWidth] = useState(600);
  const [cols, setCols] = useState<Columns>(emptyColumns);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());
  const wrap = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const bucket = useMemo(() => pickBucket(0, span, pointsForWidth(width)), [span, width]);

  useEffect(() => {
    const ctrl = new AbortController();
    const to = Date.now() + bucket.ms;
    devicesApi
      .series(
        deviceId,
        {
          from: new Date(to - bucket.ms - span).toISOString(),
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
          setError(null);
        },
        (err) => !ctrl.signal.aborted && setError(err),
      );
    return () => ctrl.abort();
  }, [deviceId, metric, bucket.id, bucket.ms, span, timeZone]);

  // the window slides with the clock; readings arrive over the socket into their buckets
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 10_000);
    const off = live.on('telemetry', (m) => {
      const v = m.metrics[metric];
      if (m.deviceId !== deviceId || typeof v !== 'number') return;
      setCols((c) => addReading(c, Date.parse(m.ts), v, bucket.ms));
      setNow(Date.now());
    });
    return () => {
      clearInterval(t);
      off();
    };
  }, [live, deviceId, metric, bucket.ms]);

  const data = useMemo(() => [cols.x, cols.avg, cols.min, cols.max] as [number[], ...(number | null)[][]], [cols]);
  const range = useMemo(() => ({ from: now - span, to: now }), [now, span]);
  const last = cols.avg[cols.avg.length - 1];
  const summary =
    cols.x.length === 0
      ? 'No data in this range.'
      : `${cols.x.length} points of ${bucket.label} averages; latest ${formatValue(last)}.`;
  return (
    <div ref={wrap} data-points={cols.x.length}>
      <ErrorBox error={error} />
      <Chart
        data={data}
        series={[
          { label: `${metric} (avg)`, color: 'var(--accent)' },
          { label: 'min', color: '#8a94a3', dash: [4, 4] },
          { label: 'max', color: '#8a94a3', dash: [4, 4] },
        ]}
        timeZone={timeZone}
        range={range}
        height={Math.max(120, widget.position.h * ROW_PX - 110)}
        label={`${metric} of ${deviceId}`}
        summary={summary}
      />
    </div>
  );
}
