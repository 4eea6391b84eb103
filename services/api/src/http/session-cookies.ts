import type { CookieOptions, Request, Response } from 'express';

/**
 * Cookies mirror the tokens for the ozone seed's `curl -c cookies.txt` / `-b cookies.txt` flows
 * and for browsers: httpOnly (scripts cannot read them), SameSite=Lax (not sent on cross-site
 * POSTs), Secure in production. The refresh cookie is sent only to /api/auth.
 */
export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function base(secure: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure };
}

export function setSessionCookies(
  res: Response,
  secure: boolean,
  access: { token: string; expiresAt: Date },
  refresh: { token: string; expiresAt: Date },
): void {
  res.cookie(ACCESS_COOKIE, access.token, { ...base(secure), path: '/', expires: access.expiresAt });
  res.cookie(REFRESH_COOKIE, refresh.token, { ...base(secure), path: '/api/auth', expires: refresh.expiresAt });
}

export function clearSessionCookies(res: Response, secure: boolean): void {
  res.clearCookie(ACCESS_COOKIE, { ...base(secure), path: '/' });
  res.clearCookie(REFRESH_COOKIE, { ...base(secure), path: '/api/auth' });
}

/** The refresh token from its cookie (sent only to /api/auth). */
export function readRefreshCookie(req: Request): string | undefined {
  return readCookie(req, REFRESH_COOKIE);
}
