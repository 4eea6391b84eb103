import { describe, expect, it } from 'vitest';
import { ApiError, describeError, fieldError, problemFrom } from './problem.js';

describe('problemFrom', () => {
  it('reads an RFC 9457 problem with validation errors', () => {
    const err = problemFrom(400, 'Bad Request', {
      type: 'about:blank',
      title: 'Request validation failed',
      status: 400,
      detail: 'password: must be at least 10 characters',
      code: 'VALIDATION_FAILED',
      errors: [
        { path: ['body', 'password'], message: 'too short' },
        { path: '/email', message: 'not an email' },
      ],
    });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.detail).toBe('password: must be at least 10 characters');
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(fieldError(err, 'password')).toBe('too short');
    expect(fieldError(err, 'email')).toBe('not an email');
    expect(describeError(err)).toBe('password: must be at least 10 characters');
  });

  it('falls back to the title, then the status text', () => {
    expect(describeError(problemFrom(403, 'Forbidden', { title: 'Not allowed for this role' }))).toBe(
      'Not allowed for this role',
    );
    expect(describeError(problemFrom(502, 'Bad Gateway', '<html>proxy</html>'))).toBe('Bad Gateway');
    expect(describeError(problemFrom(500, '', 'boom'))).toBe('boom');
  });

  it('explains a network failure', () => {
    expect(describeError(new TypeError('Failed to fetch'))).toMatch(/could not be reached/);
  });
});
