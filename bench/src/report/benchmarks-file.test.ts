import { describe, expect, it } from 'vitest';
import { assembleBenchmarks, demoteHeadings, orderResults, RUNS_MARKER } from './benchmarks-file.js';

describe('BENCHMARKS.md assembly', () => {
  it('keeps earlier runs and appends the new one after them', () => {
    const first = assembleBenchmarks(undefined, '### Pipeline\n\nrows', '### run 1\n\nfigures 1');
    expect(first).toContain(RUNS_MARKER);
    const second = assembleBenchmarks(first, '### Pipeline\n\nnew rows', '### run 2\n\nfigures 2');
    expect(second.indexOf('### run 1')).toBeGreaterThan(second.indexOf(RUNS_MARKER));
    expect(second.indexOf('### run 2')).toBeGreaterThan(second.indexOf('### run 1'));
    expect(second).toContain('new rows');
    expect(second).not.toContain('\nrows');
    expect(second.match(/# Benchmarks/g)).toHaveLength(1);
  });

  it('demotes headings outside code fences only', () => {
    expect(demoteHeadings('# A\n```\n# not\n```\n## B', 2)).toBe('### A\n```\n# not\n```\n#### B');
  });

  it('orders the component results along a message path, then the others by name', () => {
    expect(
      orderResults([
        'realtime.md',
        'issue-23-embedded.md',
        'commands.md',
        'e2e.png',
        'gateway.md',
        'pipeline.md',
        'a.md',
      ]),
    ).toEqual(['gateway.md', 'pipeline.md', 'commands.md', 'realtime.md', 'a.md', 'issue-23-embedded.md']);
  });
});
