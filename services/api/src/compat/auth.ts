import {
  DispenserUser,
  SeedAuthCheck,
  SeedLogin,
  SeedLogout,
  SeedMe,
  SeedRegistered,
  TokenPair,
} from '@telemetry/api-contract';
import { Roles } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import { logout } from '../auth/routes.js';
import type { AuthService, Session } from '../auth/service.js';
import type { ApiContext } from '../context.js';
import type { RateLimits } from '../http/rate-limit.js';
import type { RouteTable } from '../http/route-table.js';
import { clearSessionCookies, readRefreshCookie, setSessionCookies } from '../http/session-cookies.js';
import { presentOzoneUser, type UserRow } from '../users/present.js';
import { password, username } from '../users/service.js';
import { ourRole, seedRole } from './energy/present.js';

const energyFields = (u: UserRow) => ({ fname: u.first_name, lname: u.last_name, phone: u.phone ?? '' });

/** The login answer both seeds read (see the route's description). */
export function loginAnswer(s: Session) {
  return {
    success: true,
    message: 'Login successful',
    user: presentOzoneUser(s.user),
    tokens: {
      access: s.access.token,
      refresh: s.refresh.token,
      user: { id: s.user.id, username: s.user.username, role: seedRole(s.user.role) },
    },
    access: s.access.token,
    refresh: s.refresh.token,
  };
}

/**
 * The seeds' auth URLs: the ozone seed's Django session routes (`/api/auth/login/` ... with a
 * trailing slash: JSON body, the session is the httpOnly cookie pair, so `curl -c cookies.txt`
 * then `-b cookies.txt` works as in its README; the tokens are in the body too), and the
 * aggregator seed's simplejwt pair (`/api/token/`, `/api/token/refresh/`).
 */
export function registerAuthCompatRoutes(
  table: RouteTable,
  ctx: ApiContext,
  auth: AuthService,
  limits: RateLimits,
): void {
  const secure = ctx.config.env === 'production';
  const Login = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

  table.add({
    method: 'post',
    path: '/api/auth/login/',
    summary: 'Sign in; one answer for the ozone and the energy seeds (they share this URL); sets the session cookies',
    description:
      'Superset of both seeds: the ozone seed reads `success` and `user` (Django fields, our role), the energy seed ' +
      'reads `message` and `tokens: {access, refresh, user: {id, username, role}}` (role `client` = our viewer). ' +
      'The tokens are also at the top level (`access`, `refresh`).',
    tags: ['compat-ozone', 'compat-energy'],
    access: 'public',
    aliasOf: '/api/auth/login',
    before: [limits.login],
    body: Login,
    example: { username: 'admin', password: 'password' },
    response: SeedLogin,
    handler: async ({ body, res }) => {
      const s = await auth.login(body.username, body.password);
      setSessionCookies(res, secure, s.access, s.refresh);
      return loginAnswer(s);
    },
  });

  table.add({
    method: 'post',
    path: '/api/auth/logout/',
    summary: 'Sign out (ozone seed shape): clears the session cookies and revokes the session',
    tags: ['compat-ozone'],
    access: 'public',
    aliasOf: '/api/auth/logout',
    response: SeedLogout,
    handler: async ({ req, res }) => {
      await logout(ctx, auth, req, undefined);
      clearSessionCookies(res, secure);
      return { success: true, message: 'Successfully logged out' };
    },
  });

  table.add({
    method: 'post',
    path: '/api/auth/register/',
    summary: 'Register a user (ozone and energy seeds): by a signed-in admin/manager, or with invite_token',
    description:
      'Takes either seed’s body: `first_name`/`last_name` (ozone) or `fname`/`lname`/`phone` and `role: client` ' +
      '(energy; client = viewer). Answers the ozone shape, with the energy fields added to `user`.',
    tags: ['compat-ozone', 'compat-energy'],
    access: 'optional',
    aliasOf: '/api/auth/register',
    before: [limits.login],
    body: z.object({
      username,
      password,
      email: z.email().max(254).optional(),
      first_name: z.string().max(100).optional(),
      last_name: z.string().max(100).optional(),
      /** the energy seed's names of the same fields */
      fname: z.string().max(100).optional(),
      lname: z.string().max(100).optional(),
      phone: z.string().max(40).optional(),
      /** our roles, or the energy seed's `client` (= viewer) */
      role: z.enum([...Roles, 'client']).optional(),
      invite_token: z.string().max(200).optional(),
    }),
    example: {
      username: 'newuser',
      password: 'a-long-example-pass-9',
      email: 'user@example.com',
      first_name: 'John',
      last_name: 'Doe',
    },
    status: 201,
    response: SeedRegistered,
    handler: async ({ body, auth: who }) => {
      const user = await auth.register(who, {
        inviteToken: body.invite_token,
        username: body.username,
        password: body.password,
        email: body.email,
        firstName: body.first_name ?? body.fname,
        lastName: body.last_name ?? body.lname,
        phone: body.phone,
        role: body.role ? ourRole(body.role) : undefined,
      });
      return {
        success: true,
        message: 'User created successfully',
        user: { ...presentOzoneUser(user), ...energyFields(user) },
      };
    },
  });

  table.add({
    method: 'get',
    path: '/api/auth/user/',
    summary: 'The signed-in user (ozone seed shape)',
    tags: ['compat-ozone'],
    access: 'user',
    duringSetup: true,
    aliasOf: '/api/auth/me',
    response: SeedMe,
    handler: async ({ principal }) => ({ success: true, user: presentOzoneUser(await auth.me(principal.userId)) }),
  });

  table.add({
    method: 'get',
    path: '/api/auth/check/',
    summary: 'Whether the request is signed in (ozone seed shape); never 401',
    tags: ['compat-ozone'],
    access: 'public',
    response: SeedAuthCheck,
    handler: async ({ req }) => {
      try {
        const who = await ctx.authenticate(req);
        if (!who) return { authenticated: false };
        return { authenticated: true, user: presentOzoneUser(await auth.me(who.userId)) };
      } catch {
        return { authenticated: false };
      }
    },
  });

  table.add({
    method: 'post',
    path: '/api/token/',
    summary: 'Sign in (simplejwt shape of the aggregator seed): {access, refresh}',
    tags: ['compat-aggregator'],
    access: 'public',
    aliasOf: '/api/auth/login',
    before: [limits.login],
    body: Login,
    example: { username: 'customer1', password: 'User1@1234' },
    response: TokenPair,
    handler: async ({ body }) => {
      const s = await auth.login(body.username, body.password);
      return { access: s.access.token, refresh: s.refresh.token };
    },
  });

  table.add({
    method: 'post',
    path: '/api/token/refresh/',
    summary: 'Refresh (simplejwt shape): {refresh} → {access, refresh}; the old refresh token is spent',
    tags: ['compat-aggregator'],
    access: 'public',
    aliasOf: '/api/auth/refresh',
    before: [limits.login],
    body: z.object({ refresh: z.string().min(1).max(200) }),
    example: { refresh: 'the refresh token' },
    response: TokenPair,
    handler: async ({ body }) => {
      const s = await auth.refresh(body.refresh);
      return { access: s.access.token, refresh: s.refresh.token };
    },
  });

  registerDispenserAuthRoutes(table, auth, limits, Login);
}

