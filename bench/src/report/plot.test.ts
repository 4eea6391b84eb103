import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { COLORS, niceTicks, writePlot } from './plot.js';

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 × 10^n up past the maximum', () => {
    expect(niceTicks(10_000)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(niceTicks(87)).toEqual([0, 20, 40, 60, 80, 100]);
  });
});

describe('writePlot', () => {
  it('writes a PNG with the series drawn in their colours', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plot-'));
    try {
      const file = join(dir, 'p.png');
      await writePlot(
        file,
        [
          {
            title: 'Stored',
            xLabel: 'offered msg/s',
            yLabel: 'msg/s',
            series: [
              {
                label: 'embedded',
                color: COLORS.embedded as [number, number, number],
                points: [
                  [0, 0],
                  [1000, 900],
                ],
              },
            ],
          },
        ],
        'test',
      );
      const png = PNG.sync.read(await readFile(file));
      expect(png.width).toBe(640);
      let blue = 0;
      for (let i = 0; i < png.data.length; i += 4)
        if (png.data[i] === 31 && png.data[i + 1] === 119 && png.data[i + 2] === 180) blue++;
      expect(blue).toBeGreaterThan(100);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
