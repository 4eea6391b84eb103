import { describe, expect, it } from 'vitest';
import { boundScopes, firstFree, type Layout, moveBy, newWidget, problems, resizeBy } from './layout.js';

describe('dashboard layout', () => {
  it('places new widgets in the first free cell, row by row', () => {
    const a = newWidget('latest', [], 'd1', 'a');
    expect(a.position).toEqual({ x: 0, y: 0, w: 3, h: 2 });
    const b = newWidget('chart', [a], 'd1', 'b');
    expect(b.position).toEqual({ x: 3, y: 0, w: 6, h: 4 });
    // 6 wide fits neither beside the chart nor under the latest value beside it
    const c = newWidget('alerts', [a, b], 'd1', 'c');
    expect(c.position).toEqual({ x: 0, y: 4, w: 6, h: 3 });
    expect(firstFree([a, b, c], 3, 2)).toEqual({ x: 9, y: 0, w: 3, h: 2 });
  });

  it('keeps moves and resizes on the 12-column grid', () => {
    const p = { x: 9, y: 0, w: 3, h: 2 };
    expect(moveBy(p, 1, -1)).toEqual(p);
    expect(moveBy(p, -2, 3)).toEqual({ x: 7, y: 3, w: 3, h: 2 });
    expect(resizeBy(p, 2, 0)).toEqual(p);
    expect(resizeBy({ ...p, x: 0 }, 20, 20)).toEqual({ x: 0, y: 0, w: 12, h: 12 });
    expect(resizeBy(p, -5, -5)).toEqual({ x: 9, y: 0, w: 1, h: 1 });
  });

  it('says what to fix before saving, and which rooms to watch', () => {
    const layout: Layout = {
      widgets: [newWidget('latest', [], '', 'a'), newWidget('alerts', [], '', 'b'), newWidget('chart', [], 'd2', 'c')],
    };
    expect(problems(layout)).toEqual([
      'Latest value 1: choose a device',
      'Latest value 1: choose a metric',
      'Chart 3: choose a metric',
    ]);
    expect(boundScopes(layout)).toEqual({ devices: ['d2'], assets: [], unbound: true });
  });
});
