import { describe, expect, it } from 'vitest';
import { createEpisodeCounter } from './episodes.js';

describe('createEpisodeCounter', () => {
  it('opens one episode per 100 messages of a device, at seq % 100 = 95', () => {
    const c = createEpisodeCounter();
    const opened: number[] = [];
    for (let seq = 0; seq < 300; seq++) if (c.publish(seq, 1_000 + seq)) opened.push(seq);
    expect(opened).toEqual([95, 195, 295]);
  });

  it('skips samples at or before the last device time, as the rule does', () => {
    const c = createEpisodeCounter();
    for (let seq = 0; seq < 95; seq++) c.publish(seq, 1_000 + seq);
    // 95…99 published in the millisecond of 94: not evaluated, no episode
    for (let seq = 95; seq < 100; seq++) expect(c.publish(seq, 1_094)).toBe(false);
    expect(c.publish(100, 1_200)).toBe(false);
    // a breach of the next step (seq restarts) after a clear opens again
    for (let seq = 0; seq < 96; seq++) c.publish(seq, 2_000 + seq);
    expect(c.publish(96, 2_096)).toBe(false); // 95 opened it, still active
  });

  it('keeps an episode open across a restart of the sequence that begins with a breach', () => {
    const c = createEpisodeCounter();
    for (let seq = 0; seq < 97; seq++) c.publish(seq, 1_000 + seq);
    // next step: seq 0 clears (20.0), 95 opens again
    let n = 0;
    for (let seq = 0; seq < 100; seq++) if (c.publish(seq, 2_000 + seq)) n++;
    expect(n).toBe(1);
  });
});
