import { frontend } from './frames.js';
import type { SocketFacingDb } from './raw-protocol.js';

/** Sends one frontend message to PGlite and returns its backend reply (all messages, concatenated). */
export type RawExec = (message: Uint8Array) => Promise<Uint8Array>;

/**
 * PGlite's ONE postgres session, shared by the stack and (opt-in) a person's read-only SQL.
 *
 * Why: PGlite has a single backend; every byte anyone sends lands in the same protocol state.
 * A second client's half-finished startup, stray bytes or open transaction broke the stack's
 * session for good (issue #16). So only the stack's own in-process connection speaks the raw
 * protocol; anything else runs as whole units of work handed to `guest`, and only at a point
 * where the stack is between statements and outside a transaction (no BEGIN open, no extended
 * query half sent): it can neither interleave with nor inherit the stack's state.
 */
export interface Session {
  /** The stack's frontend messages, in order. */
  stack: RawExec;
  /** The stack's connection went away: end whatever it left open so the next one starts clean. */
  resetStack(): Promise<void>;
  /**
   * Runs fn with the session to itself between two of the stack's transactions; waits at most
   * `waitMs` for such a point (the stack may hold a long transaction), then rejects.
   */
  guest<T>(fn: (exec: RawExec) => Promise<T>, waitMs: number): Promise<T>;
}

/** Message types after which the stack's extended-protocol sequence is complete. */
const BOUNDARY = new Set(['S', 'Q']);

export function createSession(db: SocketFacingDb): Session {
  let tail: Promise<unknown> = Promise.resolve();
  /** FIFO: PGlite's own mutex is per call, a unit of guest work spans several. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const raw: RawExec = (message) => db.runExclusive(() => db.execProtocolRaw(message));
  let between = true;
  let waiters: (() => void)[] = [];
  const settle = (type: string | undefined) => {
    between = (type === undefined || BOUNDARY.has(type)) && !db.isInTransaction();
    if (between && waiters.length) {
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    }
  };

  return {
    stack: (message) =>
      exclusive(async () => {
        // startup messages have no type byte (their first byte is the length's high byte, 0)
        const type = message[0] === 0 ? undefined : String.fromCharCode(message[0] as number);
        try {
          return await raw(message);
        } finally {
          settle(type);
        }
      }),
    resetStack: () =>
      exclusive(async () => {
        if (!between) await raw(frontend.sync()); // ends a half-sent extended query
        if (db.isInTransaction()) await raw(frontend.query('ROLLBACK'));
        settle(undefined);
      }),
    async guest(fn, waitMs) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const outcome = await exclusive(async () => (between ? { value: await fn(raw) } : undefined));
        if (outcome) return outcome.value;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('the stack is inside a transaction; try again');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}
