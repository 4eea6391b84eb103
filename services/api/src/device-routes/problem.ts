import { AppError, type ErrorCode, ErrorCodes, isAppError } from '@telemetry/contracts';
import type { Response } from 'express';

/**
 * RFC 9457 problem details for the device endpoints: {type, title, status, detail, code}. Same
 * shape and `type` URIs as the API's own encoder (services/api/src/http/problem.ts), kept here so
 * this folder stands alone; the two can merge.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  [extension: string]: unknown;
}

export function problem(code: ErrorCode, detail?: string, extra: Record<string, unknown> = {}): Problem {
  const { status, title } = ErrorCodes[code];
  return {
    type: `/docs/problems#${code.toLowerCase().replaceAll('_', '-')}`,
    title,
    status,
    ...(detail ? { detail } : {}),
    code,
    ...extra,
  };
}

export function sendProblem(res: Response, p: Problem): void {
  if (p.code === 'UNAUTHENTICATED' || p.code === 'TOKEN_INVALID') res.setHeader('WWW-Authenticate', 'Bearer');
  if (p.code === 'UNAVAILABLE') res.setHeader('Retry-After', '5');
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}

/** Any thrown value as a problem; 5xx say nothing of internals (the log has them). */
export function toProblem(err: unknown): Problem {
  if (isAppError(err)) {
    return err.status >= 500 ? problem(err.code) : problem(err.code, err.message, detailsOf(err));
  }
  const h = err as { type?: string; status?: number };
  if (h?.type === 'entity.too.large')
    return problem('TELEMETRY_TOO_LARGE', 'request body is larger than this endpoint accepts');
  if (typeof h?.status === 'number' && h.status >= 400 && h.status < 500)
    return problem('VALIDATION_FAILED', (err as Error).message);
  return problem('INTERNAL');
}

function detailsOf(err: AppError): Record<string, unknown> {
  const d = err.details as { errors?: unknown } | undefined;
  return d && Array.isArray(d.errors) ? { errors: d.errors } : {};
}

export { AppError };
