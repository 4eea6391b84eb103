import type { Role } from '@telemetry/auth';
import type { AssetRow } from '../../assets/repository.js';
import type { UserRow } from '../../users/present.js';
import type { AssignmentRow } from '../../users/repository.js';

/**
 * The energy seed (004_*) calls its read-only users `client`; they are our viewers (they see only
 * the devices assigned to them). Other roles keep their names.
 */
export const seedRole = (r: Role): string => (r === 'viewer' ? 'client' : r);
export const ourRole = (r: string): Role => (r === 'client' ? 'viewer' : (r as Role));
export const ENERGY_ROLES = ['client', 'admin', 'manager', 'operator', 'viewer'] as const;

/** An energy device is an asset of this type (the demo seed's "Energy meter 1" is one). */
export const ENERGY_DEVICE_TYPE = 'meter';

/** user_db's `users` row: id, username, role, fname, lname, email, phone, created_at (ids are UUIDs). */
export function energyUser(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    role: seedRole(u.role),
    fname: u.first_name,
    lname: u.last_name,
    email: u.email ?? '',
    phone: u.phone ?? '',
    created_at: u.created_at.toISOString(),
  };
}

/** device_db's `devices` row: id, name, description, max_consumption, price, created_at. */
export function energyDevice(a: AssetRow) {
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    id: a.id,
    name: a.name,
    description: typeof a.attributes.description === 'string' ? a.attributes.description : '',
    max_consumption: num(a.attributes.max_consumption),
    price: num(a.attributes.price),
    created_at: a.created_at.toISOString(),
  };
}

/** `user_device_mapping`: id, user_id, device_id, assigned_at. */
export function energyMapping(m: AssignmentRow) {
  return { id: String(m.id), user_id: m.user_id, device_id: m.asset_id, assigned_at: m.created_at.toISOString() };
}
