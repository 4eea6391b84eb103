import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  /** Draw as a band (min..max) rather than a line: the series index pair is (this, next). */
  dash?: number[];
}

export interface ChartProps {
  /** [x seconds, ...y per series], aligned (uPlot's format). */
  data: uPlot.AlignedData;
  series: ChartSeries[];
  timeZone: string;
  /** Visible x range in ms; the chart shows exactly this window. */
  range: { from: number; to: number };
  /** The user selected a range with the mouse (drag) or the keyboard: zoom there. */
  onZoom?: (from: number, to: number) => void;
  height?: number;
  /** Accessible name; a text summary is read instead of the canvas. */
  label: string;
  summary: string;
}

/** Canvas cannot read CSS variables: resolve `var(--x)` from the stylesheet (light or dark). */
function cssColor(color: string): string {
  const m = /^var\((--[\w-]+)\)$/.exec(color);
  if (!m?.[1]) return color;
  return getComputedStyle(document.documentElement).getPropertyValue(m[1]).trim() || '#888';
}

/** Tick labels in the reader's locale and the site's zone: times within a day, dates beyond. */
function axisLabels(splits: number[], timeZone: string): string[] {
  const first = splits[0] ?? 0;
  const last = splits[splits.length - 1] ?? 0;
  const span = last - first;
  const opts: Intl.DateTimeFormatOptions =
    span > 3 * 86_400
      ? { month: 'short', day: 'numeric', ...(span > 300 * 86_400 ? { year: 'numeric' } : {}) }
      : span > 86_400
        ? { weekday: 'short', hour: '2-digit', minute: '2-digit' }
        : { hour: '2-digit', minute: '2-digit', ...(span < 300 ? { second: '2-digit' } : {}) };
  const f = new Intl.DateTimeFormat(undefined, { ...opts, timeZone });
  return splits.map((s) => f.format(new Date(s * 1000)));
}

/**
 * uPlot: a canvas chart that draws hundreds of thousands of points in a few ms, so live updates
 * and year-long ranges stay smooth. Created once per series layout; data updates call setData.
 */
export function Chart({ data, series, timeZone, range, onZoom, height = 260, label, summary }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const rangeRef = useRef(range);
  rangeRef.current = range;
  const layout = `${timeZone}|${series.map((s) => `${s.label}:${s.color}`).join(',')}|${height}`;

  // Rebuilt only when the layout changes (`layout` stands for series, zone and height); data is
  // applied by the next effect, so a live update never recreates the canvas.
  // biome-ignore lint/correctness/useExhaustiveDependencies: layout is the key
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const legendTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
      scales: {
        x: { time: true, range: () => [rangeRef.current.from / 1000, rangeRef.current.to / 1000] },
      },
      series: [
        {
          label: 'Time',
          value: (_u, v) => (v === null || v === undefined ? '—' : legendTime.format(new Date(v * 1000))),
        },
        ...series.map((s) => ({ label: s.label, stroke: cssColor(s.color), width: 2, dash: s.dash, spanGaps: false })),
      ],
      axes: [
        { stroke: cssColor('var(--muted)'), values: (_u, splits) => axisLabels(splits, timeZone) },
        { stroke: cssColor('var(--muted)'), size: 56 },
      ],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 4) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoomRef.current?.(Math.round(from), Math.round(to));
          },
        ],
      },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [layout]);

  // a new range with the same data still rescales the x axis
  // biome-ignore lint/correctness/useExhaustiveDependencies: range triggers the redraw
  useEffect(() => {
    plot.current?.setData(data, true);
  }, [data, range.from, range.to]);

  return (
    <figure className="chart">
      <div ref={host} role="img" aria-label={`${label}. ${summary}`} />
      <figcaption className="visually-hidden">{summary}</figcaption>
    </figure>
  );
}
