export {
  type AccessClaims,
  createTokenService,
  JWT_ALGORITHM,
  JWT_AUDIENCE,
  JWT_ISSUER,
  principalFromClaims,
  type TokenService,
  type TokenServiceOptions,
  verifyAccessToken,
} from './jwt.js';
export {
  createPasswordHasher,
  DEFAULT_SCRYPT,
  FAST_SCRYPT,
  generatePassword,
  generateUsername,
  type PasswordHasher,
  type ScryptParams,
} from './password.js';
export { MIN_PASSWORD_LENGTH, passwordWeakness } from './password-policy.js';
export {
  createRefreshTokens,
  hashToken,
  type IssuedRefreshToken,
  type RefreshTokenDeps,
  type RefreshTokens,
} from './refresh.js';
export {
  canGrantRole,
  hasPermission,
  isPlatformAdmin,
  isRole,
  type Permission,
  PermissionRoles,
  type Principal,
  type Role,
  Roles,
} from './roles.js';