/**
 * The dispenser seed's simplejwt URLs (000_*, without /api): register, login ({access, refresh}
 * and the rest of the one login answer), and a refresh its README lists as GET: the refresh token
 * comes as `?refresh=`, the `X-Refresh-Token` header or the refresh cookie (POST {refresh} also works).
 */
function registerDispenserAuthRoutes(
  table: RouteTable,
  auth: AuthService,
  limits: RateLimits,
  Login: z.ZodType<{ username: string; password: string }>,
): void {
  const TAG = 'compat-dispenser';
  table.add({
    method: 'post',
    path: '/users/register/',
    summary: 'Register a user (dispenser seed): by a signed-in admin/manager, or with invite_token',
    tags: [TAG],
    access: 'optional',
    aliasOf: '/api/auth/register',
    before: [limits.login],
    body: z.object({
      username,
      password,
      email: z.email().max(254).optional(),
      first_name: z.string().max(100).optional(),
      last_name: z.string().max(100).optional(),
      role: z.enum(Roles).optional(),
      invite_token: z.string().max(200).optional(),
    }),
    example: { username: 'facilities', password: 'password123', email: 'facilities@example.com' },
    status: 201,
    response: DispenserUser,
    handler: async ({ body, auth: who }) => {
      const user = await auth.register(who, {
        inviteToken: body.invite_token,
        username: body.username,
        password: body.password,
        email: body.email,
        firstName: body.first_name,
        lastName: body.last_name,
        role: body.role,
      });
      return { id: user.id, username: user.username, email: user.email ?? '', role: user.role };
    },
  });

  table.add({
    method: 'post',
    path: '/users/login/',
    summary: 'Sign in (dispenser seed): {access, refresh} at the top level, as simplejwt answers',
    description: 'The same answer as POST /api/auth/login/ (a superset of the seeds’ login shapes).',
    tags: [TAG],
    access: 'public',
    aliasOf: '/api/auth/login',
    before: [limits.login],
    body: Login,
    example: { username: 'facilities', password: 'password123' },
    response: SeedLogin,
    handler: async ({ body }) => loginAnswer(await auth.login(body.username, body.password)),
  });

  const refresh = async (token: string | undefined) => {
    if (!token)
      throw new AppError('UNAUTHENTICATED', 'Send the refresh token: ?refresh=<token>, X-Refresh-Token, or {refresh}');
    const s = await auth.refresh(token);
    return { access: s.access.token, refresh: s.refresh.token };
  };
  table.add({
    method: 'get',
    path: '/users/token/refresh/',
    summary: 'Refresh (dispenser seed, GET): ?refresh=<token> → {access, refresh}; the old refresh token is spent',
    tags: [TAG],
    access: 'public',
    aliasOf: '/api/auth/refresh',
    before: [limits.login],
    query: z.object({ refresh: z.string().min(1).max(200).optional() }),
    response: TokenPair,
    handler: async ({ query, req }) =>
      refresh(query.refresh ?? req.header('x-refresh-token') ?? readRefreshCookie(req) ?? undefined),
  });
  table.add({
    method: 'post',
    path: '/users/token/refresh/',
    summary: 'Refresh (simplejwt POST): {refresh} → {access, refresh}',
    tags: [TAG],
    access: 'public',
    aliasOf: '/api/auth/refresh',
    before: [limits.login],
    body: z.object({ refresh: z.string().min(1).max(200) }),
    example: { refresh: 'the refresh token' },
    response: TokenPair,
    handler: async ({ body }) => refresh(body.refresh),
  });
}
