import { AppError, type ErrorCode, ErrorCodes, isAppError } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import { isDbUnavailable } from '@telemetry/store';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';

/** RFC 9457 problem details, with our error `code` and, for validation, the field `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  instance?: string;
  errors?: { path: string; message: string; code?: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types are documented under /docs (one anchor per code); relative URI references are allowed by RFC 9457. */
export function problemType(code: string): string {
  return `/docs/problems#${code.toLowerCase().replaceAll('_', '-')}`;
}

export function problem(code: ErrorCode, detail?: string, extra: Record<string, unknown> = {}): Problem {
  const { status, title } = ErrorCodes[code];
  return { type: problemType(code), title, status, ...(detail ? { detail } : {}), code, ...extra };
}

/** The one problem+json encoder of the api: its routes, the rate limits and the device endpoints. */
export function sendProblem(res: Response, p: Problem): void {
  // RFC 9110: a 401 names its scheme; a 503 says when to come back (devices retry on it)
  if (p.code === 'UNAUTHENTICATED' || p.code === 'TOKEN_INVALID') res.setHeader('WWW-Authenticate', 'Bearer');
  if (p.code === 'UNAVAILABLE' && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', '5');
  res.status(p.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}

/** A body-parser / express error carries `status` and `type` (entity.too.large, entity.parse.failed). */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** SQLSTATE 22023 invalid_parameter_value, e.g. `time zone "X" not recognized`. */
const PG_INVALID_PARAMETER_VALUE = '22023';

/** Maps any thrown value to a problem. 500s say nothing of internals; the log has them. */
export function toProblem(err: unknown): Problem {
  if (isAppError(err)) {
    const extra: Record<string, unknown> = {};
    const d = err.details as Record<string, unknown> | undefined;
    // field errors of any 4xx (schema-invalid device payloads carry them too)
    if (d && Array.isArray(d.errors)) extra.errors = d.errors;
    else if (err.code === 'VALIDATION_FAILED' && d && typeof d.field === 'string') {
      extra.errors = [{ path: d.field, message: err.message }];
    }
    if (d && typeof d.problemType === 'string') extra.type = d.problemType;
    if (d && typeof d.action === 'string') extra.action = d.action;
    // a refused device payload names its dead-letter reason, as the rejections API does (#14)
    if (d && typeof d.reason === 'string') extra.reason = d.reason;
    if (err.status >= 500) return problem(err.code, undefined);
    return { ...problem(err.code, err.message), ...extra };
  }
  // PostgreSQL rejecting a value the request carried (a time zone the database does not know although
  // Intl does): the caller's input, not our fault. The message is not passed on (it names internals).
  if ((err as { code?: unknown })?.code === PG_INVALID_PARAMETER_VALUE) {
    return problem('VALIDATION_FAILED', 'A parameter has a value the database does not accept (a time zone?)');
  }
  // A NUL or an invalid byte the guards did not catch (a form body, a header-derived value): the
  // caller's input, refused as such (#20). 22021 character_not_in_repertoire, 22P05 untranslatable.
  const pgCode = (err as { code?: unknown })?.code;
  if (pgCode === '22021' || pgCode === '22P05') {
    return problem('VALIDATION_FAILED', 'A value contains a character that cannot be stored (NUL, U+0000?)');
  }
  // PostgreSQL unreachable or restarting (#15): the caller should come back, not see a 500.
  // sendProblem adds Retry-After; devices retry on it.
  if (isDbUnavailable(err)) return problem('UNAVAILABLE', 'The database is unreachable; retry later');
  if (pgCode === '57014') return problem('UNAVAILABLE', 'The query took too long and was cancelled');
  const h = err as HttpishError;
  const status = h?.status ?? h?.statusCode;
  if (h?.type === 'entity.too.large')
    return problem('TELEMETRY_TOO_LARGE', 'Request body is larger than this endpoint accepts');
  if (h?.type === 'entity.parse.failed') return problem('VALIDATION_FAILED', 'Request body is not valid JSON');
  if (typeof status === 'number' && status >= 400 && status < 500 && h.expose !== false) {
    return {
      type: 'about:blank',
      title: (err as Error).message || 'Bad request',
      status,
      code: status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED',
    };
  }
  return problem('INTERNAL');
}

export function problemErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      // A streamed response (CSV) failed midway: the status is gone, cut the connection so the
      // client sees a truncated download rather than a complete-looking file.
      logger.error({ err, path: req.path }, 'error after response started');
      req.socket.destroy();
      return;
    }
    const p = toProblem(err);
    if (p.status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    sendProblem(res, { ...p, instance: req.originalUrl.split('?')[0] });
    void next;
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, { ...problem('NOT_FOUND', `No route ${req.method} ${req.path}`), instance: req.path });
};

export { AppError };
