/**
 * What the UI offers each role: mirrors PermissionRoles of packages/auth/src/roles.ts (the server
 * enforces it; the UI only hides what would be refused). Keep the two in step.
 */
export type Role = 'admin' | 'manager' | 'operator' | 'viewer';

const STAFF: readonly Role[] = ['admin', 'manager', 'operator'];
const MANAGERS: readonly Role[] = ['admin', 'manager'];
const ADMINS: readonly Role[] = ['admin'];

const TABLE = {
  'rules:read': STAFF,
  'users:read': MANAGERS,
  'users:write': MANAGERS,
  'assets:write': MANAGERS,
  'devices:write': MANAGERS,
  'devices:admin': ADMINS,
  'alerts:acknowledge': STAFF,
  'alerts:resolve': MANAGERS,
  'tasks:create': MANAGERS,
  'tasks:update': STAFF,
  'rules:write': MANAGERS,
  'recipients:write': MANAGERS,
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof TABLE;

export function can(role: Role | undefined, permission: Permission): boolean {
  return role !== undefined && (TABLE[permission] as readonly Role[]).includes(role);
}

/** Roles an actor may give (canGrantRole): admins any, managers operators and viewers. */
export function grantableRoles(actor: Role | undefined): Role[] {
  if (actor === 'admin') return ['admin', 'manager', 'operator', 'viewer'];
  if (actor === 'manager') return ['operator', 'viewer'];
  return [];
}
