/**
 * RFC 9457 problem+json, as the API answers every error. The UI shows `detail` (what happened and
 * what to do) and the field errors next to their inputs.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly code: string | undefined;
  readonly fieldErrors: FieldError[];

  constructor(init: { status: number; title: string; detail?: string; code?: string; fieldErrors?: FieldError[] }) {
    super(init.detail || init.title);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail ?? '';
    this.code = init.code;
    this.fieldErrors = init.fieldErrors ?? [];
  }
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Field errors come as `errors: [{ path, message }]` (path a string or a zod path array) or `{ field: msg }`. */
function parseFieldErrors(errors: unknown): FieldError[] {
  if (Array.isArray(errors)) {
    return errors.flatMap((e): FieldError[] => {
      if (!e || typeof e !== 'object') return [];
      const o = e as Record<string, unknown>;
      const rawPath = o.path ?? o.pointer ?? o.field ?? o.name;
      const path = Array.isArray(rawPath)
        ? rawPath.join('.')
        : typeof rawPath === 'string'
          ? rawPath.replace(/^#?\/?(body\/)?/, '').replaceAll('/', '.')
          : '';
      const message = asString(o.message) ?? asString(o.detail) ?? 'invalid';
      return [{ path, message }];
    });
  }
  if (errors && typeof errors === 'object') {
    return Object.entries(errors as Record<string, unknown>).map(([path, m]) => ({
      path,
      message: Array.isArray(m) ? m.map(String).join(', ') : String(m),
    }));
  }
  return [];
}

/** Builds the error for a failed response body (JSON already parsed, or text). */
export function problemFrom(status: number, statusText: string, body: unknown): ApiError {
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    return new ApiError({
      status,
      title: asString(o.title) ?? asString(o.error) ?? (statusText || `HTTP ${status}`),
      detail: asString(o.detail) ?? asString(o.message),
      code: asString(o.code),
      fieldErrors: parseFieldErrors(o.errors ?? o.issues),
    });
  }
  const text = typeof body === 'string' ? body.trim() : '';
  return new ApiError({
    status,
    title: statusText || `HTTP ${status}`,
    detail: text && text.length < 300 && !text.startsWith('<') ? text : undefined,
  });
}

/** A message for people: the problem's detail, else its title, else a network hint. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.detail || err.title;
  if (err instanceof TypeError) return 'The server could not be reached. Check your connection and try again.';
  if (err instanceof Error) return err.message;
  return String(err);
}

export function fieldError(err: unknown, field: string): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  return err.fieldErrors.find((f) => f.path === field || f.path.endsWith(`.${field}`))?.message;
}
