/**
 * Roles and what each may do. A platform admin is an admin whose tenant is NULL: the only
 * principal that sees every tenant. Every other principal is confined to its tenant, and the
 * API scopes each query by it; these functions only answer "may this role do that at all".
 */
export const Roles = ['admin', 'manager', 'operator', 'viewer'] as const;
export type Role = (typeof Roles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (Roles as readonly string[]).includes(value);
}

/** Who is calling: built from a verified access token. */
export interface Principal {
  userId: string;
  /** NULL: platform admin (role admin), sees every tenant. */
  tenantId: string | null;
  role: Role;
  /**
   * The user must change the password and complete the profile before anything else
   * (the car-plant seed's generated operators).
   */
  setupRequired: boolean;
}

export function isPlatformAdmin(p: Pick<Principal, 'tenantId' | 'role'>): boolean {
  return p.role === 'admin' && p.tenantId === null;
}

const EVERYONE: readonly Role[] = Roles;
const STAFF: readonly Role[] = ['admin', 'manager', 'operator'];
const MANAGERS: readonly Role[] = ['admin', 'manager'];
const ADMINS: readonly Role[] = ['admin'];

/** The permission table. Reading is open to every role; viewers are further limited to their assignments. */
export const PermissionRoles = {
  'telemetry:read': EVERYONE,
  'assets:read': EVERYONE,
  'devices:read': EVERYONE,
  'alerts:read': EVERYONE,
  'tasks:read': EVERYONE,
  /** Dashboards people compose (#21): shared within the tenant, viewed by all of it. */
  'dashboards:read': EVERYONE,
  'rules:read': STAFF,
  'users:read': MANAGERS,
  'users:write': MANAGERS,
  'assets:write': MANAGERS,
  /** Bind/unbind a device to an asset, edit its name and attributes. */
  'devices:write': MANAGERS,
  /** Assign a pending device to a tenant, rotate or revoke its token. */
  'devices:admin': ADMINS,
  'alerts:acknowledge': STAFF,
  /** The car-plant seed: only managers mark an alert done. */
  'alerts:resolve': MANAGERS,
  'tasks:create': MANAGERS,
  'tasks:update': STAFF,
  /** Post readings as a person (the aggregator seed's customers upload their sensors' data; 001). */
  'telemetry:write': STAFF,
  'rules:write': MANAGERS,
  'recipients:write': MANAGERS,
  'dashboards:write': MANAGERS,
  'telemetry:purge': ADMINS,
  'audit:read': ADMINS,
  'tenants:write': ADMINS,
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PermissionRoles;

export function hasPermission(role: Role, permission: Permission): boolean {
  return (PermissionRoles[permission] as readonly Role[]).includes(role);
}

/**
 * Which roles an actor may give to a user it creates or edits: an admin any role in its
 * tenant, a manager operators and viewers (the car-plant seed: admins add managers,
 * managers add operators).
 */
export function canGrantRole(actor: Role, target: Role): boolean {
  if (actor === 'admin') return true;
  if (actor === 'manager') return target === 'operator' || target === 'viewer';
  return false;
}
