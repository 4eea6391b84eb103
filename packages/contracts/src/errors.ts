/**
 * The one error taxonomy crossing boundaries. Each boundary has one encoder:
 * api -> problem+json, mqtt-gateway -> CONNACK/PUBACK codes, pipeline -> retry or dead-letter.
 */
export const ErrorCodes = {
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed' },
  TELEMETRY_SCHEMA_INVALID: { status: 422, title: 'Telemetry payload does not match its schema' },
  TELEMETRY_NOT_JSON: { status: 400, title: 'Payload is not JSON' },
  TELEMETRY_TOO_LARGE: { status: 413, title: 'Payload too large' },
  TELEMETRY_TOO_LATE: { status: 422, title: 'Event is older than the late-data window' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  TOKEN_INVALID: { status: 401, title: 'Token invalid or expired' },
  FORBIDDEN: { status: 403, title: 'Not allowed for this role' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  GONE: { status: 410, title: 'No longer available' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'Range not satisfiable' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  DEVICE_NOT_ASSIGNED: { status: 403, title: 'Device is pending assignment' },
  DEVICE_REVOKED: { status: 403, title: 'Device credentials revoked' },
  UNAVAILABLE: { status: 503, title: 'A backend engine is unavailable' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly status: number;
  readonly details?: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown; details?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.status = ErrorCodes[code].status;
    this.details = options.details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/**
 * A database error caused by one message's content (a value out of range, text that is no uuid, a
 * violated check): trying again fails the same way. Everything else (connection lost, deadlock,
 * serialization, timeouts) may pass.
 */
export function isPoison(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || code.length !== 5) return false;
  return code.startsWith('22') || code === '23502' || code === '23514';
}

/**
 * Whether handling a message again may succeed: what the bus redelivers. An AppError says so
 * itself (`retriable`); a database error decides by SQLSTATE (isPoison); anything else is
 * assumed passing (an engine hiccup), so it is retried rather than dropped.
 */
export function isRetriable(err: unknown): boolean {
  if (isAppError(err)) return err.retriable;
  return !isPoison(err);
}
