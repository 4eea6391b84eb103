import { describe, expect, it } from 'vitest';
import { isDbUnavailable, isRetriableDbError } from './errors.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isRetriableDbError', () => {
  it('retries lost connections, shutdowns and lost races', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', '57P01', '08006', '08003', '40001', '40P01']) {
      expect(isRetriableDbError(withCode(code)), code).toBe(true);
    }
    expect(isRetriableDbError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isRetriableDbError(new Error('wrapped', { cause: withCode('ECONNREFUSED') }))).toBe(true);
    expect(isRetriableDbError(new AggregateError([withCode('ECONNREFUSED')]))).toBe(true);
  });
  it('does not retry bad SQL, constraint violations or a statement timeout', () => {
    for (const code of ['42601', '23505', '22P02', '57014'])
      expect(isRetriableDbError(withCode(code)), code).toBe(false);
    expect(isRetriableDbError(new Error('boom'))).toBe(false);
    expect(isRetriableDbError(undefined)).toBe(false);
  });
  it('calls only an unreachable database unavailable, not a lost race', () => {
    expect(isDbUnavailable(withCode('ECONNREFUSED'))).toBe(true);
    expect(isDbUnavailable(withCode('40001'))).toBe(false);
  });
});
