/**
 * Which database errors are worth retrying: the connection or the server went away, or the
 * transaction lost a race. A caller that retries these (the pipeline redelivers its batch, the API
 * answers 503 with Retry-After) recovers on its own once the database is back; anything else is a
 * bug or bad input and retrying it changes nothing. See #15.
 */

/** Node socket errors seen when PostgreSQL is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs: class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown,
 * cannot connect now), 53300 (too many connections), 40001 (serialization failure), 40P01
 * (deadlock detected), 55P03 (lock not available). 57014 (statement timeout / query canceled)
 * is NOT here: the same query would time out again.
 */
const RETRIABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01', '55P03']);

/** Messages pg (and pg-pool) throw without a code when the socket is gone. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection ended',
];

export function isRetriableDbError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof e !== 'object') return false;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code) || RETRIABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
    }
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isRetriableDbError(inner))) return true;
  }
  return false;
}

/** The database is unreachable or restarting (not a lost race): callers report not-ready / 503. */
export function isDbUnavailable(err: unknown): boolean {
  return isRetriableDbError(err) && !isLostRace(err);
}

function isLostRace(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === '40001' || code === '40P01' || code === '55P03';
}
