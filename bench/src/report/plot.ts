/**
 * The run's plot as a PNG, drawn in pure JS (pngjs): stored throughput against offered rate, and
 * p99 latency (publish → stored, → socket) against offered rate, one line per backend.
 */
import { writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { GLYPH_H, GLYPH_W, glyph } from './font.js';

type Rgb = [number, number, number];

export interface Series {
  label: string;
  color: Rgb;
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

export const COLORS: Record<string, Rgb> = {
  embedded: [31, 119, 180],
  kafka: [214, 39, 40],
  ideal: [150, 150, 150],
  embeddedSocket: [120, 180, 230],
  kafkaSocket: [240, 140, 120],
};

class Canvas {
  readonly png: PNG;
  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.png = new PNG({ width: w, height: h });
    this.png.data.fill(255);
  }

  px(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const i = (y * this.w + x) * 4;
    this.png.data[i] = c[0];
    this.png.data[i + 1] = c[1];
    this.png.data[i + 2] = c[2];
    this.png.data[i + 3] = 255;
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.px(x + i, y + j, c);
  }

  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1, dash = 0): void {
    const len = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= len; s++) {
      if (dash > 0 && Math.floor(s / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * s) / len;
      const y = y0 + ((y1 - y0) * s) / len;
      this.rect(x - Math.floor(width / 2), y - Math.floor(width / 2), width, width, c);
    }
  }

  text(x: number, y: number, s: string, c: Rgb, scale = 2): number {
    let cx = x;
    for (const ch of s) {
      const g = glyph(ch);
      g.forEach((row, j) => {
        row.forEach((on, i) => {
          if (on) this.rect(cx + i * scale, y + j * scale, scale, scale, c);
        });
      });
      cx += (GLYPH_W + 1) * scale;
    }
    return cx - x;
  }

  textWidth(s: string, scale = 2): number {
    return s.length * (GLYPH_W + 1) * scale;
  }
}

/** 1, 2, 5 × 10^n steps giving about `n` ticks, the last one at or above `max`. */
export function niceTicks(max: number, n = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const v = Math.round(i * step * 1e6) / 1e6;
    ticks.push(v);
    if (v >= max) return ticks;
  }
}

function fmt(v: number): string {
  if (v >= 1000) return `${Math.round(v / 100) / 10}K`.replace('.0K', 'K');
  return String(Math.round(v * 10) / 10);
}

function drawPanel(cv: Canvas, panel: Panel, ox: number, oy: number, w: number, h: number): void {
  const black: Rgb = [0, 0, 0];
  const grey: Rgb = [225, 225, 225];
  const left = 80;
  const bottom = 50;
  const top = 48;
  const right = 20;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const all = panel.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMax = Math.max(1, ...all.map((p) => p[1]));
  const xt = niceTicks(xMax);
  const yt = niceTicks(yMax);
  const xTop = xt[xt.length - 1] as number;
  const yTop = yt[yt.length - 1] as number;
  const X = (v: number) => ox + left + (v / xTop) * pw;
  const Y = (v: number) => oy + top + ph - (Math.min(v, yTop) / yTop) * ph;

  cv.text(ox + w / 2 - cv.textWidth(panel.title) / 2, oy + 2, panel.title, black, 2);
  for (const t of yt) {
    cv.line(X(0), Y(t), X(xTop), Y(t), grey);
    const label = fmt(t);
    cv.text(ox + left - 8 - cv.textWidth(label), Y(t) - GLYPH_H, label, black, 2);
  }
  for (const t of xt) {
    cv.line(X(t), Y(0), X(t), Y(0) + 5, black);
    const label = fmt(t);
    cv.text(X(t) - cv.textWidth(label) / 2, Y(0) + 10, label, black, 2);
  }
  cv.line(X(0), Y(0), X(xTop), Y(0), black, 2);
  cv.line(X(0), Y(0), X(0), Y(yTop), black, 2);
  cv.text(ox + left + pw / 2 - cv.textWidth(panel.xLabel) / 2, oy + h - 18, panel.xLabel, black, 2);
  // y label above the axis (no rotated text in a 5×7 font)
  cv.text(ox + 8, oy + top - 20, panel.yLabel, black, 2);

  let ly = oy + top + 6;
  for (const s of panel.series) {
    for (let i = 1; i < s.points.length; i++) {
      const [a, b] = [s.points[i - 1] as [number, number], s.points[i] as [number, number]];
      cv.line(X(a[0]), Y(a[1]), X(b[0]), Y(b[1]), s.color, 3, s.dashed ? 8 : 0);
    }
    for (const p of s.points) cv.rect(X(p[0]) - 4, Y(p[1]) - 4, 9, 9, s.color);
    // legend, top left inside the plot
    cv.line(X(0) + 12, ly + 6, X(0) + 40, ly + 6, s.color, 3, s.dashed ? 8 : 0);
    cv.text(X(0) + 48, ly, s.label, black, 2);
    ly += 20;
  }
}

/** Draws the panels side by side and writes the PNG. */
export async function writePlot(file: string, panels: Panel[], title: string): Promise<void> {
  const pw = 640;
  const ph = 440;
  const cv = new Canvas(pw * panels.length, ph + 40);
  cv.text(20, 12, title, [0, 0, 0], 2);
  for (const [i, p] of panels.entries()) drawPanel(cv, p, i * pw, 40, pw, ph);
  await writeFile(file, PNG.sync.write(cv.png));
}
