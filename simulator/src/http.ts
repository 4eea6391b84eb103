import { AppError } from '@telemetry/contracts';

export interface HttpResult {
  status: number;
  text: string;
}

/** A POST that turns network trouble into a readable, retriable AppError naming the URL. */
export async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<HttpResult> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new AppError('UNAVAILABLE', `${url} is not reachable (${describeNetworkError(err)})`, {
      retriable: true,
      cause: err,
    });
  }
  return { status: res.status, text: await res.text() };
}

export function describeNetworkError(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
