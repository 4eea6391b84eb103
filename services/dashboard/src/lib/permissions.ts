/**
 * What the UI offers each role. The table is the server's own (packages/auth/src/roles.ts, which
 * imports nothing, so the browser bundle can take it): the server enforces it, the UI only hides
 * what would be refused.
 */
import { canGrantRole, hasPermission, type Permission, type Role, Roles } from '@telemetry/auth/roles';

export type { Permission, Role };

export function can(role: Role | undefined, permission: Permission): boolean {
  return role !== undefined && hasPermission(role, permission);
}

/** Roles an actor may give: admins any, managers operators and viewers. */
export function grantableRoles(actor: Role | undefined): Role[] {
  return actor === undefined ? [] : Roles.filter((target) => canGrantRole(actor, target));
}
