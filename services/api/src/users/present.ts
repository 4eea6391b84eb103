import { isPlatformAdmin, type Role } from '@telemetry/auth';

export const USER_COLUMNS = `u.id, u.tenant_id, u.username, u.email, u.role, u.first_name, u.last_name, u.phone,
  u.must_change_password, u.profile_completed, u.created_at, u.last_login_at`;

export interface UserRow {
  id: string;
  tenant_id: string | null;
  username: string;
  email: string | null;
  role: Role;
  first_name: string;
  last_name: string;
  phone: string | null;
  must_change_password: boolean;
  profile_completed: boolean;
  created_at: Date;
  last_login_at: Date | null;
}

/** The API's user shape (also the dashboard's `Me`). Never the password hash. */
export function presentUser(r: UserRow) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    username: r.username,
    email: r.email,
    role: r.role,
    firstName: r.first_name,
    lastName: r.last_name,
    phone: r.phone,
    mustChangePassword: r.must_change_password,
    profileCompleted: r.profile_completed,
    setupRequired: r.must_change_password || !r.profile_completed,
    createdAt: r.created_at.toISOString(),
    lastLoginAt: r.last_login_at?.toISOString() ?? null,
  };
}

/** The ozone seed's Django user shape (`/api/auth/user/`), plus our role and tenant. */
export function presentOzoneUser(r: UserRow) {
  return {
    id: r.id,
    username: r.username,
    email: r.email ?? '',
    first_name: r.first_name,
    last_name: r.last_name,
    is_staff: r.role === 'admin' || r.role === 'manager',
    is_superuser: isPlatformAdmin({ role: r.role, tenantId: r.tenant_id }),
    role: r.role,
    tenant_id: r.tenant_id,
  };
}
