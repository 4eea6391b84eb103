import { Roles } from '@telemetry/auth/roles';
import { z } from 'zod';

// The seeds' sign-in answers (services/api/src/compat/auth.ts): the ozone seed's Django session
// routes, the energy seed's login, simplejwt's {access, refresh} of the aggregator and dispenser seeds.

/** The ozone seed's Django user (`/api/auth/user/`), plus our role and tenant (null: platform admin). */
const OzoneUser = z.strictObject({
  id: z.string(),
  username: z.string(),
  /** '' when none, as Django's */
  email: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  is_staff: z.boolean(),
  is_superuser: z.boolean(),
  role: z.enum(Roles),
  tenant_id: z.string().nullable(),
});

/** The energy seed's roles: `client` is our viewer (never named `viewer` in its answers). */
export const EnergyRole = z.enum(['client', 'admin', 'manager', 'operator']);

/** simplejwt's pair: POST /api/token/, the refresh routes. */
export const TokenPair = z.strictObject({ access: z.string(), refresh: z.string() });

/**
 * POST /api/auth/login/ and /users/login/: one superset of the seeds' login answers: the ozone
 * seed reads `success` and `user`, the energy seed `message` and `tokens`, simplejwt clients the
 * top-level `access` and `refresh`.
 */
export const SeedLogin = z.strictObject({
  success: z.literal(true),
  message: z.string(),
  user: OzoneUser,
  tokens: z.strictObject({
    access: z.string(),
    refresh: z.string(),
    user: z.strictObject({ id: z.string(), username: z.string(), role: EnergyRole }),
  }),
  ...TokenPair.shape,
});

/** POST /api/auth/logout/ (ozone seed). */
export const SeedLogout = z.strictObject({ success: z.literal(true), message: z.string() });

/** POST /api/auth/register/: the ozone shape, with the energy seed's names of the same fields added to `user`. */
export const SeedRegistered = z.strictObject({
  success: z.literal(true),
  message: z.string(),
  user: z.strictObject({ ...OzoneUser.shape, fname: z.string(), lname: z.string(), phone: z.string() }),
});

/** GET /api/auth/user/ (ozone seed). */
export const SeedMe = z.strictObject({ success: z.literal(true), user: OzoneUser });

/** GET /api/auth/check/: never 401; `user` only when signed in. */
export const SeedAuthCheck = z.union([
  z.strictObject({ authenticated: z.literal(true), user: OzoneUser }),
  z.strictObject({ authenticated: z.literal(false) }),
]);
