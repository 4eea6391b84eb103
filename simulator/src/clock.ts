/** Where device time comes from; tests inject a fixed or stepped clock to replay a scenario exactly. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that starts at `startMs` and advances `stepMs` on every read: deterministic timestamps. */
export function steppedClock(startMs: number, stepMs = 0): Clock {
  let t = startMs - stepMs;
  return {
    now: () => {
      t += stepMs;
      return t;
    },
  };
}
