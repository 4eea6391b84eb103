import { Invite, LoggedOut, LoginResult, Registered, SessionTokens, User } from '@telemetry/api-contract';
import { Roles } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type { Request } from 'express';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { assertCookieOrigin, isSameOrigin, sessionOf } from '../http/authenticate.js';
import type { RateLimits } from '../http/rate-limit.js';
import type { RouteTable } from '../http/route-table.js';
import { clearSessionCookies, readRefreshCookie, setSessionCookies } from '../http/session-cookies.js';
import { id } from '../http/validation.js';
import { writeTenant } from '../scope.js';
import { presentOzoneUser, presentUser } from '../users/present.js';
import { password, username } from '../users/service.js';
import { type AuthService, createAuthService, type Session } from './service.js';

const Login = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
const RefreshBody = z.object({ refreshToken: z.string().max(200).optional() });
const Register = z.object({
  inviteToken: z.string().max(200).optional(),
  username,
  password,
  email: z.email().max(254).optional(),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  phone: z.string().max(40).optional(),
  role: z.enum(Roles).optional(),
  tenantId: id.optional(),
});
const Profile = z.object({
  firstName: z.string().min(1).max(100),
  lastName: z.string().min(1).max(100),
  email: z.email().max(254),
  phone: z.string().max(40).optional().nullable(),
});

/** The canonical auth routes; seed-compatible aliases are in compat.ts. */
export function registerAuthRoutes(table: RouteTable, ctx: ApiContext, limits: RateLimits): AuthService {
  const auth = createAuthService(ctx);
  const secure = ctx.config.env === 'production';
  const tokensOf = (s: Session) => ({
    accessToken: s.access.token,
    refreshToken: s.refresh.token,
    tokenType: 'Bearer',
    expiresIn: Math.max(0, Math.round((s.access.expiresAt.getTime() - ctx.now()) / 1000)),
    refreshExpiresAt: s.refresh.expiresAt.toISOString(),
  });

  table.add({
    method: 'post',
    path: '/api/auth/login',
    summary: 'Sign in: an access token (short-lived JWT) and a refresh token, also set as httpOnly cookies',
    tags: ['auth'],
    access: 'public',
    before: [limits.login],
    body: Login,
    example: { username: 'admin', password: 'password' },
    response: LoginResult,
    handler: async ({ body, res }) => {
      const s = await auth.login(body.username, body.password);
      setSessionCookies(res, secure, s.access, s.refresh);
      return { ...tokensOf(s), user: presentUser(s.user), setupRequired: presentUser(s.user).setupRequired };
    },
  });

  table.add({
    method: 'post',
    path: '/api/auth/refresh',
    summary: 'Exchange a refresh token (body or cookie) for new tokens; a token used twice revokes its whole family',
    tags: ['auth'],
    access: 'public',
    before: [limits.login],
    body: RefreshBody,
    example: { refreshToken: 'the refresh token of the login' },
    response: SessionTokens,
    handler: async ({ body, req, res }) => {
      assertCookieOrigin(req, ctx.config.http.corsOrigins);
      const token = body.refreshToken ?? readRefreshCookie(req);
      if (!token) throw new AppError('UNAUTHENTICATED', 'Send refreshToken in the body or the refresh_token cookie');
      const s = await auth.refresh(token);
      setSessionCookies(res, secure, s.access, s.refresh);
      return tokensOf(s);
    },
  });

  table.add({
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Sign out: revokes the refresh token family and the access token presented (which may have expired)',
    tags: ['auth'],
    access: 'public',
    body: RefreshBody,
    example: {},
    response: LoggedOut,
    handler: async ({ body, req, res }) => {
      await logout(ctx, auth, req, body.refreshToken);
      clearSessionCookies(res, secure);
      return { success: true, message: 'Successfully logged out' };
    },
  });

  table.add({
    method: 'post',
    path: '/api/auth/register',
    summary: 'Register a user: with an invitation token (no sign-in needed), or by a signed-in admin/manager',
    tags: ['auth'],
    access: 'optional',
    before: [limits.login],
    body: Register,
    status: 201,
    example: {
      username: 'newuser',
      password: 'a-long-example-pass-9',
      email: 'user@example.com',
      firstName: 'John',
      lastName: 'Doe',
      role: 'viewer',
    },
    response: Registered,
    handler: async ({ body, auth: who }) => ({ user: presentUser(await auth.register(who, body)) }),
  });

  table.add({
    method: 'get',
    path: '/api/auth/me',
    summary: 'The signed-in user',
    tags: ['auth'],
    access: 'user',
    duringSetup: true,
    response: User,
    handler: async ({ principal }) => presentUser(await auth.me(principal.userId)),
  });

  table.add({
    method: 'post',
    path: '/api/auth/password',
    summary: 'Change the password (required at first sign-in of generated accounts); ends the other sessions',
    tags: ['auth'],
    access: 'user',
    duringSetup: true,
    before: [limits.password],
    body: z.object({ currentPassword: z.string().min(1).max(256), newPassword: password }),
    example: { currentPassword: 'generated-one', newPassword: 'a-new-secret-1' },
    status: 204,
    handler: async ({ body, principal, req }) => {
      await auth.changePassword(principal, body.currentPassword, body.newPassword, sessionOf(req));
    },
  });

  table.add({
    method: 'put',
    path: '/api/auth/profile',
    summary: 'Complete or update the own profile (required at first sign-in of generated accounts)',
    tags: ['auth'],
    access: 'user',
    duringSetup: true,
    body: Profile,
    example: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', phone: '+100000000' },
    response: User,
    handler: async ({ body, principal }) => presentUser(await auth.completeProfile(principal, body)),
  });

  table.add({
    method: 'post',
    path: '/api/invites',
    summary: 'Invite someone to register with a role (the token is shown once)',
    tags: ['users'],
    access: 'users:write',
    body: z.object({ role: z.enum(Roles), email: z.email().optional(), tenantId: id.optional() }),
    example: { role: 'operator', email: 'op@example.com' },
    status: 201,
    response: Invite,
    handler: async ({ body, principal }) => {
      if (principal.role === 'manager' && (body.role === 'admin' || body.role === 'manager')) {
        throw new AppError('FORBIDDEN', `A manager may not invite a ${body.role}`);
      }
      const invite = await auth.createInvite(principal, {
        tenantId: writeTenant(principal, body.tenantId),
        role: body.role,
        email: body.email,
      });
      return { id: invite.id, inviteToken: invite.token, expiresAt: invite.expiresAt.toISOString(), role: body.role };
    },
  });

  return auth;
}

/**
 * Logout is public: the usual reason to sign out is a session whose access token has expired or
 * been revoked, and refusing it (401) would leave its refresh family alive. A still-valid access
 * token is used (it and its session are revoked too); any other is ignored. The refresh token is
 * the body's, else the cookie's, the cookie only from our own or an allowed origin (a foreign
 * page must not be able to sign the user out).
 */
export async function logout(
  ctx: ApiContext,
  auth: AuthService,
  req: Request,
  bodyToken: string | undefined,
): Promise<void> {
  assertCookieOrigin(req, ctx.config.http.corsOrigins);
  const principal = await ctx.authenticate(req).catch(() => undefined); // sets sessionOf(req) when valid
  const cookie = isSameOrigin(req, ctx.config.http.corsOrigins) ? readRefreshCookie(req) : undefined;
  await auth.logout(bodyToken ?? cookie, sessionOf(req), principal);
}

export { presentOzoneUser };
