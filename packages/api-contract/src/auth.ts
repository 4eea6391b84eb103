import { Roles } from '@telemetry/auth/roles';
import { z } from 'zod';
import { isoString } from './common.js';
import { User } from './users.js';

/** POST /api/auth/refresh: a new access token and refresh token (also set as httpOnly cookies). */
export const SessionTokens = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** Seconds the access token stays valid. */
  expiresIn: z.number(),
  refreshExpiresAt: isoString,
});
export type SessionTokens = z.infer<typeof SessionTokens>;

/** POST /api/auth/login: the tokens and who signed in (`setupRequired`: first-login steps pending). */
export const LoginResult = SessionTokens.extend({ user: User, setupRequired: z.boolean() });
export type LoginResult = z.infer<typeof LoginResult>;

/** POST /api/auth/logout. */
export const LoggedOut = z.object({ success: z.literal(true), message: z.string() });

/** POST /api/auth/register. */
export const Registered = z.object({ user: User });

/** POST /api/invites: the token is in this answer only. */
export const Invite = z.object({
  id: z.string(),
  inviteToken: z.string(),
  expiresAt: isoString,
  role: z.enum(Roles),
});
