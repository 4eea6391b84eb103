import { Roles } from '@telemetry/auth/roles';
import { z } from 'zod';
import { isoString } from './common.js';

/** A person: /api/users (never the password hash). */
export const User = z.object({
  id: z.string(),
  /** null: a platform admin */
  tenantId: z.string().nullable(),
  username: z.string(),
  email: z.string().nullable(),
  role: z.enum(Roles),
  firstName: z.string(),
  lastName: z.string(),
  phone: z.string().nullable(),
  mustChangePassword: z.boolean(),
  profileCompleted: z.boolean(),
  setupRequired: z.boolean(),
  createdAt: isoString,
  lastLoginAt: isoString.nullable(),
});
export type User = z.infer<typeof User>;

/** POST /api/users: the generated password (null when one was chosen) is in this answer only. */
export const CreatedUser = z.object({ user: User, username: z.string(), password: z.string().nullable() });
export type CreatedUser = z.infer<typeof CreatedUser>;

/** POST /api/users/{userId}/reset-password: shown once; the user changes it at next sign-in. */
export const PasswordReset = z.object({ username: z.string(), password: z.string() });
export type PasswordReset = z.infer<typeof PasswordReset>;

/** A user's assignment to a site or an asset (exactly one of them). */
export const Assignment = z.object({
  id: z.string(),
  userId: z.string(),
  siteId: z.string().nullable(),
  assetId: z.string().nullable(),
  createdAt: isoString,
});
export type Assignment = z.infer<typeof Assignment>;
