import { AppError } from '@telemetry/contracts';
import { describe, expect, it } from 'vitest';
import { toProblem } from './problem.js';

describe('problem+json', () => {
  it('hides the internals of unexpected errors', () => {
    const p = toProblem(new Error('password=hunter2 at db.ts:12'));
    expect(p).toEqual({ type: '/docs/problems#internal', title: 'Internal error', status: 500, code: 'INTERNAL' });
  });

  it('keeps the detail and the field errors of client errors', () => {
    const p = toProblem(
      new AppError('VALIDATION_FAILED', 'bad', { details: { errors: [{ path: 'body.name', message: 'required' }] } }),
    );
    expect(p).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'bad',
      errors: [{ path: 'body.name', message: 'required' }],
    });
    expect(toProblem(new AppError('NOT_FOUND', 'device not found'))).toMatchObject({ status: 404, title: 'Not found' });
  });

  it('maps body-parser errors', () => {
    expect(toProblem(Object.assign(new Error('x'), { type: 'entity.too.large', status: 413 })).status).toBe(413);
    expect(toProblem(Object.assign(new Error('x'), { type: 'entity.parse.failed', status: 400 })).code).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('hides the message of a 5xx AppError too', () => {
    expect(toProblem(new AppError('UNAVAILABLE', 'kafka at 10.0.0.1 down')).detail).toBeUndefined();
  });
});
